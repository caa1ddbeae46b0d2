"""gettext `.po`/`.pot` catalogs through translate-toolkit (imported here only).

What translating a catalog does:
- fills every entry whose msgstr is empty (all of them with `overwrite`), obsolete entries and
  the header excepted, and marks it fuzzy: a machine translation awaits review;
- keeps msgctxt, comments, flags, references and previous msgids (translate-toolkit keeps the
  unit; only its msgstr and the fuzzy flag change);
- plural entries: msgstr[0] from msgid, msgstr[1..n-1] from msgid_plural (n from the header's
  Plural-Forms; a language with one form takes msgid_plural);
- the header gets Language, Plural-Forms and `charset=UTF-8` where missing or still a
  template's placeholder (`.pot`), and loses the template's fuzzy flag, so msgfmt reads it;
- every translation keeps the source's placeholders (`placeholders.placeholders_intact`,
  python-format entries without numbered printf placeholders) and its leading and trailing
  line breaks; an entry that fails stays untranslated and is counted as `failed_check`;
- bytes that do not decode in the declared charset (UTF-8 when none is declared) are refused
  with the file and line (`nmt: error: FILE:LINE: ...`, exit 2), never rewritten; with
  `skip_bad` the entry holding them is left out of the output and counted.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nmt.files.accelerators import detect_markers
from nmt.files.catalog import count, translated_forms
from nmt.files.errors import FileInputError
from nmt.files.forms import Form, finish, prepare
from nmt.files.placeholders import placeholders_intact
from nmt.translator import Translation

logger = logging.getLogger(__name__)

_PARSE_LINE = re.compile(r"on line (\d+)")
_TEMPLATE_VALUE = re.compile(r"INTEGER|EXPRESSION|CHARSET")
_CHARSET = re.compile(rb"charset=([A-Za-z0-9._-]+)")


def _tt() -> Any:
    """translate-toolkit's PO module, or a refusal that says how to install it."""
    try:
        from translate.storage import pypo
    except ImportError:
        raise FileInputError(
            "translate-toolkit", "not installed: pip install 'nmt[files]' (or make setup)"
        ) from None
    return pypo


def plural_forms(language: str) -> str | None:
    """`nplurals=2; plural=(n != 1);` for `de`, from translate-toolkit's language table."""
    from translate.lang import data

    found = data.languages.get(language) or data.languages.get(language.split("_")[0])
    return f"nplurals={found[1]}; plural={found[2]};" if found else None


@dataclasses.dataclass(slots=True)
class _Entry:
    unit: Any
    forms: list[Form]
    python_format: bool


