"""sacreBLEU scoring helpers: known scores, bootstrap intervals, the paired test, test parts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nmt.evaluate.scores import corpus_scores, paired_bootstrap, part_scores
from nmt.evaluate.testsets import TestSetError, from_corpus

REFS = ["the cat sat on the mat", "a dog barks at night", "open the file menu"] * 20


def test_a_perfect_system_scores_100_with_a_zero_interval() -> None:
    scores = corpus_scores(REFS, REFS, n_bootstrap=50)
    assert scores["bleu"]["score"] == 100.0 and scores["ter"]["score"] == 0.0
    assert scores["bleu"]["ci"] == 0.0
    assert "bs:50" in scores["bleu"]["signature"] and "case:lc" in scores["bleu_lc"]["signature"]


def test_lowercased_bleu_ignores_case() -> None:
    upper = [r.upper() for r in REFS]
    scores = corpus_scores(upper, REFS, metrics=("bleu", "bleu_lc"), n_bootstrap=1)
    assert scores["bleu"]["score"] < 5 and scores["bleu_lc"]["score"] == 100.0


def test_paired_bootstrap_tells_a_better_system_from_a_worse_one() -> None:
    worse = ["the cat", "a dog", "open"] * 20
    result = paired_bootstrap(REFS, {"worse": worse, "best": REFS}, n_samples=100)
    assert result["bleu"]["worse"]["p_value"] is None  # the baseline
    assert result["bleu"]["best"]["p_value"] < 0.05
    # Two systems one word apart in one sentence each: no significant difference.
    a, b = list(REFS), list(REFS)
    a[0], b[1] = "the cat sat on a mat", "a dog barks in the night"
    close = paired_bootstrap(REFS, {"a": a, "b": b}, n_samples=100)
    assert close["bleu"]["b"]["p_value"] > 0.05


def test_part_scores_cover_each_part_and_all(tmp_path: Path) -> None:
    lines = [f"{s}\t{s}" for s in REFS[:5]]
    (tmp_path / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"test_parts": {"a": 2, "b": 3}}))
    testset = from_corpus(tmp_path)
    assert testset.parts == {"a": (0, 2), "b": (2, 5)}
    scores = part_scores(testset, testset.references, n_bootstrap=1)
    assert set(scores) == {"a", "b", "all"} and scores["b"]["bleu"]["score"] == 100.0
    (tmp_path / "manifest.json").write_text(json.dumps({"test_parts": {"a": 9}}))
    with pytest.raises(TestSetError, match="inconsistent"):
        from_corpus(tmp_path)


def test_exact_match_and_its_paired_test() -> None:
    from nmt.evaluate.scores import exact_match, paired_exact

    half = [r if i % 2 else "something else" for i, r in enumerate(REFS)]
    scores = exact_match([f" {r} " for r in REFS], REFS, n_bootstrap=50)
    assert scores["score"] == 100.0 and scores["signature"].startswith("exact|")
    assert exact_match(half, REFS, n_bootstrap=1)["score"] == 50.0
    result = paired_exact(REFS, {"half": half, "all": REFS}, n_samples=200)
    assert result["half"] == {"score": 50.0, "p_value": None}
    assert result["all"]["score"] == 100.0 and result["all"]["p_value"] < 0.05
    one_apart = list(half)
    one_apart[0] = REFS[0]
    close = paired_exact(REFS, {"half": half, "one": one_apart}, n_samples=200)
    assert close["one"]["p_value"] > 0.05


def test_the_ui_part_is_scored_seen_and_unseen(tmp_path: Path) -> None:
    (tmp_path / "test.tsv").write_text(
        "Hello world\tHallo Welt\nCancel\tAbbrechen\nRare label\tSeltenes Etikett\n",
        encoding="utf-8",
    )
    (tmp_path / "train.tsv").write_text("Cancel\tAbbrechen\ncancel me\tx\n", encoding="utf-8")
    manifest = {"test_parts": {"gnome-user-docs": 1, "ui": 2}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    testset = from_corpus(tmp_path)
    assert testset.groups == {"ui/seen": [1], "ui/unseen": [2]}
    assert list(testset.selections()) == ["gnome-user-docs", "ui", "all", "ui/seen", "ui/unseen"]
    hyps = ["Hallo Welt", "Abbrechen", "Seltene Beschriftung"]
    scores = part_scores(testset, hyps, metrics=("exact", "chrf"), n_bootstrap=1)
    assert scores["ui/seen"]["exact"]["score"] == 100.0
    assert scores["ui/unseen"]["exact"]["score"] == 0.0
    assert scores["ui"]["exact"]["score"] == 50.0
