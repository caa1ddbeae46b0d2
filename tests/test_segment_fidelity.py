"""Preprocessing version 2 (issue 14): pass-through of uncovered characters, command lines and
help columns, glossaries, and the versioning that keeps version-1 bundles unchanged.

Fixtures are this file's own text. The property tests use Hypothesis with a fixed seed
(`derandomize`), so they are deterministic."""

from __future__ import annotations

import collections
import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nmt.boundaries import mark, model_text, unmark
from nmt.bundle import BundleError, load_bundle
from nmt.glossary import GlossaryError, make_glossary, parse_glossary
from nmt.preprocessing import CURRENT, LEGACY, MARKS, PASSTHROUGH, Preprocessing, runnable
from nmt.protect import metavariables, protect, restore
from nmt.segment import join_segments, sentence_spans
from nmt.tokenizer import Tokenizer
from nmt.translator import Translator
from tests.translate_helpers import CopyModel, tiny_bundle, train_tiny_tokenizer


@pytest.fixture(scope="module")
def tok(tmp_path_factory: pytest.TempPathFactory) -> Tokenizer:
    return train_tiny_tokenizer(tmp_path_factory.mktemp("spm") / "sentencepiece.model")


def originals(text: str, version: int = PASSTHROUGH) -> list[str]:
    return [s.original for s in protect(text, version=version).spans]


# --- versions ------------------------------------------------------------------------------------


def test_versions_and_what_a_model_may_run() -> None:
    assert Preprocessing(LEGACY).passthrough is False
    assert Preprocessing(PASSTHROUGH).command_line and Preprocessing().version == CURRENT
    assert runnable(LEGACY) == (LEGACY, PASSTHROUGH)
    assert runnable(PASSTHROUGH) == (PASSTHROUGH,) and runnable(MARKS) == (MARKS,)
    with pytest.raises(ValueError, match="unknown preprocessing version"):
        Preprocessing(99)


@pytest.mark.parametrize(
    "text",
    [
        "Hello 😀",
        "  --output-file=FILE      write output to FILE",
        "Update to v3.0.2 now.",
        "Привет, 日本語 → ★",
    ],
)
def test_version_1_masks_as_before(text: str) -> None:
    """Version 1 leaves every new family raw: a version-1 bundle sees exactly what it saw."""
    assert protect(text).spans == protect(text, version=LEGACY).spans == ()


# --- item 4: characters the vocabulary does not cover ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("Hello 😀", ["😀"]),
        ("Family 👨‍👩‍👧 and flag 🇩🇪!", ["👨‍👩‍👧", "🇩🇪"]),
        ("Press → to go on.", ["→"]),
        ("The file 日本語.txt was not found.", ["日本語"]),
        ("Welcome, Привет мир!", ["Привет мир"]),
        ("Angle α must be ≤ 90°.", ["α", "≤"]),  # `°` is Latin-1: in every vocabulary
        ("Rating: ★★★★☆", ["★★★★☆"]),
        ("Café, naïve, Ärger, œuvre", []),  # Latin letters with diacritics are text
        ("This needs 2.4.1 or v3.0, not 1.5.", ["2.4.1", "v3.0"]),
        ("Mail admin@example.com, see https://x.org/a.", ["admin@example.com", "https://x.org/a"]),
        ("Saved to ~/Documents/report.pdf 👍", ["~/Documents/report.pdf", "👍"]),
    ],
)
def test_uncovered_characters_and_links_pass_through(text: str, spans: list[str]) -> None:
    p = protect(text, version=PASSTHROUGH)
    assert [s.original for s in p.spans] == spans
    assert restore(p.text, p).text == text


def test_a_foreign_run_inside_a_tag_pair_keeps_the_pairing() -> None:
    p = protect("<b>😀 Hi</b> and <i>日本</i>", version=PASSTHROUGH)
    assert p.text == "⦅TO1⦆⦅TS1⦆ Hi⦅TC1⦆ and ⦅TO2⦆⦅TS2⦆⦅TC2⦆"


# --- item 3: command lines and help columns -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("-h, --help  show this help", ["-h", "--help"]),
        ("-n, --lines=NUM  print NUM lines", ["-n", "--lines=", "NUM", "NUM"]),
        ("Usage: tar [OPTION]... [FILE]...", ["[OPTION]...", "[FILE]..."]),
        ("Use --force to overwrite, -o FILE to write FILE.", ["--force", "-o", "FILE", "FILE"]),
        ("An e-mail at -5 degrees is well-known - really.", []),  # no options in prose
        ("Run find -name to search.", ["-name"]),
    ],
)
def test_options_and_metavariables_are_kept(text: str, spans: list[str]) -> None:
    assert originals(text) == spans


