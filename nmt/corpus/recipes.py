"""Which Debian packages make the corpus of a language pair, and which extractor reads each.

The broad recipe: LibreOffice help and UI, the gettext catalogs of every `main` package that
ships them and the GNOME help of every application that ships it in both languages (both found
in the archive's Contents indexes, `nmt.corpus.discover`), Debian package descriptions, man
pages, Ding's example sentences, the Debian reference, and GNOME's user help as the
document-disjoint test part (docs/corpus.md). Whole UI text domains, frozen here by name, make
the `ui` test part and part of valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nmt.corpus.sources import (
    app_help,
    debian_reference,
    descriptions,
    ding,
    gettext_mo,
    gnome_help,
    libreoffice_help,
    manpages,
)
from nmt.corpus.types import Extractor

# The lean recipe's hand-picked catalog packages (before discovery). Kept as history: the `ui`
# test and valid domains were chosen among the domains of other packages, so a model trained on
# the lean corpus never saw them as whole domains.
LEAN_GETTEXT_PACKAGES: tuple[str, ...] = (
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

# Whole text domains held out of train, chosen once (scripts/choose_ui_domains.py: stable hash
# order among the discovered domains of packages outside LEAN_GETTEXT_PACKAGES with 60-600
# UI-like messages) and frozen here by name, so later corpus changes cannot move them.
# Chosen 2026-12-06 from 962 eligible domains: 2,577 test and 579 valid messages before dedupe;
# snapper and gsmlib are command-line catalogs (option help columns).
UI_TEST_DOMAINS: tuple[str, ...] = (
    "epoptes",
    "gsmlib",
    "kalendar",
    "kbackup",
    "kipiplugin_sendimages",
    "knights",
    "krossmodulesheets",
    "libmessagecomposer",
    "metacity",
    "plasma_applet_org.kde.desktopcontainment",
    "snapper",
)
UI_VALID_DOMAINS: tuple[str, ...] = ("3depict", "xchm")

# sha256 of the lines of the test parts that scores are compared on across models (en-de, built
# from bookworm in 2026-12). A rebuild that changes them is reported loudly (see build.py).
FROZEN_TEST_PARTS: dict[str, dict[str, str]] = {
    "en-de": {
        "gnome-user-docs": "5f8ea3f7543190a85ac24ca459e935ed91cd61db32a55c9bf599d9a5a8f1577d",
        "ding": "32e43e6d9889811f616072a6bbb1cc8ed833f259a002a08c1028db657c9496c9",
    }
}


@dataclass(frozen=True, slots=True)
class Source:
    """One source of the recipe.

    `test_only` sources feed the test split alone. `sentence_units` sources have no documents, so
    each English sentence is its own split unit; `test_hashed` sources give the hashed test part.
    Sources are listed in a fixed order; the global dedupe keeps the first copy of a pair, but
    the hashed source's pairs always survive it (see build.py), so no other source can move the
    hashed test sample.
    """

    name: str
    packages: tuple[str, ...]
    extract: Extractor
    test_only: bool = False
    sentence_units: bool = False
    test_hashed: bool = False
    # Packages found in the Contents indexes (`packages` is then empty): gettext catalogs or
    # GNOME help documents.
    discover: Literal["", "catalogs", "help"] = ""
    # Drop pairs whose English nearly duplicates a test-only paragraph (forks of GNOME's help).
    near_test_filter: bool = False
    # Text domains whose pairs make the `ui` test part and join valid (gettext catalogs only).
    ui_domains: bool = False


def ui_domains(pair: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The (test, valid) UI text domains frozen for `pair`; only en-de has them so far."""
    return (UI_TEST_DOMAINS, UI_VALID_DOMAINS) if pair == "en-de" else ((), ())


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
        Source("gettext", (), gettext_mo.extract_catalogs, discover="catalogs", ui_domains=True),
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
        Source("gnome-help", (), app_help.extract, discover="help", near_test_filter=True),
        Source("gnome-user-docs", ("gnome-user-docs",), gnome_help.extract, test_only=True),
    ]
    return sources
