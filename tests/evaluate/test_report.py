"""The report's building blocks: the decodings compared, BLEU by length, placeholder counts."""

from __future__ import annotations

from nmt.config import DecodingConfig, LengthPenaltyConfig
from nmt.evaluate.report import decodings, length_buckets, placeholder_stats
from nmt.evaluate.testsets import TestSet
from nmt.translator import Translation


def test_greedy_then_each_beam_with_the_defaults_other_settings() -> None:
    default = DecodingConfig(
        mode="beam", beam_size=5, n_best=3, length_penalty=LengthPenaltyConfig(type="avg")
    )
    runs = decodings(default, [1, 5])
    assert [label for label, _ in runs] == ["greedy", "beam 1", "beam 5"]
    assert runs[0][1].mode == "greedy" and runs[2][1].beam_size == 5
    assert all(cfg.n_best == 1 and cfg.length_penalty.type == "avg" for _, cfg in runs)


def test_length_buckets_count_source_words_and_skip_empty_buckets() -> None:
    sources = ["One two.", "One two three four five six seven.", "Three words here."]
    refs = ["Eins zwei.", "Eins zwei drei vier fünf sechs sieben.", "Drei Wörter hier."]
    testset = TestSet("t", sources, refs, {"t": (0, 3)})
    buckets = length_buckets(testset, refs)  # perfect hypotheses
    assert [(b["words"], b["sentences"]) for b in buckets] == [("1-5", 2), ("6-10", 1)]
    assert all(b["bleu"] == 100.0 for b in buckets)


def test_placeholder_stats_count_spans_placed_and_inserted() -> None:
    sources = ["Open %s now.", "No placeholder here.", "Copy {0} to <b>{1}</b>."]
    testset = TestSet("t", sources, ["x", "y", "z"], {"t": (0, 3)})
    translations = [
        Translation("x", 0.0, placed=1),
        Translation("y", 0.0),
        Translation("z", 0.0, placed=3, inserted=1),
    ]
    stats = placeholder_stats(testset, translations)
    assert stats["sentences_with_placeholders"] == 2
    assert (stats["placed_by_model"], stats["inserted_by_fallback"]) == (4, 1)
    assert stats["placeholders"] == 5 and stats["placed_share"] == 0.8
