"""The Debian reference (packages `debian-reference-en` and `debian-reference-<lang>`).

The manual ships as DocBook-generated XHTML, one file per part: `usr/share/debian-reference/`
`<part>.en.html` and `<part>.<lang>.html` with parts `pr01`, `ch01`..`ch12`, `apa` and `index`.
The translation is made with po4a from the same DocBook source, so a translated file normally has
the same block structure and its block texts can be zipped in document order.

Blocks are paragraphs, headings, list items, definition terms/descriptions and table cells. A
block's text is its own text with inline markup (`<code>`, `<a>`, `<em>`, ...) flattened and
nested blocks left out (they are blocks of their own): a `<li>` that only wraps a `<p>` has no
text of its own. Navigation bars, tables of contents and `<pre>` screens (commands and output,
hardly ever translated) are not read. A file pair is zipped only when the sequences of block
names agree (14 of 15 en-de parts); otherwise it is counted as
`debian-reference/structure-mismatch`. Origin: `debian-reference/<part>`, e.g.
`debian-reference/ch02`.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from nmt.corpus.sources.markup import flat_text, iter_without, local_name, zip_documents
from nmt.corpus.types import RawPair, SourceContext

logger = logging.getLogger(__name__)

SOURCE = "debian-reference"
DOC_DIR = Path("usr/share/debian-reference")
BLOCK_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "td", "th", "caption"}
)
# DocBook XSL wrappers that only repeat text found elsewhere (headings, chapter titles).
NAVIGATION_CLASSES = frozenset(
    {"navheader", "navfooter", "toc", "list-of-tables", "list-of-figures", "list-of-examples"}
)
# `head` holds only the document title; `pre` holds shell sessions and file listings.
UNREAD_TAGS = frozenset({"head", "pre", "script", "style"})


def _unread(elem: ET.Element) -> bool:
    """True for subtrees that contribute no segments: navigation, `<head>`, `<pre>`."""
    name = local_name(elem.tag)
    if name in UNREAD_TAGS:
        return True
    return name == "div" and elem.get("class", "") in NAVIGATION_CLASSES


def _not_own_text(elem: ET.Element) -> bool:
    """True for descendants whose text is not part of the enclosing block's own text."""
    return local_name(elem.tag) in BLOCK_TAGS or _unread(elem)


def blocks(root: ET.Element) -> list[tuple[str, str]]:
    """(block name, own text) of every block element under `root`, in document order.

    Blocks whose own text is empty are listed too (with ""), so that the name sequence reflects
    the document's structure and can be compared between languages.
    """
    return [
        (local_name(el.tag), flat_text(el, skip=_not_own_text))
        for el in iter_without(root, _unread)
        if local_name(el.tag) in BLOCK_TAGS
    ]


def _part_names(en_dir: Path) -> list[str]:
    """Sorted part names (`ch01`, `index`, ...) of the English HTML files in `en_dir`."""
    if not en_dir.is_dir():
        return []
    return sorted(p.name.removesuffix(".en.html") for p in en_dir.glob("*.en.html"))


def extract(ctx: SourceContext) -> Iterator[RawPair]:
    """Yield the (English, ctx.lang) block pairs of every part whose block structures agree.

    Parts are visited in sorted name order; within a part, pairs follow document order. Counted
    on `ctx`: parts without a translation (`missing-part`), malformed files (`bad-xml`),
    structure mismatches (`structure-mismatch`, one per part) and pairs with an empty side
    (`empty`; blocks empty on both sides only wrap other blocks and are not counted).
    """
    en_dir = ctx.packages["debian-reference-en"] / DOC_DIR
    tr_dir = ctx.packages[f"debian-reference-{ctx.lang}"] / DOC_DIR
    parts = _part_names(en_dir)
    matched = 0
    for part in parts:
        en_path, tr_path = en_dir / f"{part}.en.html", tr_dir / f"{part}.{ctx.lang}.html"
        pairs = zip_documents(en_path, tr_path, ctx, SOURCE, blocks, "missing-part")
        if pairs is None:
            continue
        matched += 1
        for en_text, tr_text in pairs:
            if en_text and tr_text:
                yield RawPair(en_text, tr_text, f"{SOURCE}/{part}")
            elif en_text or tr_text:
                ctx.skip(f"{SOURCE}/empty")
    logger.info("%s: %d of %d parts zipped (%s)", SOURCE, matched, len(parts), ctx.lang)