def test_metavariables_of_an_entry() -> None:
    assert metavariables("  -o, --output=FILE   write to FILE [NUM] <SIZE> -x WIDTH") == (
        "FILE",
        "NUM",
        "SIZE",
        "WIDTH",
    )
    assert metavariables("The FILE menu") == ()  # not after an option, not in brackets


def test_help_columns_separate_segments_and_gaps_are_kept() -> None:
    line = "  -o, --output=FILE      write output to FILE\t(default)  \n"
    spans = sentence_spans(line, columns=True)
    assert [line[a:b] for a, b in spans] == [
        "-o, --output=FILE",
        "write output to FILE",
        "(default)",
    ]
    assert sentence_spans(line) == [(2, len(line) - 3)]  # version 1: one segment
    joined, _ = join_segments(line, spans, ["A", "B", "C"])
    assert joined == "  A      B\tC  \n"


def test_a_column_gap_inside_a_protected_span_does_not_cut() -> None:
    line = 'Click <a  href="x">here</a> now'
    assert len(sentence_spans(line, columns=True)) == 1


# --- item 5: glossaries ---------------------------------------------------------------------------


def test_glossary_terms_match_any_case_on_word_boundaries() -> None:
    table = make_glossary([("file", "Datei"), ("file manager", "Dateiverwaltung")])
    p = protect("The File Manager shows a file, not profiles or files.", glossary=table)
    assert [(s.original, s.target) for s in p.spans] == [
        ("File Manager", "Dateiverwaltung"),
        ("file", "Datei"),
    ]
    assert restore("Die ⦅PH1⦆ zeigt eine ⦅PH2⦆.", p).text == "Die Dateiverwaltung zeigt eine Datei."


def test_a_glossary_target_keeps_its_case_and_opens_with_a_capital() -> None:
    table = make_glossary([("save", "speichern"), ("folder", "Ordner")])
    p = protect("Save the folder.", glossary=table)
    assert restore("⦅PH1⦆ ⦅PH2⦆.", p).text == "Speichern Ordner."
    assert restore("Den ⦅PH2⦆ ⦅PH1⦆.", p).text == "Den Ordner speichern."


def test_a_dropped_glossary_term_is_inserted_as_its_target() -> None:
    p = protect("Open the file.", glossary={"file": "Datei"})
    result = restore("Öffnen Sie.", p)
    assert "Datei" in result.text and result.inserted == ("⦅PH1⦆",)


def test_do_not_translate_terms_win_over_the_glossary() -> None:
    p = protect("Nautilus opens the file.", ["Nautilus"], glossary={"nautilus": "Nautilus-X"})
    assert [s.target for s in p.spans] == [""]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("file\tDatei\tx\n", "2 fields|3 fields"),
        ("file\t\n", "non-empty"),
        ("file\tDatei\nFILE\tAkte\n", "two targets"),
    ],
)
def test_bad_glossary_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(GlossaryError, match=message):
        parse_glossary(text)


def test_glossary_file_skips_comments_and_blank_lines() -> None:
    assert parse_glossary("# terms\n\nFile\tDatei\n folder \t Ordner \n") == {
        "file": "Datei",
        "folder": "Ordner",
    }


# --- the translator: versions, bundles, glossary ------------------------------------------------


def test_a_legacy_bundle_runs_version_1_and_may_opt_in(tmp_path: Path, tok: Tokenizer) -> None:
    spm = tmp_path / "spm.model"
    spm.write_bytes(tok.serialized())
    legacy = tiny_bundle(tmp_path / "old", spm)
    # A bundle made before versions existed: no `preprocessing` in its manifest.
    old = type(legacy)(legacy.path, dataclasses.replace(legacy.manifest, preprocessing=LEGACY))
    assert "preprocessing" not in json.loads(old.manifest.to_json())
    model = CopyModel(tok.vocab_size)
    assert old.preprocessing == LEGACY
    assert Translator(model, tok, bundle=old).preprocessing.version == LEGACY
    assert Translator(model, tok, bundle=old, preprocessing=2).preprocessing.version == 2
    new = tiny_bundle(tmp_path / "new", spm)
    assert new.preprocessing == CURRENT
    with pytest.raises(ValueError, match="cannot run version 1"):
        Translator(model, tok, bundle=new, preprocessing=1)


