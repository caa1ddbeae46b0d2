"""Man page extractor on tiny roff pages written by the test (own text, no licence needed)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from nmt.corpus.sources import manpages
from nmt.corpus.types import SourceContext

EN_PAGE = r""".\" Copyright line: a comment
.TH FROB 2 2023-01-01 "Linux man-pages 6.03"
.SH NAME
frob \- frobnicate a file
.SH SYNOPSIS
.nf
.B #include <frob.h>
.PP
.BI "int frob(const char *" path );
.fi
.SH DESCRIPTION
.BR frob ()
frobnicates the file named by
.IR path .
It uses \fBO_RDONLY\fP and \f(CWfoo\fR \(em always.\" trailing comment
.PP
.EX
frob("x");
.EE
.SS Errors
.TP
.B EACCES
Permission was denied\(aqs.
.IP \(bu 2
Quoted \(dqword\(dq and \e and a\ b.
.SH "SEE ALSO"
.BR open (2),
.BR close (2)
"""
DE_PAGE = r""".\" Kommentar
.TH FROB 2 "1. Januar 2023" "Linux man\-pages 6.03"
.SH BEZEICHNUNG
frob \- eine Datei frobnizieren
.SH ÜBERSICHT
.nf
\fB#include <frob.h>\fP
.PP
\fBint frob(const char *\fP\fIPfad\fP\fB);\fP
.fi
.SH BESCHREIBUNG
\fBfrob\fP() frobniziert die durch \fIPfad\fP benannte Datei. Es verwendet
\fBO_RDONLY\fP und \f[CW]foo\fP \[em] immer.
.PP
.EX
frob("x");
.EE
.SS Fehler
.TP
\fBEACCES\fP
Die Berechtigung wurde verweigert\[aq]s.
.IP \(bu 2
Zitiertes \(dqWort\(dq und \e und a\ b.
.SH "SIEHE AUCH"
\fBopen\fP(2), \fBclose\fP(2)
.PP
.SH ÜBERSETZUNG
Die deutsche Übersetzung wurde von
.MT someone@example.org
Jemand
.ME
erstellt.
""".replace(".TP\n", ".TP \n")  # po4a writes `.TP ` with a trailing space
EXPECTED = [
    ("NAME", "BEZEICHNUNG"),
    ("frob - frobnicate a file", "frob - eine Datei frobnizieren"),
    ("SYNOPSIS", "ÜBERSICHT"),
    ("DESCRIPTION", "BESCHREIBUNG"),
    (
        "frob() frobnicates the file named by path. It uses O_RDONLY and foo — always.",
        "frob() frobniziert die durch Pfad benannte Datei. Es verwendet O_RDONLY und foo — immer.",
    ),
    ("Errors", "Fehler"),
    ("EACCES", "EACCES"),
    ("Permission was denied's.", "Die Berechtigung wurde verweigert's."),
    ("•", "•"),
    ('Quoted "word" and \\ and a b.', 'Zitiertes "Wort" und \\ und a b.'),
    ("SEE ALSO", "SIEHE AUCH"),
    ("open(2), close(2)", "open(2), close(2)"),
]


def _write_gz(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode("utf-8")))


def _context(tmp_path: Path) -> SourceContext:
    pkgs = {name: tmp_path / name for name in manpages_packages()}
    en2 = pkgs["manpages-dev"] / "usr/share/man/man2"
    de2 = pkgs["manpages-de-dev"] / "usr/share/man/de/man2"
    _write_gz(en2 / "frob.2.gz", EN_PAGE)
    _write_gz(de2 / "frob.2.gz", DE_PAGE)
    # Links to the same pages on both sides: read once.
    (en2 / "frob64.2.gz").symlink_to("frob.2.gz")
    (de2 / "frob64.2.gz").symlink_to("frob.2.gz")
    # A translation with one paragraph more.
    _write_gz(en2 / "mis.2.gz", ".SH NAME\nmis \\- one\n")
    _write_gz(de2 / "mis.2.gz", ".SH NAME\nmis \\- eins\n.PP\nZusatz.\n")
    # `.so` redirect, broken gzip, English-only and translation-only pages.
    _write_gz(en2 / "alias.2.gz", '.\\" redirect\n.so man2/frob.2\n')
    _write_gz(de2 / "alias.2.gz", ".so man2/frob.2\n")
    _write_gz(en2 / "bad.2.gz", ".SH NAME\nbad\n")
    (de2 / "bad.2.gz").write_bytes(b"not gzip at all")
    _write_gz(en2 / "only-en.2.gz", ".SH NAME\nx\n")
    # An uncompressed page in the non-dev packages.
    en7 = pkgs["manpages"] / "usr/share/man/man7"
    de7 = pkgs["manpages-de"] / "usr/share/man/de/man7"
    en7.mkdir(parents=True)
    de7.mkdir(parents=True)
    (en7 / "plain.7").write_text(".SH NAME\nplain \\- a page\n", encoding="utf-8")
    (de7 / "plain.7").write_text(".SH NAME\nplain \\- eine Seite\n", encoding="utf-8")
    _write_gz(de7 / "only-de.7.gz", ".SH NAME\nx\n")
    return SourceContext(lang="de", packages=pkgs, apt_lists=tmp_path)


def manpages_packages() -> list[str]:
    return ["manpages", "manpages-dev", "manpages-de", "manpages-de-dev"]


def test_zips_blocks_of_matching_pages(tmp_path: Path) -> None:
    pairs = list(manpages.extract(_context(tmp_path)))
    frob = [(p.source, p.target) for p in pairs if p.origin == "manpages/man2/frob.2"]
    assert frob == EXPECTED
    plain = [(p.source, p.target) for p in pairs if p.origin == "manpages/man7/plain.7"]
    assert plain == [("NAME", "NAME"), ("plain - a page", "plain - eine Seite")]
    # sorted page names: man2/... before man7/..., and frob64 adds nothing
    assert [p.origin for p in pairs] == ["manpages/man2/frob.2"] * len(EXPECTED) + [
        "manpages/man7/plain.7"
    ] * 2


def test_counts_what_it_skips(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    list(manpages.extract(ctx))
    assert ctx.skipped == {
        "manpages/duplicate-link": 1,
        "manpages/structure-mismatch": 1,
        "manpages/redirect": 1,
        "manpages/bad-gzip": 1,
        "manpages/untranslated-page": 1,
        "manpages/no-english-page": 1,
    }


def test_no_tab_or_newline_survives(tmp_path: Path) -> None:
    pairs = list(manpages.extract(_context(tmp_path)))
    assert pairs
    for pair in pairs:
        for text in (pair.source, pair.target):
            assert "\t" not in text and "\n" not in text
            assert text == text.strip() and "  " not in text


@pytest.mark.parametrize(
    ("roff", "text"),
    [
        (r"\fBbold\fP \fIit\fR \f(CWcw\fP \f[B]b\f[]", "bold it cw b"),
        (r"a\-b \(aqq\(aq \(dqd\(dq \e \&.x", "a-b 'q' \"d\" \\ .x"),
        (r"\[aq]x\[aq] \[u00E4] \(em \*(lqq\*(rq", "'x' ä — “q”"),
        (r"a\ b\~c \s-1SMALL\s0 \%hy\:p", "a b c SMALL hyp"),
        (r"\\fB", "\\fB"),
    ],
)
def test_roff_text_escapes(roff: str, text: str) -> None:
    assert manpages.roff_text(roff) == text


def test_split_args_and_comments() -> None:
    assert manpages.split_args(r'"int frob(const char *" path );') == [
        "int frob(const char *",
        "path",
        ");",
    ]
    assert manpages.split_args(r'a\ b "say ""hi""" c') == [r"a\ b", 'say "hi"', "c"]
    assert manpages.strip_comment(r"text \" comment") == "text "
    assert manpages.strip_comment(r"a\\\" b") == "a\\\\"


def test_font_macros_join_arguments() -> None:
    blocks = manpages.parse_page(
        ".PP\n.BR open (2),\n.B two words\n.IR file .h\n.RB [ \\-x ]\n.I\nnext line\n"
    )
    assert blocks == [("PP", "open(2), two words file.h [-x] next line")]


def test_tags_headings_and_skipped_displays() -> None:
    page = "\n".join(
        [
            ".SH",
            "HEADING ON NEXT LINE",
            "body",
            ".TP\t8",
            ".nf",
            "tag in a display",
            ".fi",
            "description",
            ".TS",
            "tab;",
            "l l.",
            ".TE",
            ".if t \\{\\",
            "typesetter only",
            "\\}",
            ".in +4",
            "indented \\c",
            "glued",
            ".UR https://example.org",
            "a link",
            ".UE .",
        ]
    )
    assert manpages.parse_page(page) == [
        ("SH", "HEADING ON NEXT LINE"),
        ("PP", "body"),
        ("TP", "description indented glued a link."),
    ]


def test_translator_section_is_removed() -> None:
    blocks = [("SH", "NAME"), ("PP", "x"), ("SH", "ÜBERSETZUNG"), ("PP", "y")]
    assert manpages.strip_addendum(blocks, "de") == blocks[:2]
    assert manpages.strip_addendum(blocks, "fr") == blocks
