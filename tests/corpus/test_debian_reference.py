"""Debian reference extractor on tiny DocBook-like XHTML parts written by the test (own text)."""

from __future__ import annotations

from pathlib import Path

from nmt.corpus.sources import debian_reference
from nmt.corpus.sources.markup import parse_xml
from nmt.corpus.types import SourceContext

PART = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
  <head><title>{h1}</title></head>
  <body>
    <div class="navheader"><table><tr><th>{h1}</th></tr><tr><td>Prev</td></tr></table></div>
    <div class="chapter">
      <h1 class="title"><a id="x"/>{h1}</h1>
      <div class="toc"><p><strong>{toc}</strong></p></div>
      <p>{p1}
        <code class="literal">apt-get</code>\t{p2}</p>
      <div class="itemizedlist"><ul><li><p>{li}</p></li></ul></div>
      <pre class="screen">$ apt-get update</pre>
      <table><tr><th>{th}</th><td><code>aptitude</code></td><td>{td}</td></tr></table>
      {extra}
    </div>
    <div class="navfooter"><p>Home</p></div>
  </body>
</html>
"""
EN = {
    "h1": "Chapter 2. Package management",
    "toc": "Table of Contents",
    "p1": "Use",
    "p2": "to install packages.",
    "li": "Read the manual.",
    "th": "package",
    "td": "terminal-based package manager",
    "extra": "",
}
DE = {
    "h1": "Kapitel 2. Paketverwaltung",
    "toc": "Inhaltsverzeichnis",
    "p1": "Verwenden Sie",
    "p2": "zum Installieren von Paketen.",
    "li": "Lesen Sie das Handbuch.",
    "th": "Paket",
    "td": "terminal-basierter Paketmanager",
    "extra": "",
}
EXPECTED = [
    ("Chapter 2. Package management", "Kapitel 2. Paketverwaltung"),
    ("Use apt-get to install packages.", "Verwenden Sie apt-get zum Installieren von Paketen."),
    ("Read the manual.", "Lesen Sie das Handbuch."),
    ("package", "Paket"),
    ("aptitude", "aptitude"),
    ("terminal-based package manager", "terminal-basierter Paketmanager"),
]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _context(tmp_path: Path, lang: str = "de") -> SourceContext:
    en_pkg, tr_pkg = tmp_path / "en", tmp_path / lang
    en, tr = en_pkg / "usr/share/debian-reference", tr_pkg / "usr/share/debian-reference"
    _write(en / "ch02.en.html", PART.format(**EN))
    _write(tr / f"ch02.{lang}.html", PART.format(**DE))
    # Structure mismatch: the translation has an extra paragraph.
    _write(en / "ch03.en.html", PART.format(**EN))
    _write(tr / f"ch03.{lang}.html", PART.format(**{**DE, "extra": "<p>Zusatz.</p>"}))
    # Malformed translation, and a part without translation.
    _write(en / "ch04.en.html", PART.format(**EN))
    _write(tr / f"ch04.{lang}.html", "<html><body><p>kaputt</body></html>")
    _write(en / "apa.en.html", PART.format(**EN))
    return SourceContext(
        lang=lang,
        packages={"debian-reference-en": en_pkg, f"debian-reference-{lang}": tr_pkg},
        apt_lists=tmp_path,
    )


def test_zips_blocks_of_matching_parts(tmp_path: Path) -> None:
    pairs = list(debian_reference.extract(_context(tmp_path)))
    assert [(p.source, p.target) for p in pairs] == EXPECTED
    assert {p.origin for p in pairs} == {"debian-reference/ch02"}


def test_counts_what_it_skips(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    list(debian_reference.extract(ctx))
    assert ctx.skipped == {
        "debian-reference/missing-part": 1,
        "debian-reference/structure-mismatch": 1,
        "debian-reference/bad-xml": 1,
    }


def test_other_language_uses_its_file_names(tmp_path: Path) -> None:
    pairs = list(debian_reference.extract(_context(tmp_path, lang="fr")))
    assert [(p.source, p.target) for p in pairs] == EXPECTED


def test_no_tab_or_newline_survives(tmp_path: Path) -> None:
    pairs = list(debian_reference.extract(_context(tmp_path)))
    assert pairs
    for pair in pairs:
        for text in (pair.source, pair.target):
            assert "\t" not in text and "\n" not in text
            assert text == text.strip() and "  " not in text


def test_blocks_leave_out_nested_blocks_and_navigation(tmp_path: Path) -> None:
    path = tmp_path / "x.html"
    _write(path, PART.format(**EN))
    root = parse_xml(path, SourceContext("de", {}, tmp_path), "t")
    assert root is not None
    names = [name for name, _ in debian_reference.blocks(root)]
    # li wraps a p: it is listed (empty) so that the structure is compared, but has no own text
    assert names == ["h1", "p", "li", "p", "th", "td", "td"]
    assert dict(debian_reference.blocks(root))["li"] == ""
