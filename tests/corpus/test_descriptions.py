"""Package descriptions from apt's Translation index files, on tiny invented indexes."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from nmt.corpus.sources import descriptions
from nmt.corpus.types import RawPair, SourceContext

ENGLISH = """\
Package: frob
Description-md5: aaaa
Description-en: tool to frob widgets
 Frob frobs widgets quickly
 and safely.
 .
 Features:
  * fast frobbing;
  * safe frobbing
    with a long wrapped item.
 .
 Example:
   $ frob --all

Package: frob-doc
Description-md5: bbbb
Description-en: documentation for frob
 This package contains the manual.

Package: blat
Description-md5: cccc
Description-en: blat utility
 One paragraph.
 .
 Another paragraph.

Package: untranslated
Description-md5: dddd
Description-en: nobody translated this
"""

GERMAN = """\
Package: frob
Description-md5: aaaa
Description-de: Werkzeug zum Frobben von Widgets
 Frob frobbt Widgets schnell
 und sicher.
 .
 Funktionen:
  * schnelles Frobben;
  * sicheres Frobben
    mit einem langen umbrochenen Eintrag.
 .
 Beispiel:
   $ frob --all

Package: frob-doc
Description-md5: bbbb
Description-de: Dokumentation für Frob
 Dieses Paket enthält das Handbuch.

Package: frob-doc-again
Description-md5: bbbb
Description-de: Dokumentation für Frob
 Dieses Paket enthält das Handbuch.

Package: blat
Description-md5: cccc
Description-de: Blat-Werkzeug
 Ein Absatz und noch einer.

Package: ghost
Description-md5: eeee
Description-de: Ohne englisches Original

Package: broken
Description-de: ohne md5
"""

PREFIX = "deb.example.org_debian_dists_bookworm_main_i18n_"


def write_lists(folder: Path, compress: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for lang, text in (("en", ENGLISH), ("de", GERMAN)):
        path = folder / f"{PREFIX}Translation-{lang}"
        path.write_text(text, encoding="utf-8")
        if compress == "gz":
            path.with_name(path.name + ".gz").write_bytes(gzip.compress(text.encode()))
            path.unlink()
        elif compress == "lz4":
            subprocess.run(["lz4", "-q", "--rm", str(path), f"{path}.lz4"], check=True)
    # Another language and a stray file must be ignored.
    (folder / f"{PREFIX}Translation-de_AT").write_text("Package: x\n", encoding="utf-8")
    (folder / f"{PREFIX}Translation-de.diff").mkdir()
    return folder


EXPECTED = [
    RawPair("tool to frob widgets", "Werkzeug zum Frobben von Widgets", "debian-descriptions/frob"),
    RawPair(
        "Frob frobs widgets quickly and safely.",
        "Frob frobbt Widgets schnell und sicher.",
        "debian-descriptions/frob",
    ),
    RawPair("Features:", "Funktionen:", "debian-descriptions/frob"),
    RawPair("fast frobbing;", "schnelles Frobben;", "debian-descriptions/frob"),
    RawPair(
        "safe frobbing with a long wrapped item.",
        "sicheres Frobben mit einem langen umbrochenen Eintrag.",
        "debian-descriptions/frob",
    ),
    RawPair("documentation for frob", "Dokumentation für Frob", "debian-descriptions/frob-doc"),
    RawPair(
        "This package contains the manual.",
        "Dieses Paket enthält das Handbuch.",
        "debian-descriptions/frob-doc",
    ),
    RawPair("blat utility", "Blat-Werkzeug", "debian-descriptions/blat"),
]
EXPECTED_SKIPS = {
    "descriptions/verbatim-paragraph": 1,  # the `$ frob --all` example
    "descriptions/duplicate-md5": 1,  # frob-doc-again
    "descriptions/paragraph-count-mismatch": 1,  # blat: 2 paragraphs vs 1
    "descriptions/no-english": 1,  # ghost
    "descriptions/incomplete-stanza": 1,  # broken: no md5
}


@pytest.mark.parametrize("compress", ["", "gz"])
def test_extract_pairs_descriptions(tmp_path: Path, compress: str) -> None:
    ctx = SourceContext("de", {}, write_lists(tmp_path / "lists", compress))
    pairs = list(descriptions.extract(ctx))
    assert pairs == EXPECTED
    assert dict(ctx.skipped) == EXPECTED_SKIPS
    assert all(p.unit == "" for p in pairs)


@pytest.mark.skipif(shutil.which("lz4") is None, reason="needs the lz4 command to compress")
@pytest.mark.skipif(not Path(descriptions.APT_HELPER).exists(), reason="needs apt-helper")
def test_extract_reads_lz4_through_apt_helper(tmp_path: Path) -> None:
    ctx = SourceContext("de", {}, write_lists(tmp_path / "lists", "lz4"))
    assert list(descriptions.extract(ctx)) == EXPECTED


def test_no_index_is_counted(tmp_path: Path) -> None:
    ctx = SourceContext("fr", {}, write_lists(tmp_path / "lists"))
    assert list(descriptions.extract(ctx)) == []
    assert ctx.skipped == {"descriptions/no-index": 1}


def test_unreadable_index_is_counted(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / f"{PREFIX}Translation-de.gz").write_bytes(b"not gzip")
    ctx = SourceContext("de", {}, lists)
    assert list(descriptions.extract(ctx)) == []
    assert ctx.skipped == {"descriptions/unreadable-file": 1, "descriptions/no-index": 1}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["Plain text", "wrapped."], ["Plain text wrapped."]),
        (["Intro:", " - one", " - two", "   wrapped"], ["Intro:", "one", "two wrapped"]),
        (["* margin item", "wrapped", "* next"], ["margin item wrapped", "next"]),
        (["A dash", "- in wrapped text."], ["A dash - in wrapped text."]),
        (["List:", " * a", "Outro."], ["List:", "a", "Outro."]),
        (["Code:", "  $ make"], None),
    ],
)
def test_blocks(lines: list[str], expected: list[str] | None) -> None:
    assert descriptions.blocks(lines) == expected
