"""The Translator pipeline on scripted NumPy step models (and a tiny PyTorch model): order,
sentence splitting and layout, empty inputs, placeholders and terms, scores, n-best, alignment,
attention; and the serving path's imports staying torch-free."""

from __future__ import annotations

import collections
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nmt.config import DecodingConfig
from nmt.protect import protect
from nmt.segment import join_segments, sentence_spans
from nmt.tokenizer import EOS_ID, Tokenizer
from nmt.translator import Translation, Translator
from tests.translate_helpers import CopyModel, train_tiny_tokenizer


@pytest.fixture(scope="module")
def tok(tmp_path_factory: pytest.TempPathFactory) -> Tokenizer:
    return train_tiny_tokenizer(tmp_path_factory.mktemp("spm") / "sentencepiece.model")


def copy_translator(
    tok: Tokenizer, batch_size: int = 32, **model_args: object
) -> tuple[Translator, CopyModel]:
    model = CopyModel(tok.vocab_size, **model_args)  # type: ignore[arg-type]
    return Translator(model, tok, batch_size=batch_size), model


# --- sentence splitting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Open the file. Then save it.", ["Open the file.", "Then save it."]),
        ("Is it open? Yes! Close it.", ["Is it open?", "Yes!", "Close it."]),
        ("Use e.g. the menu. Then close.", ["Use e.g. the menu.", "Then close."]),
        ("Files, folders etc. And more.", ["Files, folders etc. And more."]),
        ("Ask Dr. Smith. He knows.", ["Ask Dr. Smith.", "He knows."]),
        ("That is, i.e. This one.", ["That is, i.e. This one."]),
        ("Version 1.5 is out. Get it.", ["Version 1.5 is out.", "Get it."]),
        ("J. R. R. Tolkien wrote it.", ["J. R. R. Tolkien wrote it."]),
        ("1. Open the menu.", ["1. Open the menu."]),
        ("Really? yes, really.", ["Really? yes, really."]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("Done. (See below.)", ["Done.", "(See below.)"]),
        ("See www.example.org. Then go.", ["See www.example.org.", "Then go."]),
        ('Click <a title="Hi. There">here</a>.', ['Click <a title="Hi. There">here</a>.']),
        ("One line\nAnother line", ["One line", "Another line"]),
    ],
)
def test_sentence_spans(text: str, sentences: list[str]) -> None:
    assert [text[a:b] for a, b in sentence_spans(text)] == sentences


def test_a_term_is_never_split() -> None:
    text = "Watch Stop. Go today. It is good."
    assert len(sentence_spans(text)) == 3
    spans = sentence_spans(text, terms=["Stop. Go"])
    assert [text[a:b] for a, b in spans] == ["Watch Stop. Go today.", "It is good."]


LAYOUTS = [
    "",
    "   ",
    "\n\n",
    "Open the file. Save it.",
    "  Open the file.   Save it.  ",
    "First paragraph. Still first.\n\nSecond paragraph.\n",
    "Line one\r\nLine two\r\n",
    "\tIndented. Text.\n   \n  Trailing spaces.   \n\n\n",
]


@pytest.mark.parametrize("text", LAYOUTS)
def test_spans_and_gaps_rebuild_the_text_exactly(text: str) -> None:
    spans = sentence_spans(text)
    rebuilt, placed = join_segments(text, spans, [text[a:b] for a, b in spans])
    assert rebuilt == text
    assert placed == spans
    for a, b in spans:
        assert text[a:b] == text[a:b].strip() != ""
        assert "\n" not in text[a:b]
    gaps = re.sub("|".join(re.escape(text[a:b]) for a, b in spans) or "^$", "", text)
    assert gaps.strip() == ""


def test_join_puts_outputs_in_place_of_segments() -> None:
    text = "  One. Two!\n\nThree?  "
    spans = sentence_spans(text)
    joined, placed = join_segments(text, spans, ["Eins.", "Zwei und zwei!", "Drei?"])
    assert joined == "  Eins. Zwei und zwei!\n\nDrei?  "
    assert [joined[a:b] for a, b in placed] == ["Eins.", "Zwei und zwei!", "Drei?"]


