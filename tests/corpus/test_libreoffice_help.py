"""LibreOffice help extractor on tiny help pages written by the test (own text, no licence needed).

The fixtures copy the shape of the generated help HTML: a page header with ids that are not
paired, `par_id`/`hd_id`/`bm_id` elements, inline `switchinline` platform variants and a block
`switch` whose cases are hidden spans.
"""

from __future__ import annotations

from pathlib import Path

from nmt.corpus.sources import libreoffice_help
from nmt.corpus.types import SourceContext

PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<script>var x = "<p id='par_id9'>not text</p>";</script></head>
<body><header id="TopLeftHeader"><p id="bm_module" dir="auto"></p></header>
<div id="DisplayArea">
<a name="bm_id1"></a>
<h1 id="bm_id100" dir="auto">{h1}</h1>
<h2 id="hd_id1" dir="auto"><a href="x.html">{h2}</a></h2>
<p id="par_id1" class="paragraph">{p1a}<br>
<span class="emph">{p1b}</span>\t{p1c}</p>
<p id="par_id2" class="paragraph">{choose} <span id="swlnsys1" class="switchinline"><span
 hidden="true" id="MACtext1" class="MAC"><span class="emph">{mac}</span></span><span
 hidden="true" id="defaulttext1"><span class="emph">{default}</span></span></span>.</p>
<span id="swlnsys2" class="switch"><span hidden="true" id="WINtext2" class="WIN">
<p id="par_id3" class="paragraph">{win}</p></span></span>
<p class="embedded">{unpaired}</p>
<p id="par_id4"><img src="a.png" alt="icon"></p>
<h2 id="bm_id100" dir="auto">{h1}</h2>
{extra}
</div></body></html>
"""
EN = {
    "lang": "en-US",
    "title": "Title",
    "h1": "Load options",
    "h2": "General",
    "p1a": "Specifies the",
    "p1b": "general",
    "p1c": "settings.",
    "choose": "Choose",
    "mac": "LibreOffice - Preferences",
    "default": "Tools - Options",
    "win": "Windows only.",
    "unpaired": "Not an id element.",
    "extra": "",
}
DE = {
    "lang": "de",
    "title": "Titel",
    "h1": "Ladeoptionen",
    "h2": "Allgemein",
    "p1a": "Legt die",
    "p1b": "allgemeinen",
    "p1c": "Einstellungen fest.",
    "choose": "Wählen Sie",
    "mac": "LibreOffice – Einstellungen",
    "default": "Extras – Optionen",
    "win": "Nur Windows.",
    "unpaired": "Kein Element mit Id.",
    "extra": "",
}
EXPECTED = [
    ("Load options", "Ladeoptionen"),
    ("General", "Allgemein"),
    ("Specifies the general settings.", "Legt die allgemeinen Einstellungen fest."),
    ("Choose Tools - Options.", "Wählen Sie Extras – Optionen."),
    ("Load options", "Ladeoptionen"),  # the second occurrence of bm_id100
]


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def _context(tmp_path: Path) -> SourceContext:
    en_pkg, de_pkg = tmp_path / "en", tmp_path / "de"
    en = en_pkg / "usr/share/libreoffice/help/en-US/text"
    de = de_pkg / "usr/share/libreoffice/help/de/text"
    _write(en / "shared/optionen/01.html", PAGE.format(**EN))
    _write(de / "shared/optionen/01.html", PAGE.format(**DE))
    # The translation lacks one id of the English page.
    _write(en / "swriter/02.html", PAGE.format(**{**EN, "extra": '<p id="par_id5">Extra.</p>'}))
    _write(de / "swriter/02.html", PAGE.format(**DE))
    # English only, and a translation that is not UTF-8.
    _write(en / "scalc/03.html", PAGE.format(**EN))
    _write(en / "scalc/04.html", PAGE.format(**EN))
    _write(de / "scalc/04.html", PAGE.format(**DE).encode("cp1252"))
    return SourceContext(
        lang="de",
        packages={"libreoffice-help-en-us": en_pkg, "libreoffice-help-de": de_pkg},
        apt_lists=tmp_path,
    )


def test_pairs_elements_by_file_and_id(tmp_path: Path) -> None:
    pairs = list(libreoffice_help.extract(_context(tmp_path)))
    texts = [(p.source, p.target) for p in pairs]
    # sorted paths: shared/optionen/01.html, swriter/02.html (scalc files are skipped)
    assert texts == EXPECTED + EXPECTED
    assert pairs[0].origin == "libreoffice-help-de/shared/optionen/01.html"
    assert pairs[-1].origin == "libreoffice-help-de/swriter/02.html"


def test_platform_variants_keep_only_default(tmp_path: Path) -> None:
    pairs = list(libreoffice_help.extract(_context(tmp_path)))
    joined = " ".join(p.source + " " + p.target for p in pairs)
    assert "Preferences" not in joined and "Einstellungen fest" in joined
    assert "Windows" not in joined  # par_id3 lives only in the hidden WIN case
    assert "not text" not in joined  # script content


def test_counts_what_it_skips(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    list(libreoffice_help.extract(ctx))
    assert ctx.skipped == {
        "libreoffice-help/missing-page": 1,  # scalc/03.html
        "libreoffice-help/bad-encoding": 1,  # scalc/04.html
        "libreoffice-help/missing-id": 1,  # par_id5 of swriter/02.html
        "libreoffice-help/platform-variant": 2,  # par_id3 of both read pages
        "libreoffice-help/empty": 2,  # the image-only par_id4 of both read pages
    }


def test_no_tab_or_newline_survives(tmp_path: Path) -> None:
    pairs = list(libreoffice_help.extract(_context(tmp_path)))
    assert pairs
    for pair in pairs:
        for text in (pair.source, pair.target, pair.origin):
            assert "\t" not in text and "\n" not in text
            assert text == text.strip() and "  " not in text


def test_parse_page_survives_unclosed_and_stray_tags(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        '<div><p id="par_id1">one <b>bold</i> text</div></span><p id="hd_id2">two',
        encoding="utf-8",
    )
    parsed = libreoffice_help.parse_page(page)
    assert parsed.error == ""
    assert parsed.elements == [(("par_id1", 0), "one bold text"), (("hd_id2", 0), "two")]
