"""Length-penalty math on known numbers, and the early-stop bound against brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nmt.config import LengthPenaltyConfig
from nmt.search.length_penalty import (
    best_reachable_score,
    length_penalty,
    penalized_score,
    penalty_table,
)

NONE = LengthPenaltyConfig(type="none")
AVG = LengthPenaltyConfig(type="avg")
GNMT = LengthPenaltyConfig(type="gnmt", alpha=0.6)


def test_none_is_the_raw_sum() -> None:
    assert length_penalty([0, 1, 7, 100], NONE).tolist() == [1.0, 1.0, 1.0, 1.0]
    assert penalized_score(-3.5, 9, NONE) == -3.5


def test_avg_divides_by_length_and_counts_an_empty_output_as_one() -> None:
    assert length_penalty([0, 1, 4], AVG).tolist() == [1.0, 1.0, 4.0]
    assert penalized_score(-3.0, 4, AVG) == -0.75
    assert penalized_score(0.0, 0, AVG) == 0.0


def test_gnmt_matches_wu_et_al() -> None:
    # lp(L) = ((5 + L) / 6) ** alpha: lp(1) = 1 and lp(7) = 2 ** alpha.
    assert length_penalty(1, GNMT) == 1.0
    assert length_penalty(7, GNMT) == pytest.approx(2**0.6, rel=1e-15)
    assert penalized_score(-2.0, 7, GNMT) == pytest.approx(-2.0 / 2**0.6, rel=1e-15)
    flat = LengthPenaltyConfig(type="gnmt", alpha=0.0)
    assert length_penalty([3, 30], flat).tolist() == [1.0, 1.0]


def test_longer_hypotheses_are_favoured_more_by_a_larger_alpha() -> None:
    mild, strong = LengthPenaltyConfig(alpha=0.2), LengthPenaltyConfig(alpha=1.0)
    assert penalized_score(-6.0, 12, strong) > penalized_score(-6.0, 12, mild)


@pytest.mark.parametrize(
    "cfg", [NONE, AVG, GNMT, LengthPenaltyConfig(type="gnmt", alpha=-0.5)], ids=str
)
def test_reachable_score_bounds_every_reachable_length(cfg: LengthPenaltyConfig) -> None:
    rng = np.random.default_rng(0)
    live = -rng.exponential(3.0, size=50)
    caps = rng.integers(5, 40, size=50)
    bound = best_reachable_score(live, 4, caps, penalty_table(40, cfg))
    for s, cap, b in zip(live, caps, bound, strict=True):
        # Any continuation scores s' <= s and ends with length L in 5..cap.
        reachable = [penalized_score(s2, n, cfg) for s2 in (s, s - 0.5) for n in range(5, cap + 1)]
        assert b >= max(reachable)
        assert b == pytest.approx(max(reachable), rel=1e-11)  # tight: s' = s at the best length


@pytest.mark.parametrize("cfg", [NONE, AVG, GNMT], ids=str)
def test_every_code_path_gives_the_same_penalty(cfg: LengthPenaltyConfig) -> None:
    """Scores must not depend on whether they were computed one by one or as arrays."""
    table = penalty_table(60, cfg)
    assert table.tolist() == length_penalty(np.arange(61), cfg).tolist()
    assert all(penalized_score(-7.3, n, cfg) == -7.3 / table[n] for n in range(61))


def test_reachable_score_of_a_dead_sentence_is_minus_infinity() -> None:
    bound = best_reachable_score(np.array([-np.inf]), 3, np.array([10]), penalty_table(10, GNMT))
    assert bound[0] == -math.inf
