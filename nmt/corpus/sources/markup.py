"""Text helpers shared by the markup-based extractors (HTML, XHTML, Mallard, roff).

Every field the corpus stores is one line: `collapse_ws` turns any run of whitespace (tabs,
newlines, no-break spaces included) into one space. The XML helpers read a file defensively: a
malformed or undecodable file is counted on the context and skipped, never raised.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

from nmt.corpus.types import SourceContext

logger = logging.getLogger(__name__)

# `\s` on str patterns is Unicode-aware: TAB, LF, CR, NBSP, U+2028 and friends all collapse.
_WS = re.compile(r"\s+")


def collapse_ws(text: str) -> str:
    """Collapse every whitespace run of `text` to one space and strip both ends.

    The result contains no TAB, newline or other whitespace except single inner spaces.
    """
    return _WS.sub(" ", text).strip()


def local_name(tag: str) -> str:
    """`{namespace}name` -> `name`; a tag without namespace is returned unchanged."""
    return tag.rsplit("}", 1)[-1]


def parse_xml(path: Path, ctx: SourceContext, source: str) -> ET.Element | None:
    """Parse `path` as XML and return its root, or None after counting why it failed.

    Failures are counted on `ctx` as `<source>/bad-xml` (not well-formed, undecodable) or
    `<source>/unreadable` (I/O error). Expat never fetches external DTDs, so XHTML doctypes are
    harmless.
    """
    try:
        return ET.parse(path).getroot()
    except ET.ParseError as err:
        logger.debug("%s: not well-formed XML: %s", path, err)
        ctx.skip(f"{source}/bad-xml")
    except UnicodeDecodeError as err:
        logger.debug("%s: undecodable: %s", path, err)
        ctx.skip(f"{source}/bad-xml")
    except OSError as err:
        logger.warning("%s: unreadable: %s", path, err)
        ctx.skip(f"{source}/unreadable")
    return None


def flat_text(elem: ET.Element, skip: Callable[[ET.Element], bool] | None = None) -> str:
    """The text content of `elem` with all inner markup flattened, whitespace collapsed.

    Subtrees of descendants for which `skip` is true contribute nothing, but the text that follows
    them (their tail) is kept, as it belongs to the parent.
    """
    parts: list[str] = []

    def walk(node: ET.Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if skip is None or not skip(child):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(elem)
    return collapse_ws("".join(parts))


def iter_without(root: ET.Element, prune: Callable[[ET.Element], bool]) -> Iterator[ET.Element]:
    """Elements of `root` in document order, leaving out every subtree for which `prune` is true."""
    if prune(root):
        return
    yield root
    for child in root:
        yield from iter_without(child, prune)


def relative_files(root: Path, pattern: str) -> list[Path]:
    """Files under `root` matching the glob `pattern`, as sorted paths relative to `root`.

    Sorting makes the extraction order deterministic whatever the file system returns.
    """
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root) for p in root.glob(pattern) if p.is_file())


Segments = list[tuple[str, str]]
"""(element name, text) in document order."""


def zip_documents(
    en_path: Path,
    tr_path: Path,
    ctx: SourceContext,
    source: str,
    segments: Callable[[ET.Element], Segments],
    missing: str,
) -> list[tuple[str, str]] | None:
    """The (English, translated) text pairs of two documents whose segment-name sequences
    agree, in document order; None when the translation is missing (counted as `missing`), a
    file does not parse (`bad-xml`, by `parse_xml`) or the structures differ
    (`structure-mismatch`). Empty sides are left to the caller, whose rules differ."""
    if not tr_path.is_file():
        ctx.skip(f"{source}/{missing}")
        return None
    en_root = parse_xml(en_path, ctx, source)
    tr_root = parse_xml(tr_path, ctx, source)
    if en_root is None or tr_root is None:
        return None
    en_segs, tr_segs = segments(en_root), segments(tr_root)
    if [name for name, _ in en_segs] != [name for name, _ in tr_segs]:
        logger.debug("%s: structure differs from the English document", tr_path)
        ctx.skip(f"{source}/structure-mismatch")
        return None
    return [(en, tr) for (_, en), (_, tr) in zip(en_segs, tr_segs, strict=True)]
