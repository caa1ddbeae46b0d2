"""What the search takes from one decoder step: the greedy choice, or a beam's candidates.

Both step protocols of `nmt.search.protocol` end here, so greedy and beam search are written
once:
- `step` (log-probabilities [N, V]): the choice is made in NumPy, exactly as before the top-k
  step existed (`argmax`, `top_candidates`), so graphs exported before it decode bit for bit
  as they did;
- `step_topk` (a `TopKStepModel` whose `returns_topk` is True): the model returns the k best
  tokens of every row and only those [N, k] arrays cross into NumPy. Greedy asks for k = 1;
  beam for k = 2K per row, which is exact: a candidate among the 2K best of its sentence has at
  most 2K - 1 better ones in its own row. A token the search forbids (EOS before `min_length`)
  costs one more candidate per row, dropped here.
Ties rank the lower token id (and the lower beam slot) first on both paths.
"""

from __future__ import annotations

import logging

import numpy as np

from nmt.search.limits import forbid_eos
from nmt.search.protocol import (
    ArrayState,
    FloatArray,
    IntArray,
    ScoreArray,
    StepModel,
    TopK,
    TopKStepModel,
)
from nmt.search.topk import top_candidates

logger = logging.getLogger(__name__)


def uses_topk(model: StepModel) -> bool:
    """True when `model` is a `TopKStepModel` that asks to be stepped with `step_topk`."""
    return bool(getattr(model, "returns_topk", False))


def _topk_model(model: StepModel) -> TopKStepModel:
    if not uses_topk(model):
        raise TypeError(f"{type(model).__name__} has no top-k step")
    return model  # type: ignore[return-value]


def step_candidates(
    model: StepModel, prev_tokens: IntArray, state: ArrayState, k: int, *, forbid: int | None = None
) -> tuple[TopK, FloatArray, ArrayState]:
    """One step of a top-k model: the min(k, V) best tokens of each of the N rows, token
    `forbid` (None: none) excluded; with `attention` float32 [N, S] and the next state.

    Excluding a token asks the model for k + 1 and drops it where it came; where V is too small
    for that, the forbidden token stays, last, at -inf (as `forbid_eos` leaves it).
    """
    topk = _topk_model(model)
    if forbid is None:
        return topk.step_topk(prev_tokens, state, k)
    found, attention, state = topk.step_topk(prev_tokens, state, k + 1)
    return without(found, forbid, k), attention, state


def without(found: TopK, token: int, k: int) -> TopK:
    """`found` [N, k'] with `token` moved last at -inf, cut to min(k, k') columns (the order of
    the other candidates is kept: a stable sort on "is `token`")."""
    banned = found.ids == token
    if not banned.any():  # the usual case: nothing to move, the first k columns
        return TopK(found.values[:, :k], found.ids[:, :k])
    order = np.argsort(banned, axis=1, kind="stable")[:, :k]
    rows = np.arange(found.ids.shape[0], dtype=np.int64)[:, None]
    values = np.where(banned, np.float32(-np.inf), found.values)
    return TopK(values[rows, order], found.ids[rows, order])


def greedy_step(
    model: StepModel, prev_tokens: IntArray, state: ArrayState, *, forbid: int | None
) -> tuple[IntArray, FloatArray, FloatArray, ArrayState]:
    """The best token of each of N rows: (tokens int64 [N], their log-probabilities float32
    [N], attention float32 [N, S], next state). `forbid`: a token id never chosen, or None."""
    if uses_topk(model):
        found, attention, state = step_candidates(model, prev_tokens, state, 1, forbid=forbid)
        return found.ids[:, 0], found.values[:, 0], attention, state
    log_probs, attention, state = model.step(prev_tokens, state)
    if forbid is not None:
        log_probs = forbid_eos(log_probs, forbid)
    best = log_probs.argmax(axis=1)  # the first maximum: ties go to the lower token id
    return best, log_probs[np.arange(best.shape[0]), best], attention, state


def beam_step(
    model: StepModel,
    prev_tokens: IntArray,
    state: ArrayState,
    beam_scores: ScoreArray,
    n: int,
    *,
    forbid: int | None,
) -> tuple[IntArray, IntArray, ScoreArray, FloatArray, ArrayState]:
    """The n best extensions of each of A sentences (K beam slots each, rows a*K + j).

    beam_scores: float64 [A, K] (-inf: empty slot). Returns (slot int64 [A, n'], token int64
    [A, n'], score float64 [A, n'] = beam score + log-probability, attention float32 [A*K, S],
    next state), best first, equal scores by lower slot then lower token id; n' = min(n,
    candidates). `forbid`: a token id never extended with, or None.
    """
    if uses_topk(model):
        found, attention, state = step_candidates(model, prev_tokens, state, n, forbid=forbid)
        slot, token, scores = merge_rows(beam_scores, found, n)
        return slot, token, scores, attention, state
    log_probs, attention, state = model.step(prev_tokens, state)
    if forbid is not None:
        log_probs = forbid_eos(log_probs, forbid)
    flat, scores = top_candidates(beam_scores, log_probs, n)
    slot, token = np.divmod(flat, log_probs.shape[1])
    return slot, token, scores, attention, state


def merge_rows(
    beam_scores: ScoreArray, found: TopK, n: int
) -> tuple[IntArray, IntArray, ScoreArray]:
    """The n best of each sentence's K rows of candidates.

    beam_scores: float64 [A, K]; found: values / ids [A*K, k], row a*K + j for slot j of
    sentence a. Returns (slot, token, score), each [A, min(n, K*k)], by score descending, then
    slot, then token (the order `top_candidates` gives).
    """
    num_sent, num_beams = beam_scores.shape
    width = num_beams * found.values.shape[1]
    values = found.values.reshape(num_sent, num_beams, -1) + beam_scores[:, :, None]
    scores = values.reshape(num_sent, width)
    tokens = found.ids.reshape(num_sent, width)
    slots = np.broadcast_to(
        np.repeat(np.arange(num_beams, dtype=np.int64), found.values.shape[1]), scores.shape
    )
    order = np.lexsort((tokens, slots, -scores), axis=-1)[:, :n]
    rows = np.arange(num_sent, dtype=np.int64)[:, None]
    return slots[rows, order], tokens[rows, order], scores[rows, order]