# --- the pipeline --------------------------------------------------------------------------------


def test_results_come_back_in_input_order_from_length_sorted_batches(tok: Tokenizer) -> None:
    texts = [
        "the user opens the red file now.",
        "the file.",
        "the program saves the big green window again now.",
        "the menu.",
        "the user shows the list.",
    ]
    translator, model = copy_translator(tok, batch_size=2)
    results = translator.translate(texts)
    assert [r.text for r in results] == texts  # the copy model gives each text back
    lengths = [len(row) for batch in model.encoded for row in batch]
    assert lengths == sorted(lengths)  # batches were formed in length order
    assert [len(batch) for batch in model.encoded] == [2, 2, 1]


def test_a_repeated_sentence_is_translated_once(tok: Tokenizer) -> None:
    translator, model = copy_translator(tok)
    texts = ["the file.", "the menu. the file.", "the  file."]  # same after normalisation
    results = translator.translate(texts)
    assert [r.text for r in results] == ["the file.", "the menu. the file.", "the file."]
    assert sum(len(batch) for batch in model.encoded) == 2


def test_encoder_inputs_are_the_rows_translate_searches(tok: Tokenizer) -> None:
    """What the export's parity check decodes: the distinct sentences, split, normalised and
    protected, exactly the rows `translate` gives the model."""
    texts = ["the menu. the  file %s.", "the file %s.", "  "]
    translator, model = copy_translator(tok)
    rows = translator.encoder_inputs(texts)
    translator.translate(texts)
    assert sorted(rows) == sorted(row for batch in model.encoded for row in batch)
    assert len(rows) == 2 and all(row[-1] == EOS_ID for row in rows)
    assert tok.decode(rows[1][:-1]) == protect("the file %s.").text


@pytest.mark.parametrize("text", ["", " ", "\n\n", "\t \n ", "\u200b"])
def test_empty_and_blank_texts_pass_through_unchanged(tok: Tokenizer, text: str) -> None:
    translator, model = copy_translator(tok)
    (result,) = translator.translate([text])
    assert result == Translation(text=text, score=0.0)
    assert model.encoded == []


def test_paragraphs_keep_their_whitespace_and_newlines(tok: Tokenizer) -> None:
    text = "  The user opens the file. The program saves it!\n\nThe menu.  \r\nThe list?\n\n"
    translator, model = copy_translator(tok)
    (result,) = translator.translate([text])
    assert result.text == text
    assert result.segments == 4
    assert sum(len(batch) for batch in model.encoded) == 4


def test_line_breaks_from_the_model_become_spaces(tok: Tokenizer) -> None:
    script = [*tok.encode(["Datei"])[0], tok.id_of("<0x0A>"), *tok.encode(["Fenster"])[0]]
    translator, _ = copy_translator(tok, script=script)
    (result,) = translator.translate(["the file.\nthe window."])
    # The model's output decodes to "Datei\n Fenster"; only the source's own line break stays.
    assert result.text == "Datei  Fenster\nDatei  Fenster"


PLACEHOLDERS = re.compile(r"%\(\w+\)s|%\w|\{\w*\}|</?b>|https?://\S+\w")


def test_placeholders_survive_when_the_model_drops_them(tok: Tokenizer) -> None:
    symbols = [i for i in range(tok.vocab_size) if tok.piece(i).startswith("⦅")]
    translator, _ = copy_translator(tok, drop=symbols)
    texts = [
        "Delete %s of %d files in <b>{0}</b>?",
        "Hello %(name)s, see https://example.org/help now. Then {} again.",
    ]
    for text, result in zip(texts, translator.translate(texts), strict=True):
        assert collections.Counter(PLACEHOLDERS.findall(result.text)) == collections.Counter(
            PLACEHOLDERS.findall(text)
        )
        assert result.inserted == len(PLACEHOLDERS.findall(text))
        assert result.placed == 0


