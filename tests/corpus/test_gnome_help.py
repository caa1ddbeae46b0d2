"""GNOME help extractor on tiny Mallard pages written by the test (own text, no licence needed)."""

from __future__ import annotations

from pathlib import Path

from nmt.corpus.sources import gnome_help
from nmt.corpus.types import SourceContext

EN_PAGE = """<page xmlns="http://projectmallard.org/1.0/" id="{id}">
  <info>
    <desc>Change the\tvolume.</desc>
    <credit type="author"><name>A. Author</name></credit>
  </info>
  <title>Sound   settings</title>
  <p>Open the <gui>Sound</gui> panel
  and move the <em>slider</em>.</p>
  <steps><item><p>Click <link xref="x">here</link>.</p></item></steps>
  <p><media src="a.png"/></p>
  {extra}
</page>
"""
DE_PAGE = """<?xml version="1.0" encoding="utf-8"?>
<page xmlns="http://projectmallard.org/1.0/" id="{id}" xml:lang="de">
  <info>
    <desc>Die Lautstärke ändern.</desc>
    <credit type="author"><name>A. Author</name></credit>
    <mal:credit xmlns:mal="http://projectmallard.org/1.0/" type="translator copyright">
      <mal:name>Ü. Bersetzer</mal:name>
    </mal:credit>
  </info>
  <title>Klangeinstellungen</title>
  <p>Öffnen Sie die Leiste <gui>Klang</gui>
  und verschieben Sie den <em>Regler</em>.</p>
  <steps><item><p>Klicken Sie <link xref="x">hier</link>.</p></item></steps>
  <p><media src="a.png"/></p>
  {extra}
</page>
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _context(tmp_path: Path) -> SourceContext:
    help_dir = tmp_path / "gnome-user-docs" / "usr/share/help"
    en, de = help_dir / "C", help_dir / "de"
    _write(en / "gnome-help/sound.page", EN_PAGE.format(id="sound", extra=""))
    _write(de / "gnome-help/sound.page", DE_PAGE.format(id="sound", extra=""))
    # Structure mismatch: the translation has one paragraph more.
    _write(en / "gnome-help/more.page", EN_PAGE.format(id="more", extra=""))
    _write(de / "gnome-help/more.page", DE_PAGE.format(id="more", extra="<p>Noch etwas.</p>"))
    # Malformed translation: unclosed element.
    _write(en / "gnome-help/broken.page", EN_PAGE.format(id="broken", extra=""))
    _write(de / "gnome-help/broken.page", "<page><p>kaputt</page>")
    # English only.
    _write(en / "gnome-help/lonely.page", EN_PAGE.format(id="lonely", extra=""))
    # The second guide of the package is read too.
    _write(en / "system-admin-guide/admin.page", "<page><title>Admin</title></page>")
    _write(de / "system-admin-guide/admin.page", "<page><title>Verwaltung</title></page>")
    return SourceContext(
        lang="de", packages={"gnome-user-docs": tmp_path / "gnome-user-docs"}, apt_lists=tmp_path
    )


def test_zips_segments_of_matching_pages(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    pairs = list(gnome_help.extract(ctx))
    assert [(p.source, p.target) for p in pairs] == [
        ("Change the volume.", "Die Lautstärke ändern."),
        ("Sound settings", "Klangeinstellungen"),
        (
            "Open the Sound panel and move the slider.",
            "Öffnen Sie die Leiste Klang und verschieben Sie den Regler.",
        ),
        ("Click here.", "Klicken Sie hier."),
        ("Admin", "Verwaltung"),
    ]
    assert pairs[0].origin == "gnome-user-docs/gnome-help/sound.page"
    assert pairs[-1].origin == "gnome-user-docs/system-admin-guide/admin.page"


def test_counts_what_it_skips(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    list(gnome_help.extract(ctx))
    assert ctx.skipped == {
        "gnome-user-docs/structure-mismatch": 1,
        "gnome-user-docs/bad-xml": 1,
        "gnome-user-docs/missing-page": 1,
        "gnome-user-docs/empty": 1,  # the image-only paragraph
    }


def test_no_tab_or_newline_survives(tmp_path: Path) -> None:
    pairs = list(gnome_help.extract(_context(tmp_path)))
    assert pairs
    for pair in pairs:
        for text in (pair.source, pair.target):
            assert "\t" not in text and "\n" not in text
            assert text == text.strip() and "  " not in text


def test_one_sided_empty_segment_is_counted(tmp_path: Path) -> None:
    base = tmp_path / "gnome-user-docs/usr/share/help"
    _write(base / "C/gnome-help/a.page", "<page><p>Text</p><p>More</p></page>")
    _write(base / "de/gnome-help/a.page", "<page><p> </p><p>Mehr</p></page>")
    ctx = SourceContext("de", {"gnome-user-docs": tmp_path / "gnome-user-docs"}, tmp_path)
    assert [(p.source, p.target) for p in gnome_help.extract(ctx)] == [("More", "Mehr")]
    assert ctx.skipped == {"gnome-user-docs/empty": 1}
