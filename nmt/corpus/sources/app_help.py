"""GNOME application help: the Mallard pages that applications ship in English and `<lang>`.

Discovery (`nmt.corpus.discover`) finds every package with `usr/share/help/C/<doc>/` beside
`usr/share/help/<lang>/<doc>/`; its `.page` files are paired exactly like gnome-user-docs
(`gnome_help.page_segments`: `<p>`, `<title>`, `<desc>` texts zipped in document order when
the element sequences agree). Documents written in DocBook instead of Mallard have no `.page`
file and are counted (`gnome-help/not-mallard`). gnome-user-docs itself is the test part and
never read here. Origin: `<package>/<doc>/<page>.page`, which is also the valid split's unit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from nmt.corpus.sources.gnome_help import HELP_DIR, page_pairs
from nmt.corpus.sources.markup import relative_files
from nmt.corpus.types import RawPair, SourceContext

logger = logging.getLogger(__name__)

SOURCE = "gnome-help"


def document_pairs(root: Path, doc: str, ctx: SourceContext, origin: str) -> Iterator[RawPair]:
    """The segment pairs of one help document `doc` of an extracted package `root`."""
    en_dir, tr_dir = root / HELP_DIR / "C" / doc, root / HELP_DIR / ctx.lang / doc
    pages = relative_files(en_dir, "**/*.page")
    if not pages:
        ctx.skip(f"{SOURCE}/not-mallard")
        return
    for rel in pages:
        origin_page = f"{origin}/{doc}/{rel.as_posix()}"
        yield from page_pairs(en_dir / rel, tr_dir / rel, ctx, SOURCE, origin_page) or ()


def extract(ctx: SourceContext) -> Iterator[RawPair]:
    """Every chosen help document of every package, packages and documents in name order.

    `ctx.items[package]` names the documents discovery found in both languages; a package
    without an entry is read for every document its English help folder holds.
    """
    for package in sorted(ctx.packages):
        root = ctx.packages[package]
        docs = ctx.items.get(package)
        if docs is None:
            docs = tuple(p.name for p in sorted((root / HELP_DIR / "C").glob("*")) if p.is_dir())
        for doc in docs:
            yield from document_pairs(root, doc, ctx, package)