def test_terms_are_protected_and_kept(tok: Tokenizer) -> None:
    term = tok.id_of("⦅TM1⦆")
    translator, model = copy_translator(tok, drop=[term])
    (result,) = translator.translate(["the Nautilus window opens."], terms=["Nautilus"])
    assert "Nautilus" in result.text and result.inserted == 1
    assert term in model.encoded[0][0]  # the model saw the term masked


def test_scores_and_n_best(tok: Tokenizer) -> None:
    """Copy at 0.9 per token, "now" the runner-up at 0.05: the best is the copy with score
    log(0.9) exactly; the alternatives add or substitute "now", ranked as the search ranks them;
    a text of two sentences joins the sentences' k-th hypotheses."""
    translator, _ = copy_translator(tok, runner_up=tok.id_of("▁now"))
    texts = ["the red file.", "The file. The menu."]
    results = translator.translate(texts, beam_size=3, n_best=3)
    for text, result in zip(texts, results, strict=True):
        assert result.text == text
        assert result.score == pytest.approx(math.log(0.9), rel=1e-5)
        assert all(alt.score < result.score for alt in result.alternatives)
    assert [a.text for a in results[0].alternatives] == ["the red file. now", "the red file now"]
    assert [a.text for a in results[1].alternatives] == [
        "The file. now The menu. now",
        "The file now The menu now",
    ]
    (greedy,) = translator.translate(["the red file."], DecodingConfig(mode="greedy"))
    assert greedy.text == "the red file." and greedy.alternatives == ()


def test_alternatives_are_distinct_texts(tok: Tokenizer) -> None:
    """A runner-up control byte, which the output cleanup removes: the hypothesis that only adds
    it reads exactly like the best one and is not listed; the rest are distinct."""
    translator, _ = copy_translator(tok, runner_up=tok.id_of("<0x01>"))
    (result,) = translator.translate(["the red file."], beam_size=3, n_best=3)
    alternatives = [alt.text for alt in result.alternatives]
    assert result.text == "the red file." and result.text not in alternatives
    assert len(alternatives) == len(set(alternatives)) < 2


def test_decoding_config_positional_and_overrides(tok: Tokenizer) -> None:
    translator, _ = copy_translator(tok)
    greedy = translator.translate(["the file."], DecodingConfig(mode="greedy"))
    assert greedy[0].text == "the file." and greedy[0].alternatives == ()
    cfg = translator.decoding_config(DecodingConfig(mode="greedy"), beam_size=4, n_best=2)
    assert (cfg.mode, cfg.beam_size, cfg.n_best) == ("beam", 4, 2)
    with pytest.raises(ValueError, match="beam_size"):
        translator.translate(["the file."], beam_size=0)
    with pytest.raises(TypeError, match="not one str"):
        translator.translate("the file.")


def _check_links(text: str, result: Translation) -> None:
    """Spans lie within both texts, are non-empty, and each link is sorted by output then
    source position."""
    assert result.alignment, "no alignment"
    for a, b, c, d in result.alignment:
        assert 0 <= a < b <= len(text)
        assert 0 <= c < d <= len(result.text)
    assert list(result.alignment) == sorted(result.alignment, key=lambda k: (k[2], k[0]))


def test_alignment_of_a_copy_model_maps_every_word_to_itself(tok: Tokenizer) -> None:
    text = "Click <b>Save</b> to  keep %d files.\n\nThe user saves it. Then  close."
    translator, _ = copy_translator(tok)
    (result,) = translator.translate([text])
    _check_links(text, result)
    pairs = [(text[a:b], result.text[c:d]) for a, b, c, d in result.alignment]
    assert all(src == out for src, out in pairs)
    words = [src for src, _ in pairs]
    assert words[:8] == ["Click", "<b>", "Save", "</b>", "to", "keep", "%d", "files"]
    assert words[-2:] == ["close", "."]
    sources = [a for a, _, _, _ in result.alignment]
    assert sources == sorted(sources)  # monotone


