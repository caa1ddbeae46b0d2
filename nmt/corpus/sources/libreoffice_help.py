"""LibreOffice help (packages `libreoffice-help-en-us` and `libreoffice-help-<lang>`).

The help is shipped as HTML generated from the same XHP sources for every language, under
`usr/share/libreoffice/help/<en-US|lang>/text/**.html`. Translatable elements keep the id of
their XHP paragraph (`par_id...`, `hd_id...`, `bm_id...`) in every language, so a pair is the
English and translated element with the same (relative file path, id). The n-th occurrence of an
id pairs with the n-th (a few headings repeat a `bm_id` on `<h1>` and `<h2>`).

Hidden platform variants: the help renders text that differs by platform or module as a switch,
`<span class="switchinline">` (inline) or `<span class="switch">` (block), holding one
`hidden="true"` child per case, with ids `MAC...`, `WIN...`, `UNX...`, `WRITER...`, `CALC...`,
... and the fallback case `default...`. help.js shows one case at run time. Flattening all cases
would glue them ("Choose LibreOffice - PreferencesTools - Options"), so inside a hidden variant
only `default...` ids are kept: the text of a non-default case is dropped, and paragraphs that
exist only inside a non-default case (a Windows-only section, say) are not paired. Both are
counted as `libreoffice-help/platform-variant` (per element).

Text of an element = its text content with inner markup flattened, whitespace collapsed. Origin:
`libreoffice-help-<lang>/<path under text/>`, e.g. `libreoffice-help-de/scalc/01/04060116.html`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from nmt.corpus.sources.markup import collapse_ws, relative_files
from nmt.corpus.types import RawPair, SourceContext

logger = logging.getLogger(__name__)

SOURCE = "libreoffice-help"
HELP_DIR = Path("usr/share/libreoffice/help")
ID_PREFIXES = ("par_id", "hd_id", "bm_id")
# Elements that never have an end tag in HTML; they must not be pushed on the open-element stack.
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
# Raw-text elements whose content is never help text.
SKIPPED_TAGS = frozenset({"script", "style", "noscript"})

# (id, occurrence number of that id in its file): what pairs an element across languages.
ElementKey = tuple[str, int]


def _is_hidden_variant(attrs: dict[str, str | None]) -> bool:
    """True for a hidden switch case other than the `default` one (see the module docstring)."""
    if "hidden" not in attrs:
        return False
    return not (attrs.get("id") or "").startswith("default")


@dataclass
class _Capture:
    """An open paired element: its key, its slot and the text gathered so far."""

    key: ElementKey
    slot: int  # index of its entry in `_HelpParser.elements`
    parts: list[str] = field(default_factory=list)


class _HelpParser(HTMLParser):
    """Collects the flattened text of every paired element of one help page, in document order.

    `elements` lists (key, text) pairs in the order the elements open; `variant_drops` counts
    paired elements lost to non-default platform variants.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[ElementKey, str]] = []
        self.variant_drops = 0
        self._seen: dict[str, int] = {}
        # Open elements: (tag, True when it starts a dropped subtree).
        self._stack: list[tuple[str, bool]] = []
        self._dropping = 0  # number of open dropped subtrees (non-default variants, scripts)
        self._captures: list[tuple[_Capture, int]] = []  # capture, stack depth at its start

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open an element: maybe start a dropped subtree, maybe start a capture."""
        if tag in VOID_TAGS:
            return
        attr = dict(attrs)
        drops = tag in SKIPPED_TAGS or _is_hidden_variant(attr)
        self._stack.append((tag, drops))
        if drops:
            self._dropping += 1
        elem_id = attr.get("id") or ""
        if not elem_id.startswith(ID_PREFIXES):
            return
        if self._dropping:
            self.variant_drops += 1
            return
        occurrence = self._seen.get(elem_id, 0)
        self._seen[elem_id] = occurrence + 1
        capture = _Capture((elem_id, occurrence), len(self.elements))
        self.elements.append((capture.key, ""))  # placeholder keeps document order
        self._captures.append((capture, len(self._stack)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """`<x/>`: an element without content; only the open/close bookkeeping matters."""
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        """Close `tag` and anything left open inside it; finish the captures it ends."""
        if not any(open_tag == tag for open_tag, _ in self._stack):
            return  # stray end tag: ignore, as browsers do
        while self._stack:
            open_tag, drops = self._stack.pop()
            if drops:
                self._dropping -= 1
            while self._captures and self._captures[-1][1] > len(self._stack):
                self._finish(self._captures.pop()[0])
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        """Text goes to every open capture unless it sits in a dropped subtree."""
        if self._dropping:
            return
        for capture, _ in self._captures:
            capture.parts.append(data)

    def close(self) -> None:
        """Finish the document: captures still open (truncated file) end here."""
        super().close()
        while self._captures:
            self._finish(self._captures.pop()[0])

    def _finish(self, capture: _Capture) -> None:
        """Store the capture's text in its placeholder slot."""
        self.elements[capture.slot] = (capture.key, collapse_ws("".join(capture.parts)))


