"""The LibreOffice/gettext extractors, on tiny catalogs written here."""

from __future__ import annotations

from pathlib import Path

from nmt.corpus.sources import gettext_mo
from nmt.corpus.types import RawPair, SourceContext
from tests.corpus.test_mo_file import build_mo


def test_split_lines_pairs_lines_only_when_counts_agree() -> None:
    assert gettext_mo.split_lines("One\n\nTwo\n", "Eins\nZwei") == [
        ("One", "Eins"),
        ("Two", "Zwei"),
    ]
    assert gettext_mo.split_lines("One\ntwo", "Eins zwei") == [("One two", "Eins zwei")]
    assert gettext_mo.split_lines("a\tb   c", "x \t y") == [("a b c", "x y")]


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# Enough translated GTK-style labels for the catalog to be detected as using `_` accelerators.
LABELS = {
    "_Open": "Ö_ffnen",
    "_Save": "_Speichern",
    "_Close": "_Schließen",
    "_Quit": "_Beenden",
    "_Edit": "_Bearbeiten",
    "_View": "_Ansicht",
    "_Help": "_Hilfe",
    "_Delete": "_Löschen",
    "_Rename": "_Umbenennen",
    "_Print": "_Drucken",
    "_Copy": "_Kopieren",
}


def test_extract_catalogs(tmp_path: Path) -> None:
    tool = tmp_path / "tool"
    write(
        tool / "usr/share/locale/de/LC_MESSAGES/tool.mo",
        build_mo(
            {
                "Run pg_dump first": "Erst pg_dump starten",
                "K&R style": "K&R-Stil",
                "%<%s%> is unused": "%<%s%> wird nicht benutzt",
                "Untranslated": "",
                "Line one\nLine two\n": "Zeile eins\nZeile zwei\n",
                "%d file\x00%d files": "%d Datei\x00%d Dateien",
                "ctx\x04Open": "Öffnen",
                "Lang|Armenian": "Armenisch",
                "publication_name": "Publikationsname",
            },
            order=">",
        ),
    )
    write(tool / "usr/share/locale/de_AT/LC_MESSAGES/tool.mo", build_mo({"Jan": "Jän"}))
    write(tool / "usr/share/locale/fr/LC_MESSAGES/tool.mo", build_mo({"Open": "Ouvrir"}))
    gui = tmp_path / "gui"
    write(gui / "opt/gui/locale/de/LC_MESSAGES/gui.mo", build_mo(LABELS))
    write(gui / "usr/share/locale/de/LC_MESSAGES/broken.mo", b"not a catalog")

    ctx = SourceContext("de", {"tool": tool, "gui": gui}, tmp_path / "lists")
    pairs = list(gettext_mo.extract_catalogs(ctx))

    tool_pairs = {(p.source, p.target) for p in pairs if p.origin == "tool/tool"}
    assert tool_pairs == {
        ("Run pg_dump first", "Erst pg_dump starten"),
        ("K&R style", "K&R-Stil"),
        ("‘%s’ is unused", "‘%s’ wird nicht benutzt"),
        ("Line one", "Zeile eins"),
        ("Line two", "Zeile zwei"),
        ("%d file", "%d Datei"),
        ("%d files", "%d Dateien"),  # msgid_plural -> msgstr[1]
        ("Open", "Öffnen"),
        ("Armenian", "Armenisch"),
    }
    gui_pairs = {(p.source, p.target) for p in pairs if p.origin == "gui/gui"}
    assert ("Open", "Öffnen") in gui_pairs
    assert ("Save", "Speichern") in gui_pairs
    assert len(gui_pairs) == len(LABELS)
    assert all(p.unit == "" for p in pairs)
    # Packages in name order: gui before tool; the broken catalog is counted, not fatal.
    assert [p.origin for p in pairs] == sorted(p.origin for p in pairs)
    assert ctx.skipped == {
        "gettext/untranslated": 1,
        "gettext/identifier": 1,
        "gettext/bad-file": 1,
    }
    assert pairs == list(gettext_mo.extract_catalogs(SourceContext("de", ctx.packages, tmp_path)))


def test_extract_libreoffice_ui(tmp_path: Path) -> None:
    package = tmp_path / "libreoffice-l10n-de"
    folder = package / "usr/lib/libreoffice/program/resource/de/LC_MESSAGES"
    write(
        folder / "sw.mo",
        build_mo(
            {
                "STR_A\x04~Insert": "~Einfügen",
                "dialog|label\x04Pa~ges:": "S~eiten:",
                "dialog|other\x04Name of the a_ttachment": "Name des An_hangs",
                "STR_B\x04Drag & Drop": "Ziehen & Ablegen",
                "STR_C\x04Untranslated": "",
            }
        ),
    )
    write(folder / "acc.mo", build_mo({"_OK": "_OK"}))
    ctx = SourceContext("de", {"libreoffice-l10n-de": package}, tmp_path / "lists")
    pairs = list(gettext_mo.extract_libreoffice_ui(ctx))
    assert pairs[0] == RawPair("OK", "OK", "libreoffice-l10n-de/acc")
    assert {(p.source, p.target) for p in pairs[1:]} == {
        ("Insert", "Einfügen"),
        ("Pages:", "Seiten:"),
        ("Name of the attachment", "Name des Anhangs"),
        ("Drag & Drop", "Ziehen & Ablegen"),
    }
    assert {p.origin for p in pairs[1:]} == {"libreoffice-l10n-de/sw"}
    assert ctx.skipped == {"gettext/untranslated": 1}


def test_missing_package_is_counted(tmp_path: Path) -> None:
    ctx = SourceContext("de", {}, tmp_path)
    assert list(gettext_mo.extract_libreoffice_ui(ctx)) == []
    assert ctx.skipped == {"gettext/missing-package": 1}