def test_alignment_spans_point_into_the_unnormalised_source(tok: Tokenizer) -> None:
    text = "Cafe\u0301 \u200bmenu.\tFile  ok."  # combining accent, zero-width space, tab
    translator, _ = copy_translator(tok)
    (result,) = translator.translate([text])
    assert result.text == "Café menu.\tFile ok."  # the tab is a gap between sentences: kept
    pairs = {result.text[c:d]: text[a:b] for a, b, c, d in result.alignment}
    assert pairs["Café"] == "Cafe\u0301"
    assert pairs["menu"] == "menu"
    assert pairs["ok"] == "ok"


def test_a_dropped_placeholder_is_aligned_nowhere_but_words_still_are(tok: Tokenizer) -> None:
    translator, _ = copy_translator(tok, drop=[tok.id_of("⦅PH1⦆")])
    text = "Delete %s files now?"
    (result,) = translator.translate([text])
    _check_links(text, result)
    aligned = {text[a:b] for a, b, _, _ in result.alignment}
    assert aligned == {"Delete", "files", "now", "?"}


def test_attention_on_request(tok: Tokenizer) -> None:
    translator, _ = copy_translator(tok)
    text = "Delete %s files. Then close."
    (plain,) = translator.translate([text])
    assert plain.attention is None
    (result,) = translator.translate([text], return_attention=True, return_alignment=False)
    assert result.alignment == ()
    att = result.attention
    assert att is not None
    assert att.weights.shape == (len(att.tgt_tokens), len(att.src_tokens))
    assert att.src_tokens.count("</s>") == 2 and "%s" in att.src_tokens and "%s" in att.tgt_tokens
    np.testing.assert_allclose(att.weights.sum(axis=1), 1.0)
    first_src = att.src_tokens.index("</s>") + 1
    first_tgt = len(att.tgt_tokens) - (len(att.src_tokens) - first_src - 1)
    assert not att.weights[:first_tgt, first_src:].any()  # block diagonal: sentence by sentence
    assert not att.weights[first_tgt:, :first_src].any()
    json.dumps(att.as_dict())


def test_a_torch_model_runs_through_the_same_pipeline(tok: Tokenizer) -> None:
    """training/system.py's use: Translator(TorchStepModel(model), tokenizer).translate(texts,
    cfg). A random tiny model gives some text; its alignment must still be well-formed."""
    pytest.importorskip("torch")
    from nmt.search.torch_backend import TorchStepModel
    from tests.model.helpers import tiny_model

    translator = Translator(
        TorchStepModel(tiny_model(vocab_size=tok.vocab_size)), tok, batch_size=64
    )
    cfg = DecodingConfig(mode="greedy", max_length=12)
    texts = ["the user opens %s now.", "", "the file. the window."]
    results = translator.translate(texts, cfg)
    assert all(len(r.tokens) <= 24 for r in results)  # two sentences of at most 12 tokens
    assert results[1].text == ""
    assert "%s" in results[0].text
    for text, result in zip(texts, results, strict=True):
        for a, b, c, d in result.alignment:
            assert 0 <= a < b <= len(text) and 0 <= c < d <= len(result.text)


def _loaded_after(modules: list[str]) -> set[str]:
    code = f"import sys\nimport {', '.join(modules)}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_serving_path_imports_no_torch() -> None:
    """The Translator, the bundle and the CLI import neither torch nor (until a bundle is
    loaded) onnxruntime; the ONNX Runtime backend imports no torch."""
    core = ["nmt.translator", "nmt.bundle", "nmt.segment", "nmt.alignment", "nmt.cli"]
    loaded = _loaded_after(core)
    assert set(core) <= loaded
    assert not {"torch", "lightning", "fastapi", "onnxruntime"} & loaded
    backend = Path(__file__).parents[1] / "nmt" / "search" / "onnx_backend.py"
    if backend.exists():  # written alongside; the check holds as soon as it is there
        loaded = _loaded_after([*core, "nmt.search.onnx_backend"])
        assert "onnxruntime" in loaded and "torch" not in loaded
