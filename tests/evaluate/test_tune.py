"""Choosing the length penalty on valid: the best BLEU wins, a tie goes to the earlier one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nmt.config import DecodingConfig, LengthPenaltyConfig
from nmt.evaluate.testsets import TestSet
from nmt.evaluate.tune import CANDIDATES, tune_length_penalty
from nmt.translator import Translation

REFERENCES = ["Öffnen Sie das Dateimenü.", "Speichern Sie das Dokument, bevor Sie es schließen."]
VALID = TestSet("valid", ["Open the file menu.", "Save the document."], REFERENCES, {"v": (0, 2)})


class ByPenalty:
    """A translator whose output depends only on the length penalty's type: `good` types give
    the references, every other one a poor guess. Records the settings it was asked for."""

    def __init__(self, good: Sequence[str]) -> None:
        self.good = set(good)
        self.asked: list[DecodingConfig] = []

    def translate(self, texts: Sequence[str], cfg: DecodingConfig, **_: Any) -> list[Translation]:
        self.asked.append(cfg)
        right = cfg.length_penalty.type in self.good
        return [Translation(ref if right else "Das Menü.", 0.0) for ref in REFERENCES[: len(texts)]]


def test_the_best_bleu_wins_and_only_the_penalty_varies() -> None:
    fake = ByPenalty(good=["gnmt"])
    base = DecodingConfig(mode="beam", beam_size=3)
    best, table = tune_length_penalty(fake, VALID, base=base)  # type: ignore[arg-type]
    assert best.length_penalty == LengthPenaltyConfig(type="gnmt", alpha=0.6)  # first gnmt
    assert best.beam_size == 3 and best.mode == "beam"
    assert [row["length_penalty"]["type"] for row in table] == [c.type for c in CANDIDATES]
    assert table[2]["bleu"] == 100.0 and table[0]["bleu"] < 100.0
    assert {cfg.beam_size for cfg in fake.asked} == {3}


def test_a_tie_goes_to_the_earlier_simpler_candidate() -> None:
    best, table = tune_length_penalty(ByPenalty(good=["none", "avg"]), VALID)  # type: ignore[arg-type]
    assert table[0]["bleu"] == table[1]["bleu"] == 100.0
    assert best.length_penalty.type == "none"
