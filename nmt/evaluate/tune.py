"""Choosing the default decoding on the valid split (never on test): the length penalty of beam
search. Each candidate decodes the same valid sentences; the best BLEU wins, ties go to the
earlier (simpler) candidate.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from nmt.config import DecodingConfig, LengthPenaltyConfig
from nmt.evaluate.scores import corpus_scores
from nmt.evaluate.testsets import TestSet
from nmt.translator import Translator

logger = logging.getLogger(__name__)

CANDIDATES: tuple[LengthPenaltyConfig, ...] = (
    LengthPenaltyConfig(type="none"),
    LengthPenaltyConfig(type="avg"),
    LengthPenaltyConfig(type="gnmt", alpha=0.6),
    LengthPenaltyConfig(type="gnmt", alpha=1.0),
)


def tune_length_penalty(
    translator: Translator,
    valid: TestSet,
    *,
    base: DecodingConfig | None = None,
    candidates: Sequence[LengthPenaltyConfig] = CANDIDATES,
) -> tuple[DecodingConfig, list[dict[str, Any]]]:
    """(the best decoding, a table of {length_penalty, bleu, chrf} per candidate) on `valid`.

    `base` (default: beam 5) gives every other setting; only its length penalty varies."""
    base = base or DecodingConfig()
    table = []
    best: tuple[float, DecodingConfig] | None = None
    for penalty in candidates:
        cfg = dataclasses.replace(base, length_penalty=penalty)
        hyps = [t.text for t in translator.translate(valid.sources, cfg, return_alignment=False)]
        scores = corpus_scores(hyps, valid.references, metrics=("bleu", "chrf"), n_bootstrap=1)
        row = {
            "length_penalty": dataclasses.asdict(penalty),
            "bleu": scores["bleu"]["score"],
            "chrf": scores["chrf"]["score"],
        }
        logger.info("valid, %s: BLEU %.2f chrF %.2f", penalty, row["bleu"], row["chrf"])
        table.append(row)
        if best is None or row["bleu"] > best[0]:
            best = (row["bleu"], cfg)
    assert best is not None, "no candidates"
    return best[1], table
