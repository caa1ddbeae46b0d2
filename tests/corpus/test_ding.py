"""Ding's example sentences, on a tiny dictionary file written here (invented entries)."""

from __future__ import annotations

from pathlib import Path

from nmt.corpus.sources import ding
from nmt.corpus.types import RawPair, SourceContext

LINES = [
    "# Version :: devel test",
    "Haus {n} | Das Haus ist groß. :: house | The house is big.",
    "Das ist mir egal. [ugs.]; Ist mir gleich. :: I don't care. [coll.]; Whatever.",
    "Wort {n} | Wörter {pl} | Das Wort zählt. :: word | The word counts.",
    "Er kam (endlich) nach Hause. :: He came home at last.",
    "Sie kam gestern / heute an. :: She arrived yesterday / today.",
    "Wie weit ist … gediehen? :: How far has … progressed?",
    "das ist gut so. :: that is fine.",
    "Gut gemacht! :: Well done!",
    "Ein Satz ohne Trenner",
    "Kommst du heute Abend? :: Are you coming tonight?",
]


def make_ctx(tmp_path: Path, lang: str = "de", extra: bytes = b"") -> SourceContext:
    root = tmp_path / "trans-de-en"
    path = root / "usr/share/trans/de-en"
    path.parent.mkdir(parents=True)
    path.write_bytes("\n".join(LINES).encode() + b"\n" + extra)
    return SourceContext(lang, {"trans-de-en": root}, tmp_path / "lists")


def test_extract_keeps_clean_sentences_english_first(tmp_path: Path) -> None:
    ctx = make_ctx(tmp_path, extra=b"Kaputt \xff ist es. :: It is broken.\n")
    pairs = list(ding.extract(ctx))
    assert pairs == [
        RawPair("The house is big.", "Das Haus ist groß.", "trans-de-en"),
        RawPair("I don't care.", "Das ist mir egal.", "trans-de-en"),
        RawPair("Are you coming tonight?", "Kommst du heute Abend?", "trans-de-en"),
    ]
    assert dict(ctx.skipped) == {
        "ding/not-a-sentence": 3,  # "house", "das ist gut so." (lower-case), "Gut gemacht!"
        "ding/part-count-mismatch": 1,
        "ding/parenthesis": 1,
        "ding/slash": 1,
        "ding/ellipsis": 1,
        "ding/malformed-line": 1,
        "ding/undecodable-line": 1,
    }
    assert pairs == list(ding.extract(make_ctx(tmp_path / "again")))


def test_clean_part_and_rules() -> None:
    assert ding.clean_part("Das ist mir egal. [ugs.]; Ist mir gleich.") == "Das ist mir egal."
    assert ding.clean_part("Er {m} sagt  das.") == "Er sagt das."
    assert ding.is_sentence("Is it done?")
    assert not ding.is_sentence("Done, done!") and not ding.is_sentence("is it done?")
    assert ding.rejection("It is (really) done.", "Es ist fertig.") == "ding/parenthesis"


def test_other_languages_and_missing_package(tmp_path: Path) -> None:
    assert list(ding.extract(make_ctx(tmp_path, lang="fr"))) == []
    ctx = SourceContext("de", {}, tmp_path)
    assert list(ding.extract(ctx)) == []
    assert ctx.skipped == {"ding/missing-package": 1}
