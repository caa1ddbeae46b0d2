"""Top-k selection over the flattened beam candidates of each sentence.

A beam step scores every extension (beam j, token v) of a sentence as `beam_scores[j] +
log_probs[j, v]` and needs the best 2K of those K * V candidates. A plain `np.argpartition` over
[A, K*V] costs a full introselect pass (about 13 ms for 64 sentences x 5 beams x 8,000 tokens
on the reference CPU, the order of a whole decoder step). Instead we build a max pyramid: each
level keeps the maximum of `fanout` strided entries of the level below (a reduction along a
middle axis, which NumPy vectorises well: about 1 ms for the first level). We select the best k
entries at the (small) top level, expand only their children one level down, select again, and
so on to the tokens. This is exact: if a candidate is among the best k, its parent's maximum is
at least as large, so the parent is among the best k parents (up to exact ties, resolved
deterministically).
"""

from __future__ import annotations

import numpy as np

from nmt.search.protocol import FloatArray, IntArray, ScoreArray

_FANOUTS = (8, 4, 2)  # children per pyramid node, tried in this order (must divide the width)
_MIN_WIDTH = 64  # levels narrower than this per beam are not worth another reduction


def top_candidates(
    beam_scores: ScoreArray, log_probs: FloatArray, k: int
) -> tuple[IntArray, ScoreArray]:
    """The k best extensions of each sentence, best first.

    beam_scores: float64 [A, K], cumulative log-probability of each beam slot (-inf: empty slot).
    log_probs: float32 [A*K, V]; row a*K + j belongs to beam slot j of sentence a.
    k: how many to return; clamped to K*V.
    Returns (flat int64 [A, k] holding `beam * V + token`, scores float64 [A, k] holding
    `beam_scores[a, beam] + log_probs[a*K + beam, token]`), sorted by score descending; equal
    scores are ordered by the smaller flat index (lower beam slot, then lower token id). Which
    of several candidates tied exactly at the k-th place make the cut is deterministic (a
    function of the row's values only) but not necessarily the lowest index.
    """
    num_sent, num_beams = beam_scores.shape
    k = min(k, num_beams * log_probs.shape[1])
    sentence = np.arange(num_sent, dtype=np.int64)[:, None]
    levels = _max_pyramid(log_probs)
    # The top level is small: score all of it densely. An index is `beam * width + position`
    # within its sentence at its level, so each level is viewed as [A, K * width].
    width = levels[-1].shape[1]
    dense = levels[-1].reshape(num_sent, num_beams, width) + beam_scores[:, :, None]
    index = _best_k(dense.reshape(num_sent, -1), k)
    values = dense.reshape(num_sent, -1)[sentence, index]
    for below in reversed(levels[:-1]):
        index = _children(index, width, below.shape[1])
        width = below.shape[1]
        gathered = below.reshape(num_sent, -1)[sentence, index]
        values = gathered + beam_scores[sentence, index // width]
        best = _best_k(values, k)
        index, values = index[sentence, best], values[sentence, best]
    order = np.lexsort((index, -values), axis=-1)
    return index[sentence, order], values[sentence, order]


def _max_pyramid(log_probs: FloatArray) -> list[FloatArray]:
    """[log_probs, level1, ...]: entry p of level d+1 is the max of entries p + i*width(d+1),
    i < fanout, of level d (strided groups, so the reduction runs along a middle axis)."""
    levels = [log_probs]
    rows, width = log_probs.shape
    while True:
        fanout = next((f for f in _FANOUTS if width % f == 0 and width // f >= _MIN_WIDTH), 0)
        if not fanout:
            return levels
        width //= fanout
        levels.append(levels[-1].reshape(rows, fanout, width).max(axis=1))


def _best_k(values: ScoreArray, k: int) -> IntArray:
    """Column indices [A, min(k, M)] of the k largest `values` [A, M] of each row, unordered."""
    if values.shape[1] <= k:
        return np.broadcast_to(np.arange(values.shape[1], dtype=np.int64), values.shape)
    return np.argpartition(values, -k, axis=1)[:, -k:]


def _children(index: IntArray, width: int, child_width: int) -> IntArray:
    """Indices [A, M * fanout] one level down of the children of `index` [A, M] (see
    `_max_pyramid`: position p of a level of `width` covers p + i*width below)."""
    beam, pos = np.divmod(index, width)
    first = beam * child_width + pos
    fanout = child_width // width
    children = first[:, :, None] + np.arange(fanout, dtype=np.int64) * width
    return children.reshape(index.shape[0], -1)
