"""Which Debian packages make the corpus of a language pair, and which extractor reads each.

The lean recipe of docs/corpus.md: LibreOffice help and UI, gettext catalogs of 21 packages,
Debian package descriptions, man pages, Ding's example sentences, the Debian reference, and
GNOME's user help as the document-disjoint test part.
"""

from __future__ import annotations

from dataclasses import dataclass

from nmt.corpus.sources import (
    debian_reference,
    descriptions,
    ding,
    gettext_mo,
    gnome_help,
    libreoffice_help,
    manpages,
)
from nmt.corpus.types import Extractor

# Packages whose `.mo` catalogs carry many languages; the language folder is picked at extraction.
GETTEXT_PACKAGES: tuple[str, ...] = (
    "gcc-12-locales",
    "postgresql-15",
    "postgresql-client-15",
    "git",
    "util-linux-locales",
    "subversion",
    "gnupg-l10n",
    "coreutils",
    "e2fsprogs-l10n",
    "libc-l10n",
    "krb5-locales",
    "claws-mail-i18n",
    "fontforge-common",
    "gnumeric-common",
    "libgegl-common",
    "gnucash-common",
    "gramps",
    "vlc-l10n",
    "digikam-data",
    "evolution-common",
    "audacity-data",
    "evolution-data-server-common",
)

SUPPORTED_PAIRS: tuple[str, ...] = ("en-de", "en-fr")


@dataclass(frozen=True, slots=True)
class Source:
    """One source of the recipe.

    `test_only` sources feed the test split alone. `sentence_units` sources have no documents, so
    each English sentence is its own split unit; `test_hashed` sources give the hashed test part.
    """

    name: str
    packages: tuple[str, ...]
    extract: Extractor
    test_only: bool = False
    sentence_units: bool = False
    test_hashed: bool = False


def parse_pair(pair: str) -> tuple[str, str]:
    """`en-de` -> (`en`, `de`); only English sources are built from Debian."""
    parts = pair.split("-")
    if len(parts) != 2 or parts[0] != "en" or pair not in SUPPORTED_PAIRS:
        raise ValueError(f"unsupported pair {pair!r}; Debian recipes exist for {SUPPORTED_PAIRS}")
    return parts[0], parts[1]


def recipe(pair: str) -> list[Source]:
    """The sources of `pair` in a fixed order (earlier sources win the global dedup)."""
    _, lang = parse_pair(pair)
    sources = [
        Source(
            "libreoffice-help",
            ("libreoffice-help-en-us", f"libreoffice-help-{lang}"),
            libreoffice_help.extract,
        ),
        Source("libreoffice-ui", (f"libreoffice-l10n-{lang}",), gettext_mo.extract_libreoffice_ui),
        Source("gettext", GETTEXT_PACKAGES, gettext_mo.extract_catalogs),
        Source("package-descriptions", (), descriptions.extract),
        Source(
            "manpages",
            ("manpages", "manpages-dev", f"manpages-{lang}", f"manpages-{lang}-dev"),
            manpages.extract,
        ),
    ]
    if lang == "de":
        sources.append(
            Source(
                "ding",
                ("trans-de-en",),
                ding.extract,
                sentence_units=True,
                test_hashed=True,
            )
        )
    sources += [
        Source(
            "debian-reference",
            ("debian-reference-en", f"debian-reference-{lang}"),
            debian_reference.extract,
        ),
        Source("gnome-user-docs", ("gnome-user-docs",), gnome_help.extract, test_only=True),
    ]
    return sources