def test_a_bundle_default_glossary_is_listed_and_verified(tmp_path: Path, tok: Tokenizer) -> None:
    spm = tmp_path / "spm.model"
    spm.write_bytes(tok.serialized())
    terms = tmp_path / "terms.tsv"
    terms.write_text("file\tDatei\n", encoding="utf-8")
    bundle = tiny_bundle(tmp_path / "b", spm, glossary=terms)
    assert bundle.manifest.glossary == "glossary.tsv" and bundle.glossary_path is not None
    assert bundle.glossary_path.read_text(encoding="utf-8") == "file\tDatei\n"
    bundle.glossary_path.write_text("file\tAkte\n", encoding="utf-8")
    with pytest.raises(BundleError, match=r"glossary\.tsv"):
        load_bundle(bundle.path)
    bad = tmp_path / "bad.tsv"
    bad.write_text("only one field\n", encoding="utf-8")
    with pytest.raises(BundleError, match="fields"):
        tiny_bundle(tmp_path / "c", spm, glossary=bad)


def test_translate_with_a_glossary_and_help_columns(tok: Tokenizer) -> None:
    translator = Translator(CopyModel(tok.vocab_size), tok, preprocessing=PASSTHROUGH)
    (result,) = translator.translate(
        ["  -o, --output=FILE      write the File to FILE 😀"],
        glossary={"file": "Datei"},
    )
    assert result.text == "  -o, --output=FILE      write the Datei to FILE 😀"


def test_glossary_of_the_call_extends_the_default(tok: Tokenizer) -> None:
    translator = Translator(
        CopyModel(tok.vocab_size), tok, glossary={"file": "Datei", "folder": "Ordner"}
    )
    (result,) = translator.translate(["a file in a folder"], glossary={"folder": "Verzeichnis"})
    assert result.text == "a Datei in a Verzeichnis"


# --- round-trip properties -----------------------------------------------------------------------

_PIECES = [
    "%s",
    "%d",
    "%(name)s",
    "{0}",
    "{user}",
    "%1$s",
    "<b>",
    "</b>",
    "<br/>",
    "&amp;",
    "[",
    "]",
    "(",
    ")",
    '"',
    "„",
    "“",
    "»",
    "«",
    "😀",
    "👍🏽",
    "→",
    "日本",
    "Привет",
    "-v",
    "--force",
    "--size=",
    "NUM",
    "[OPTION]...",
    "https://example.org/a",
    "a@b.de",
    "/usr/share/doc",
    "2.4.1",
    "file",
    "Save",
    "word",
    "x",
]
_GAPS = ["", " ", "  ", "\t"]
texts = st.lists(
    st.tuples(st.sampled_from(_PIECES), st.sampled_from(_GAPS)), min_size=1, max_size=14
).map(lambda parts: "".join(p + g for p, g in parts).strip(" \t"))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(texts)
def test_protect_restore_round_trips_version_2(text: str) -> None:
    p = protect(text, version=PASSTHROUGH, metavars=metavariables(text))
    assert restore(p.text, p).text == text
    assert len({s.symbol for s in p.spans}) == len(p.spans)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(texts)
def test_every_protected_span_survives_translation(tok: Tokenizer, text: str) -> None:
    """A copying model gives the text back byte for byte (help columns and spacing included);
    one that drops every symbol still gets each protected span back as often as the source
    holds it (restore inserts them)."""
    copying = Translator(CopyModel(tok.vocab_size), tok, preprocessing=PASSTHROUGH)
    assert copying.translate([text])[0].text == text
    symbols = [i for i in range(tok.vocab_size) if tok.piece(i).startswith("⦅")]
    dropping = Translator(CopyModel(tok.vocab_size, drop=symbols), tok, preprocessing=2)
    (result,) = dropping.translate([text])
    for start, end in sentence_spans(text, columns=True):
        segment = " ".join(text[start:end].split())
        for original, count in collections.Counter(originals(segment)).items():
            assert result.text.count(original) >= count, (original, result.text)


