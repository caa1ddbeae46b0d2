"""Debian package descriptions: apt's `Translation-en` and `Translation-<lang>` index files.

Both files are RFC 822-like stanzas separated by blank lines, keyed by `Description-md5` (the md5
of the English description), with `Package` and `Description-en` / `Description-<lang>`. The
first line of a description is the short description; the continuation lines (one leading space)
are the long description, whose paragraphs are separated by a line ` .`.

Pairing, each rejection counted with a `descriptions/...` reason:

- the short descriptions always;
- the long description paragraph by paragraph, only when both sides have the same number of
  paragraphs (`descriptions/paragraph-count-mismatch`); a paragraph's lines are joined by spaces;
- a paragraph with a line indented by two or more spaces is verbatim in Debian's format (a code
  sample, a table) and is skipped (`descriptions/verbatim-paragraph`), except for the common
  bullet lists (`  * item`, `  - item` with hanging continuation lines): these are split into
  their intro text and items, paired item by item when both sides have as many
  (`descriptions/list-item-mismatch` otherwise).

A description (md5) met again, in another list or under another package, is used once.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import lzma
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from nmt.corpus.types import RawPair, SourceContext

logger = logging.getLogger(__name__)

APT_HELPER = "/usr/lib/apt/apt-helper"
ORIGIN_PREFIX = "debian-descriptions"
_COMPRESSED = {".gz": gzip.decompress, ".xz": lzma.decompress, ".bz2": bz2.decompress}
_VIA_APT_HELPER = {".lz4", ".zst", ".lzma"}  # no Python module for these in the environment
_BULLET = re.compile(r"(\s*)([-*+o•])\s+(?=\S)")
_MARGIN_BULLETS = {"*", "+", "•"}
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


@dataclass(frozen=True, slots=True)
class Description:
    """One stanza: the package, the md5 key, and the description's lines (first = short)."""

    package: str
    md5: str
    lines: tuple[str, ...]


def translation_files(lists: Path, lang: str) -> list[Path]:
    """apt's `*_Translation-<lang>` files in `lists`, compressed or not, sorted by name.

    When apt kept one index both compressed and uncompressed, the first by name is used.
    """
    pattern = re.compile(rf"_Translation-{re.escape(lang)}(\.[a-z0-9]+)?")
    files: dict[str, Path] = {}
    for path in sorted(lists.glob(f"*_Translation-{lang}*")):
        match = pattern.search(path.name)
        if match and match.end() == len(path.name) and path.is_file():
            files.setdefault(path.name[: match.start()], path)
    return sorted(files.values())


def read_index(path: Path, ctx: SourceContext) -> str | None:
    """The text of an index file, decompressed; None (counted) when it cannot be read.

    lz4 and zstd go through `apt-helper cat-file` since Python has no module for them here.
    """
    suffix = path.suffix if path.suffix in _COMPRESSED or path.suffix in _VIA_APT_HELPER else ""
    try:
        if suffix in _VIA_APT_HELPER:
            done = subprocess.run(
                [APT_HELPER, "cat-file", str(path)], capture_output=True, check=True
            )
            data = done.stdout
        elif suffix:
            data = _COMPRESSED[suffix](path.read_bytes())
        else:
            data = path.read_bytes()
        return data.decode("utf-8")
    except (OSError, subprocess.CalledProcessError, UnicodeDecodeError, ValueError, EOFError) as e:
        logger.warning("descriptions: cannot read %s: %s", path, e)
        ctx.skip("descriptions/unreadable-file")
        return None


def parse_stanzas(text: str, lang: str, ctx: SourceContext) -> Iterator[Description]:
    """The stanzas of an index that have `Package`, `Description-md5`, `Description-<lang>`.

    A stanza lacking one of them is counted as `descriptions/incomplete-stanza`.
    """
    field = f"Description-{lang}"
    for stanza in re.split(r"\n[ \t]*\n", text):
        if not stanza.strip():
            continue
        fields: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in stanza.split("\n"):
            if line[:1] in {" ", "\t"} and current is not None:
                current.append(line)
            elif ":" in line:
                key, _, value = line.partition(":")
                current = fields.setdefault(key.strip(), [])
                current.append(value.strip())
            else:
                current = None
        package, md5 = fields.get("Package"), fields.get("Description-md5")
        description = fields.get(field)
        if not package or not md5 or not description:
            ctx.skip("descriptions/incomplete-stanza")
            continue
        yield Description(package[0], md5[0], tuple(description))


