"""nmt.evaluate.record: the manifest entry made from a report names every scored part's size,
the seen/unseen groups included (the model card's `sentences` column)."""

from __future__ import annotations

from typing import Any

from nmt.evaluate.record import manifest_scores


def _scores(bleu: float) -> dict[str, Any]:
    return {"bleu": {"score": bleu, "ci": 1.0, "signature": "nrefs:1|x"}}


def test_parts_all_and_groups_carry_their_sentence_counts() -> None:
    parts = {"docs": _scores(20.0), "ui": _scores(40.0), "all": _scores(30.0)}
    parts |= {"ui/seen": _scores(50.0), "ui/unseen": _scores(38.0)}
    report = {
        "testset": {
            "name": "c/test",
            "sentences": 10,
            "parts": {"docs": 4, "ui": 6},
            "groups": {"ui/seen": 2, "ui/unseen": 4},
        },
        "default_decoding": {"label": "beam 5"},
        "decodings": [{"label": "greedy", "parts": {}}, {"label": "beam 5", "parts": parts}],
        "placeholders": {"placeholders": 3},
    }
    entry = manifest_scores(report)
    assert entry["decoding"] == "beam 5"
    sizes = {part: row["sentences"] for part, row in entry["parts"].items()}
    assert sizes == {"docs": 4, "ui": 6, "all": 10, "ui/seen": 2, "ui/unseen": 4}
    assert entry["parts"]["ui/seen"]["bleu"]["score"] == 50.0


def test_a_report_from_before_the_groups_field_still_records() -> None:
    report = {
        "testset": {"name": "c/test", "sentences": 4, "parts": {"docs": 4}},
        "default_decoding": {"label": "greedy"},
        "decodings": [{"label": "greedy", "parts": {"docs": _scores(20.0)}}],
    }
    assert manifest_scores(report)["parts"]["docs"]["sentences"] == 4
