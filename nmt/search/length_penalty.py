"""Length penalties: how hypotheses of different lengths are ranked against each other.

The ranking score of a hypothesis is `log_prob / lp(length)`, where `length` counts the output
tokens INCLUDING the final EOS of a finished hypothesis (EOS is a predicted token whose
log-probability is part of `log_prob`, so it counts in the average too); a hypothesis cut at the
maximum length has no EOS and its length is its token count.

- `none`: lp = 1 (the raw sum of log-probabilities; favours short outputs);
- `avg`:  lp = length (the mean log-probability per token); an empty hypothesis counts as 1;
- `gnmt`: lp = ((5 + length) / 6) ** alpha (Wu et al. 2016, section 7).

Every lp value is computed with Python floats, one length at a time (`penalty_table`): NumPy's
vectorised `**` may differ from the scalar one in the last bit, and a hypothesis must get the
same score whichever path (greedy, beam, the early-stop bound, a test) computes it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from nmt.config import LengthPenaltyConfig
from nmt.search.protocol import IntArray, ScoreArray

_SLACK = 1e-12  # relative; about 4,500 float64 ulps


def _penalty(length: int, cfg: LengthPenaltyConfig) -> float:
    if cfg.type == "none":
        return 1.0
    if cfg.type == "avg":
        return float(max(length, 1))
    return float(((5.0 + length) / 6.0) ** cfg.alpha)


def penalty_table(max_length: int, cfg: LengthPenaltyConfig) -> ScoreArray:
    """lp(0), ..., lp(max_length) as float64 [max_length + 1] (all > 0)."""
    return np.array([_penalty(n, cfg) for n in range(max_length + 1)], dtype=np.float64)


def length_penalty(lengths: ArrayLike, cfg: LengthPenaltyConfig) -> ScoreArray:
    """The divisor lp(length) for each entry of `lengths` (non-negative ints, any shape)."""
    n = np.asarray(lengths, dtype=np.int64)
    table: ScoreArray = penalty_table(int(n.max(initial=0)), cfg)
    return table[n]


def penalized_score(log_prob: float, length: int, cfg: LengthPenaltyConfig) -> float:
    """The ranking score of one hypothesis: `log_prob / lp(length)`."""
    return log_prob / _penalty(length, cfg)


def best_reachable_score(
    live_log_prob: ScoreArray, live_length: int, max_lengths: IntArray, table: ScoreArray
) -> ScoreArray:
    """Upper bound of the score any continuation of a live hypothesis can still reach.

    live_log_prob: float64 [A], the best live raw score of each sentence (all live hypotheses of
        a step have `live_length` tokens); max_lengths: int [A] output-token caps, each >
        live_length; table: `penalty_table` covering every cap.

    A continuation adds tokens whose log-probabilities are <= 0, so its raw score stays <= the
    live one, and it ends with a length L in live_length+1 .. max_length (finished at L-1 tokens
    plus EOS, or cut at max_length tokens). For a fixed raw score s, s / lp(L) is monotone in L
    whenever lp is (for every penalty type and any sign of alpha), so the maximum over L is at
    one of the two ends of the range: the bound is tight for every penalty type; `avg` / `gnmt`
    just allow more, since a longer output is divided by more.
    """
    shortest = live_log_prob / table[live_length + 1]
    longest = live_log_prob / table[max_lengths]
    bound = np.maximum(shortest, longest)
    # Insurance against rounding (the bound must never fall below a reachable score): stop a
    # hair later rather than a hair early.
    slackened: ScoreArray = bound * (1.0 + _SLACK * np.sign(bound))
    return slackened
