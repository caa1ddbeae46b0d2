"""Package discovery from Contents lines: catalogs, help documents, caps, budget, duplicates."""

from __future__ import annotations

from nmt.config import DiscoveryConfig
from nmt.corpus.discover import scan_contents, select

CONTENTS = b"""\
usr/bin/sudo                                             admin/sudo,admin/sudo-ldap
usr/share/locale/de/LC_MESSAGES/sudo.mo                  admin/sudo,admin/sudo-ldap
usr/share/locale/de/LC_MESSAGES/sudoers.mo               admin/sudo-ldap
usr/share/locale/de_AT/LC_MESSAGES/tar.mo                utils/tar
usr/share/locale/de/LC_MESSAGES/tar.mo                   utils/tar
usr/share/locale/fr/LC_MESSAGES/tar.mo                   utils/tar
usr/share/locale/de/LC_MESSAGES/nested/x.mo              utils/odd
usr/share/locale/de/LC_MESSAGES/game.mo                  games/huge-data
usr/share/locale/de/LC_MESSAGES/with space.mo            utils/spaced
usr/share/help/C/gedit/index.page                        gnome/gedit-common
usr/share/help/de/gedit/index.page                       gnome/gedit-common
usr/share/help/C/gedit/plugin.page                       gnome/gedit-plugin-x
usr/share/help/de/gedit/plugin.page                      gnome/gedit-plugin-x
usr/share/help/C/english-only/index.page                 gnome/lonely
usr/share/help/C/gnome-help/index.page                   doc/gnome-user-docs
usr/share/help/de/gnome-help/index.page                  doc/gnome-user-docs
"""


def _found():  # type: ignore[no-untyped-def]
    return scan_contents(CONTENTS.splitlines(keepends=True), "de")


def test_scan_finds_catalogs_of_the_language_and_help_in_both() -> None:
    found = _found()
    assert dict(found.catalogs) == {
        "sudo": {"sudo"},
        "sudo-ldap": {"sudo", "sudoers"},
        "tar": {"tar"},
        "huge-data": {"game"},
        "spaced": {"with space"},
    }
    assert dict(found.help_docs) == {
        "gedit-common": {"gedit"},
        "gedit-plugin-x": {"gedit"},
        "gnome-user-docs": {"gnome-help"},
    }


def test_select_applies_cap_one_provider_per_domain_budget_and_exclusions() -> None:
    sizes = {
        "sudo": 2_000_000,
        "sudo-ldap": 2_100_000,
        "tar": 1_000_000,
        "huge-data": 400_000_000,
        "gedit-common": 3_000_000,
        "gedit-plugin-x": 50_000,
        "gnome-user-docs": 9_000_000,
    }
    cfg = DiscoveryConfig(max_package_mb=20, download_budget_mb=7)
    sel = select(_found(), sizes, cfg, exclude=["gnome-user-docs"])
    # sudo wins "sudo" (shorter name); sudo-ldap still gives sudoers, so both are read
    assert sel.catalogs == {"sudo": ("sudo",), "sudo-ldap": ("sudoers",), "tar": ("tar",)}
    assert sel.help_docs == {"gedit-plugin-x": ("gedit",)}  # plugins add pages: not deduped
    assert sel.left_out == {
        "gedit-common": "over-download-budget",  # smallest first: 0.05+1+2+2.1 MB fit, 3 not
        "gnome-user-docs": "read-by-another-source",
        "huge-data": "over-size-cap:400.0MB",
        "spaced": "not-in-packages-index",
    }
    assert sel.packages == ["gedit-plugin-x", "sudo", "sudo-ldap", "tar"]


def test_a_package_whose_domains_all_come_from_another_is_left_out() -> None:
    found = scan_contents(
        [
            b"usr/share/locale/de/LC_MESSAGES/make.mo   devel/make,devel/make-guile\n",
        ],
        "de",
    )
    sel = select(found, {"make": 1, "make-guile": 1}, DiscoveryConfig())
    assert sel.catalogs == {"make": ("make",)}
    assert sel.left_out == {"make-guile": "same-domains-as:make"}