# --- item 1: boundary marks (version 3) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("[Installed]", "[￭ Installed]"),
        ("Click ⦅TO1⦆Save⦅TC1⦆ now", "Click ⦅TO1⦆￭ Save⦅TC1⦆ now"),
        ("„Datei“ and »Ordner« or (x)", "„￭ Datei“ and »￭ Ordner« or (￭ x)"),
        ('say "hi" ("yes")', 'say "￭ hi" ("￭ yes")'),
        ("don't, e-mail, and/or, 5(3)", "don't, e-mail, and/or, 5(3)"),  # inside words: none
        ("Installed: w…", "Installed: w…"),
    ],
)
def test_marks_go_where_an_opener_is_glued_to_a_word(text: str, marked: str) -> None:
    assert mark(text) == marked
    assert unmark(marked) == text
    assert model_text(text, LEGACY) == text and model_text(text, MARKS) == marked


@settings(max_examples=200, deadline=None, derandomize=True)
@given(texts)
def test_marks_are_reversible(text: str) -> None:
    masked = protect(text, version=MARKS).text
    assert unmark(mark(masked)) == masked


@pytest.mark.parametrize("word", ["Installed", "Save", "system", "Datei"])
def test_a_marked_word_has_its_pieces_alone(tok: Tokenizer, word: str) -> None:
    assert tok.has_glue
    (alone,) = tok.encode_pieces([word])
    for wrapped in (f"[{word}]", f"({word})", f"„{word}“", f"<b>{word}</b>", f"%s {word}"):
        (pieces,) = tok.encode_pieces([mark(protect(wrapped, version=MARKS).text)])
        assert any(pieces[i : i + len(alone)] == alone for i in range(len(pieces))), pieces


def test_version_3_needs_a_tokenizer_with_the_mark(tmp_path: Path, tok: Tokenizer) -> None:
    from nmt.protect import RESERVED_SYMBOLS
    from nmt.tokenizer import train_tokenizer
    from tests.translate_helpers import EXTRA

    old = train_tokenizer(
        [" ".join(RESERVED_SYMBOLS), *EXTRA] * 20,
        tmp_path / "old.model",
        vocab_size=372,
        user_defined_symbols=RESERVED_SYMBOLS,
    )
    assert not old.has_glue
    with pytest.raises(ValueError, match="boundary mark"):
        Translator(CopyModel(old.vocab_size), old, preprocessing=MARKS)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(texts)
def test_a_copying_model_gives_the_text_back_with_marks(tok: Tokenizer, text: str) -> None:
    translator = Translator(CopyModel(tok.vocab_size), tok, preprocessing=MARKS)
    assert translator.translate([text])[0].text == text


# --- rule 6 of nmt.segment: enclosures (version 3) -------------------------------------------


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ("[Installed]", "Installed"),
        ("(system)", "system"),
        ('"Accept"', "Accept"),
        ("„Add Reminder“", "Add Reminder"),
        ("»Save«", "Save"),
        ("<b>Save</b>", "Save"),
        ('<a href="x">Open the file.</a>', "Open the file."),
        ("  ( Save )  ", "Save"),
        ("[<b>Save</b>]", "Save"),  # again while enclosed
        ("(see (a) and (b))", "see (a) and (b)"),  # balanced inside
    ],
)
def test_a_wholly_enclosed_segment_is_cut_to_its_inside(text: str, inside: str) -> None:
    (span,) = sentence_spans(text, columns=True, enclosures=True)
    assert text[span[0] : span[1]] == inside
    assert sentence_spans(text, columns=True) != [span]  # off without the rule
    joined, _ = join_segments(text, [span], ["X"])
    assert joined == text[: span[0]] + "X" + text[span[1] :]  # the enclosure is copied


@pytest.mark.parametrize(
    "text",
    [
        "(a) or (b)",  # two pairs, not one
        "<b>a</b> and <b>b</b>",
        "'It's'",  # the quote character inside its own quotes
        "[FILE]",  # a metavariable, kept whole as the options rule keeps it
        "()",
        "%s Active",
        "Click <b>Save</b>.",
        "<br/>Save<br/>",
    ],
)
def test_what_is_not_one_enclosing_pair_stays_whole(text: str) -> None:
    spans = sentence_spans(text, columns=True, enclosures=True)
    assert [text[a:b] for a, b in spans] == [text.strip()]


def test_the_translator_keeps_the_enclosure_and_its_spacing(tok: Tokenizer) -> None:
    translator = Translator(CopyModel(tok.vocab_size), tok, preprocessing=MARKS)
    assert Preprocessing(MARKS).enclosures and not Preprocessing(PASSTHROUGH).enclosures
    texts = ["[Installed]", "  ( the file )  ", "<b>Save</b>", "„Add Reminder“"]
    assert [t.text for t in translator.translate(texts)] == texts