def paragraphs(lines: tuple[str, ...]) -> list[list[str]]:
    """The long description's paragraphs as lists of lines without the first leading space."""
    result: list[list[str]] = [[]]
    for line in lines[1:]:
        text = line[1:] if line[:1] in {" ", "\t"} else line
        if text.strip() == ".":
            result.append([])
        else:
            result[-1].append(text.rstrip())
    return [paragraph for paragraph in result if any(line.strip() for line in paragraph)]


def blocks(paragraph: list[str]) -> list[str] | None:
    """A paragraph as the texts to pair: one for plain text; for a bullet list, the intro text
    and one per item (marker dropped); None for a verbatim paragraph.

    Bullets are `* + - o •` after indentation (`  * item`), or `* + •` at the margin (a margin
    `-` is more often a dash of wrapped text). An indented line continues the current item and
    makes the paragraph verbatim outside one; a margin line continues a margin item and starts a
    new text after an indented one.
    """
    result: list[str] = []
    item: str | None = None  # the current bullet's indentation; None in plain text
    for line in paragraph:
        bullet = _BULLET.match(line)
        if bullet and (bullet.group(1) or bullet.group(2) in _MARGIN_BULLETS):
            result.append(line[bullet.end() :])
            item = bullet.group(1)
        elif line[:1] == " ":
            if item is None:
                return None
            result[-1] += " " + line
        elif not result or item:  # first line, or text after an indented list
            result.append(line)
            item = None
        else:  # wrapped plain text, or a margin item's next line
            result[-1] += " " + line
    return [_SPACES.sub(" ", text).strip() for text in result]


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def description_pairs(
    english: Description, target: Description, ctx: SourceContext
) -> Iterator[RawPair]:
    """The pairs of one description: short descriptions, then paragraph (or list item) pairs."""
    origin = f"{ORIGIN_PREFIX}/{target.package}"
    short = _normalise(english.lines[0]), _normalise(target.lines[0])
    if all(short):
        yield RawPair(short[0], short[1], origin)
    else:
        ctx.skip("descriptions/empty-short")
    source_paragraphs, target_paragraphs = paragraphs(english.lines), paragraphs(target.lines)
    if len(source_paragraphs) != len(target_paragraphs):
        ctx.skip("descriptions/paragraph-count-mismatch")
        return
    for source_paragraph, target_paragraph in zip(
        source_paragraphs, target_paragraphs, strict=True
    ):
        source_blocks, target_blocks = blocks(source_paragraph), blocks(target_paragraph)
        if source_blocks is None or target_blocks is None:
            ctx.skip("descriptions/verbatim-paragraph")
            continue
        if len(source_blocks) != len(target_blocks):
            ctx.skip("descriptions/list-item-mismatch")
            continue
        for source, target_text in zip(source_blocks, target_blocks, strict=True):
            if source and target_text:
                yield RawPair(source, target_text, origin)


def _read_descriptions(ctx: SourceContext, lang: str) -> Iterator[Description]:
    """Every `Description-<lang>` stanza of the lists, files in name order, stanzas in order."""
    for path in translation_files(ctx.apt_lists, lang):
        text = read_index(path, ctx)
        if text is not None:
            yield from parse_stanzas(text, lang, ctx)


def _english(ctx: SourceContext, wanted: set[str]) -> Mapping[str, Description]:
    """The English description of each md5 in `wanted` (the first met)."""
    found: dict[str, Description] = {}
    for description in _read_descriptions(ctx, "en"):
        if description.md5 in wanted:
            found.setdefault(description.md5, description)
    return found


def extract(ctx: SourceContext) -> Iterator[RawPair]:
    """Pairs from the package descriptions translated into `ctx.lang`, origin
    `debian-descriptions/<Package>`, in the order of the `Translation-<lang>` files.

    Each md5 is used once (`descriptions/duplicate-md5` counts the repeats); a translation whose
    English text is in no `Translation-en` file counts `descriptions/no-english`. No lists at all
    is logged and counted as `descriptions/no-index`.
    """
    targets: list[Description] = []
    seen: set[str] = set()
    for description in _read_descriptions(ctx, ctx.lang):
        if description.md5 in seen:
            ctx.skip("descriptions/duplicate-md5")
            continue
        seen.add(description.md5)
        targets.append(description)
    if not targets:
        logger.warning("descriptions: no Translation-%s stanzas in %s", ctx.lang, ctx.apt_lists)
        ctx.skip("descriptions/no-index")
        return
    english = _english(ctx, seen)
    for target in targets:
        source = english.get(target.md5)
        if source is None:
            ctx.skip("descriptions/no-english")
            continue
        yield from description_pairs(source, target, ctx)