class PoCatalog:
    """A `.po`/`.pot` file parsed by translate-toolkit, ready for `catalog.translate_catalog`."""

    def __init__(
        self,
        path: Path,
        *,
        language: str,
        overwrite: bool,
        fmt: str = "po",
        skip_bad: bool = False,
    ) -> None:
        self.fmt = fmt
        self.path = path
        self.language = language
        self.skipped = 0  # entries left out for bytes that do not decode (skip_bad)
        pypo = _tt()
        try:
            data = _as_utf8(path, path.read_bytes())
            data, self.skipped = _valid_utf8(path, data, skip_bad=skip_bad)
            self.store = pypo.pofile.parsestring(data)
        except OSError as err:
            raise FileInputError(path, f"cannot read: {err.strerror or err}") from None
        except FileInputError:
            raise
        except Exception as err:  # translate-toolkit raises PoParseError, ValueError, ...
            line = _PARSE_LINE.search(str(err))
            message = f"not a valid PO file: {_PARSE_LINE.sub('', str(err)).strip(' :')}"
            raise FileInputError(path, message, int(line.group(1)) if line else None) from None
        self.nplurals = self._update_header()
        header = self.store.parseheader()
        declared = header.get("X-Accelerator-Marker", "").strip()
        units = [u for u in self.store.units if not (u.isheader() or u.isobsolete())]
        self.markers = declared[:1] or detect_markers([str(u.source) for u in units])
        self.entries = [
            self._entry(u) for u in units if u.source and (overwrite or not _has_target(u))
        ]
        self.kept = sum(1 for u in units if u.source and _has_target(u) and not overwrite)

    def _update_header(self) -> int:
        """Language, Plural-Forms and charset where missing or template values; nplurals."""
        fields = self.store.parseheader()
        changes: dict[str, str] = {"Content_Type": "text/plain; charset=UTF-8"}
        if not fields.get("Language", "").strip():
            changes["Language"] = self.language
        plural = fields.get("Plural-Forms", "")
        if not plural or _TEMPLATE_VALUE.search(plural):
            plural = plural_forms(self.language) or "nplurals=2; plural=(n != 1);"
            changes["Plural_Forms"] = plural
        self.store.updateheader(add=True, **changes)
        self.store.encoding = "utf-8"
        header = self.store.header()
        if header is not None:
            header.markfuzzy(False)
        found = re.search(r"nplurals\s*=\s*(\d+)", plural)
        return int(found.group(1)) if found else 2

    def _entry(self, unit: Any) -> _Entry:
        if unit.hasplural():
            singular, plural = unit.source.strings[:2]
            sources = [singular] + [plural] * (self.nplurals - 1) if self.nplurals > 1 else [plural]
        else:
            sources = [str(unit.source)]
        forms = [prepare(s, self.markers) for s in sources]
        return _Entry(unit, forms, unit.hastypecomment("python-format"))

    def texts(self) -> list[str]:
        seen = {f.core: None for e in self.entries for f in e.forms if not f.blank}
        return list(seen)

    def apply(self, results: Mapping[str, Translation], counts: dict[str, int]) -> None:
        count(counts, "kept", self.kept)
        if self.skipped:
            count(counts, "skipped: not valid in its charset", self.skipped)
        for entry in self.entries:
            targets = self._targets(entry, results, counts)
            if targets is None:
                count(counts, "failed_check")
                continue
            entry.unit.target = targets if entry.unit.hasplural() else targets[0]
            entry.unit.markfuzzy(True)
            count(counts, "translated")
        if counts.get("translated"):
            now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M+0000")
            self.store.updateheader(add=True, PO_Revision_Date=now)

    def _targets(
        self, entry: _Entry, results: Mapping[str, Translation], counts: dict[str, int]
    ) -> list[str] | None:
        """The entry's msgstr list, or None when a form fails the placeholder check."""
        cores = [f.core for f in entry.forms if not f.blank]
        done = iter(translated_forms(cores, results, counts))
        targets = [f.source if f.blank else finish(f, next(done)) for f in entry.forms]
        for form, target in zip(entry.forms, targets, strict=True):
            if form.blank:
                continue
            if not target.strip() or not placeholders_intact(
                form.source, target, numbered_ok=not entry.python_format
            ):
                logger.warning(
                    "%s: left untranslated, placeholders would change: %r -> %r",
                    self.path,
                    form.source,
                    target,
                )
                return None
        return targets

    def serialize(self) -> bytes:
        data: bytes = bytes(self.store)
        return data


def _as_utf8(path: Path, data: bytes) -> bytes:
    """The catalog re-encoded as UTF-8 (header included) when its header declares another
    charset. translate-toolkit 3.20 fails to switch to the declared charset itself, and the
    output is UTF-8 anyway."""
    found = _CHARSET.search(data[:16384])
    charset = found.group(1).decode() if found else "UTF-8"
    if charset.upper().replace("-", "") in ("UTF8", "CHARSET"):
        return data
    try:
        text = data.decode(charset)
    except (LookupError, UnicodeDecodeError) as err:
        raise FileInputError(
            path, f"cannot decode as its declared charset {charset}: {err}"
        ) from None
    return text.replace(f"charset={charset}", "charset=UTF-8", 1).encode("utf-8")


def _valid_utf8(path: Path, data: bytes, *, skip_bad: bool) -> tuple[bytes, int]:
    """`data` (UTF-8 by now) when it decodes; else FileInputError naming the line of the first
    bad byte, or (`skip_bad`) `data` without the entries (blank-line separated blocks) that hold
    bad bytes, and how many were left out. translate-toolkit would decode them as Latin-1
    without a word (`FF FE` became `ÿþ`)."""
    skipped = 0
    while True:
        try:
            data.decode("utf-8")
            return data, skipped
        except UnicodeDecodeError as err:
            line = data.count(b"\n", 0, err.start) + 1
            bad = data[err.start : err.end].hex(" ").upper()
            if not skip_bad:
                raise FileInputError(
                    path, f"bytes {bad} are not valid UTF-8 (the catalog's charset)", line
                ) from None
            start = data.rfind(b"\n\n", 0, err.start)
            start = 0 if start < 0 else start + 2
            end = data.find(b"\n\n", err.end)
            end = len(data) if end < 0 else end + 2
            logger.warning("%s:%d: skipped an entry with bytes %s (not UTF-8)", path, line, bad)
            data = data[:start] + data[end:]
            skipped += 1


def _has_target(unit: Any) -> bool:
    target = unit.target
    strings = getattr(target, "strings", None)
    return any(strings) if strings is not None else bool(target)
