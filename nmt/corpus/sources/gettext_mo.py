"""Gettext `.mo` catalogs: LibreOffice's UI strings and the catalogs of the recipe's packages.

Catalogs are read by `mo_file` and their text cleaned by `gettext_cleaning` (pseudo-contexts, gcc
quotes, accelerator markers). Cleaning done here (see docs/corpus.md, "Cleaning"):

- Entries: msgid (English) -> msgstr[0]; a plural entry gives two pairs, msgid -> msgstr[0] and
  msgid_plural -> msgstr[1] (German and French have two forms; a catalog with one form gives
  the singular pair only); the header, untranslated entries and translator credits are
  skipped; msgctxt is read but never glued to the text (the same msgid in two contexts gives
  two pairs, which the dedupe merges when their translations agree); a source that is a single
  snake_case identifier is skipped.
- A wxWidgets menu shortcut after a tab (`&Copy\\tCtrl+C`) is cut from both sides.
- Newlines: when both sides have the same number of non-empty lines, one pair per line; else the
  lines are joined with a space. Tabs and newlines become spaces and runs of spaces collapse.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from nmt.corpus.sources.gettext_cleaning import (
    CATALOG_MARKERS,
    LIBREOFFICE_MARKERS,
    catalog_vocabulary,
    detect_markers,
    map_gcc_quotes,
    remove_accelerators,
    strip_pseudo_context,
)
from nmt.corpus.sources.mo_file import MoEntry, Skip, read_mo_file
from nmt.corpus.types import RawPair, SourceContext

logger = logging.getLogger(__name__)


_LINE_BREAK = re.compile(r"\r\n|[\r\n]")
_SPACES = re.compile(r"[ \t\n\r\f\v]+")


def _normalise_space(text: str) -> str:
    """Tabs and line breaks -> space, runs of spaces collapsed, ends stripped (NBSP is kept)."""
    return _SPACES.sub(" ", text).strip()


def split_lines(source: str, target: str) -> list[tuple[str, str]]:
    """One pair per line when both sides have the same number of non-empty lines, else one
    pair with the lines joined by spaces; every field comes out whitespace-normalised."""
    src = [line for line in (_normalise_space(s) for s in _LINE_BREAK.split(source)) if line]
    tgt = [line for line in (_normalise_space(t) for t in _LINE_BREAK.split(target)) if line]
    if len(src) == len(tgt) and len(src) > 1:
        return list(zip(src, tgt, strict=True))
    return [(" ".join(src), " ".join(tgt))]


# The "translation" of these is the translators' names and e-mail addresses (GNOME, KDE).
_CREDITS_MSGIDS = frozenset(
    {"translator-credits", "translator_credits", "Your names", "Your emails"}
)
_CREDITS_CONTEXTS = frozenset({"NAME OF TRANSLATORS", "EMAIL OF TRANSLATORS"})


def _translated(entries: Iterable[MoEntry], skip: Skip) -> list[tuple[str, str]]:
    """(msgid, msgstr[0]) of the translated entries, pseudo-contexts cut and gcc quotes mapped.

    Skipped and counted: entries without msgid (`gettext/empty-msgid`), without translation
    (`gettext/untranslated`), and translator credits (`gettext/translator-credits`).
    """
    pairs: list[tuple[str, str]] = []
    for entry in entries:
        if not entry.msgid:
            skip("gettext/empty-msgid", 1)
            continue
        if not entry.msgstrs or not entry.msgstrs[0]:
            skip("gettext/untranslated", 1)
            continue
        if entry.msgid in _CREDITS_MSGIDS or entry.msgctxt in _CREDITS_CONTEXTS:
            skip("gettext/translator-credits", 1)
            continue
        forms = [(entry.msgid, entry.msgstrs[0])]
        if entry.msgid_plural and len(entry.msgstrs) > 1 and entry.msgstrs[1]:
            forms.append((entry.msgid_plural, entry.msgstrs[1]))
        for msgid, msgstr in forms:
            source, target = strip_pseudo_context(msgid, msgstr)
            pairs.append((map_gcc_quotes(source), map_gcc_quotes(target)))
    return pairs


# A menu's shortcut key after a tab (wxWidgets: `&Copy\tCtrl+C`): a key name, not text.
_SHORTCUT = re.compile(r"\t\S*(?:\+\S+|\bF\d{1,2})$")
# A single snake_case token (gramps' help anchors `Define_Filter_dialog`, `STDDEV_POP`): a name for
# code or a URL, which a translator may rename but which no MT user asks to translate.
_IDENTIFIER = re.compile(r"[^\W_]+(?:_[^\W_]+)+")


def pairs_from_mo(
    path: Path, origin: str, ctx: SourceContext, markers: Sequence[str] | None = None
) -> Iterator[RawPair]:
    """The cleaned pairs of one `.mo` file, in file order.

    `markers` are the accelerator markers to remove; None detects them among `CATALOG_MARKERS`
    from the catalog itself. A trailing menu shortcut (`\\tCtrl+C`) is cut. Counted and left out:
    a source that is one snake_case identifier (`gettext/identifier`), and a pair that cleaning
    leaves empty on one side (`gettext/empty-after-cleaning`).
    """
    pairs = _translated(read_mo_file(path, ctx.skip), ctx.skip)
    vocabulary = catalog_vocabulary(pairs)
    if markers is None:
        markers = detect_markers(pairs, CATALOG_MARKERS, vocabulary)
        logger.debug("%s: accelerator markers %s", origin, markers or "none")
    for source, target in pairs:
        source, target = remove_accelerators(source, target, markers, vocabulary)
        source, target = _SHORTCUT.sub("", source), _SHORTCUT.sub("", target)
        if _IDENTIFIER.fullmatch(source):
            ctx.skip("gettext/identifier")
            continue
        for src, tgt in split_lines(source, target):
            if not src or not tgt:
                ctx.skip("gettext/empty-after-cleaning")
                continue
            yield RawPair(src, tgt, origin)


def _language_catalogs(root: Path, lang: str) -> list[Path]:
    """Every `*/<lang>/LC_MESSAGES/*.mo` below `root` (exactly `lang`, not `de_AT`), sorted."""
    found = [
        path
        for path in root.rglob("*.mo")
        if path.parent.name == "LC_MESSAGES" and path.parent.parent.name == lang
    ]
    return sorted(found, key=lambda path: path.relative_to(root).as_posix())


def _package_root(ctx: SourceContext, package: str) -> Path | None:
    """The extracted folder of `package`, or None (counted) when the recipe did not provide it."""
    root = ctx.packages.get(package)
    if root is None or not root.is_dir():
        logger.warning("gettext: package %s is not extracted; skipping it", package)
        ctx.skip("gettext/missing-package")
        return None
    return root


def extract_libreoffice_ui(ctx: SourceContext) -> Iterator[RawPair]:
    """LibreOffice's UI catalogs (`libreoffice-l10n-<lang>`), origin `<package>/<domain>`.

    Both of LibreOffice's accelerator markers are removed (`~` from the old .src resources, `_`
    from the GTK .ui dialogs: `_Speichern`), under the per-pair rule of `remove_accelerators`.
    """
    package = f"libreoffice-l10n-{ctx.lang}"
    root = _package_root(ctx, package)
    if root is None:
        return
    folder = root / "usr/lib/libreoffice/program/resource" / ctx.lang / "LC_MESSAGES"
    for path in sorted(folder.glob("*.mo")):
        yield from pairs_from_mo(path, f"{package}/{path.stem}", ctx, LIBREOFFICE_MARKERS)


def extract_catalogs(ctx: SourceContext) -> Iterator[RawPair]:
    """The `<lang>` catalogs of every package of `ctx.packages`, origin `<package>/<domain>`.

    Packages are read in name order and each package's catalogs in path order. Where discovery
    chose which domains a package gives (`ctx.items`), only those are read: a domain shipped by
    two packages counts once. Accelerator markers are detected per catalog (`detect_markers`).
    """
    for package in sorted(ctx.packages):
        root = _package_root(ctx, package)
        if root is None:
            continue
        chosen = ctx.items.get(package)
        for path in _language_catalogs(root, ctx.lang):
            if chosen is None or path.stem in chosen:
                yield from pairs_from_mo(path, f"{package}/{path.stem}", ctx)