@dataclass
class _Page:
    """The paired elements of one help page, or why it could not be read."""

    elements: list[tuple[ElementKey, str]]
    variant_drops: int = 0
    error: str = ""


def parse_page(path: Path) -> _Page:
    """Parse one help page; `error` is `bad-encoding` or `unreadable` when it cannot be read."""
    try:
        html = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return _Page([], error="bad-encoding")
    except OSError as err:
        logger.warning("%s: unreadable: %s", path, err)
        return _Page([], error="unreadable")
    parser = _HelpParser()
    parser.feed(html)
    parser.close()
    return _Page(parser.elements, parser.variant_drops)


def _pairs_of_file(en: _Page, tr: _Page, origin: str, ctx: SourceContext) -> Iterator[RawPair]:
    """Pair the elements of one English page with those of its translation by key.

    English document order. Counted: English elements the translation lacks (`missing-id`) and
    pairs with an empty side (`empty`).
    """
    translated = dict(tr.elements)
    for key, en_text in en.elements:
        tr_text = translated.get(key)
        if tr_text is None:
            ctx.skip(f"{SOURCE}/missing-id")
        elif en_text and tr_text:
            yield RawPair(en_text, tr_text, origin)
        else:
            ctx.skip(f"{SOURCE}/empty")


def extract(ctx: SourceContext) -> Iterator[RawPair]:
    """Yield (English, ctx.lang) pairs of same-id elements of every help page, sorted by path.

    Counted on `ctx`: pages without a translation (`missing-page`), unreadable pages
    (`bad-encoding`, `unreadable`), elements lost to non-default platform variants
    (`platform-variant`, English side), missing ids (`missing-id`) and pairs with an empty side
    (`empty`: image-only paragraphs, empty anchors).
    """
    en_dir = ctx.packages["libreoffice-help-en-us"] / HELP_DIR / "en-US" / "text"
    tr_dir = ctx.packages[f"libreoffice-help-{ctx.lang}"] / HELP_DIR / ctx.lang / "text"
    files = relative_files(en_dir, "**/*.html")
    for rel in files:
        tr_path = tr_dir / rel
        if not tr_path.is_file():
            ctx.skip(f"{SOURCE}/missing-page")
            continue
        en, tr = parse_page(en_dir / rel), parse_page(tr_path)
        if en.error or tr.error:
            ctx.skip(f"{SOURCE}/{en.error or tr.error}")
            continue
        if en.variant_drops:
            ctx.skip(f"{SOURCE}/platform-variant", en.variant_drops)
        yield from _pairs_of_file(en, tr, f"{SOURCE}-{ctx.lang}/{rel.as_posix()}", ctx)
    logger.info("%s: read %d pages (%s)", SOURCE, len(files), ctx.lang)
