"""Glossaries: source terms the translation must render with a given target term.

A glossary file is UTF-8 TSV, one `source term<TAB>target term` a line; blank lines and lines
starting with `#` are skipped. Terms are enforced through protect/restore (`nmt.protect`): a
source term becomes a `PH` symbol, which the model carries like any placeholder (it learnt to
from the corpus), and restore writes the target term in its place.

Matching: case-insensitive, on word boundaries (`file` matches `File` and `FILE`, not
`profile` or `files`), longest term first. The target is written as given, so a German noun
keeps its capital; a target that opens the output gets a capital first letter when the source
term had one.

Limits: the target term is not inflected (a glossary `file -> Datei` gives `Datei` where the
sentence needs `Dateien` or `der Datei`), an English plural needs its own entry (`files ->
Dateien`), and the model places the term where it placed the symbol, so the article around it is
the model's guess. Entries are per source term: a source term given twice with different
targets is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path

from nmt.errors import NmtError

logger = logging.getLogger(__name__)

MAX_TERMS = 10_000  # a bound for files and requests: the detection regex grows with each term
MAX_TERM_CHARS = 200


class GlossaryError(NmtError, ValueError):
    """A glossary that cannot be used; the message names the entry and the problem."""


def make_glossary(
    entries: Iterable[tuple[str, str]], *, origin: str = "glossary"
) -> dict[str, str]:
    """The lookup table of `entries`: lower-cased, stripped source term -> stripped target.

    Raises GlossaryError for an empty side, a term over `MAX_TERM_CHARS`, a term holding a TAB
    or line break, more than `MAX_TERMS` entries, or one source term with two targets.
    """
    table: dict[str, str] = {}
    for n, (source, target) in enumerate(entries, 1):
        src, tgt = source.strip(), target.strip()
        where = f"{origin}: entry {n} ({source!r})"
        if not src or not tgt:
            raise GlossaryError(f"{where}: source and target term must both be non-empty")
        if any(len(t) > MAX_TERM_CHARS or any(c in t for c in "\t\r\n") for t in (src, tgt)):
            raise GlossaryError(
                f"{where}: a term is one line of at most {MAX_TERM_CHARS} characters"
            )
        key = src.lower()
        if table.get(key, tgt) != tgt:
            raise GlossaryError(f"{where}: {src!r} has two targets, {table[key]!r} and {tgt!r}")
        table[key] = tgt
        if len(table) > MAX_TERMS:
            raise GlossaryError(f"{origin}: more than {MAX_TERMS} terms")
    return table


def parse_glossary(text: str, *, origin: str = "glossary") -> dict[str, str]:
    """The lookup table of a glossary file's text (see the module docstring)."""
    entries: list[tuple[str, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise GlossaryError(
                f"{origin}:{n}: expected 'source term<TAB>target term', got {len(fields)} fields"
            )
        entries.append((fields[0], fields[1]))
    return make_glossary(entries, origin=origin)


def load_glossary(path: Path) -> dict[str, str]:
    """Read and parse a glossary file; GlossaryError for an unreadable or malformed one."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise GlossaryError(f"cannot read glossary {path}: {err}") from err
    table = parse_glossary(text, origin=str(path))
    logger.info("glossary %s: %d terms", path, len(table))
    return table


def merged(base: Mapping[str, str] | None, extra: Mapping[str, str] | None) -> dict[str, str]:
    """`base` (a bundle's default) overridden entry by entry by `extra` (a request's)."""
    return {**(base or {}), **make_glossary((extra or {}).items(), origin="request glossary")}
