"""Per-sentence output limits shared by greedy and beam search, and input checks."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from nmt.config import DecodingConfig
from nmt.search.protocol import FloatArray, IntArray

# `ratio * length` is computed in binary floating point: 1.1 * 10 is 11.000000000000002, whose
# ceiling would allow one token more than meant. Values within this slack of an integer round down.
_CEIL_SLACK = 1e-9


def check_batch(src_ids: ArrayLike, src_lengths: ArrayLike) -> tuple[IntArray, IntArray]:
    """Validate a padded batch; return (src_ids int64 [B, S], src_lengths int64 [B]).

    Raises ValueError on wrong ranks, a length/batch mismatch or a length outside 0..S.
    """
    ids = np.asarray(src_ids, dtype=np.int64)
    lengths = np.asarray(src_lengths, dtype=np.int64)
    if ids.ndim != 2 or lengths.ndim != 1 or lengths.shape[0] != ids.shape[0]:
        raise ValueError(
            f"expected src_ids [B, S] and src_lengths [B], got {ids.shape} and {lengths.shape}"
        )
    if lengths.size and (lengths.min() < 0 or lengths.max() > ids.shape[1]):
        raise ValueError(f"src_lengths must lie in 0..{ids.shape[1]}, got {lengths.tolist()}")
    return ids, lengths


def max_output_lengths(src_lengths: IntArray, cfg: DecodingConfig) -> IntArray:
    """Output-token cap of each sentence (EOS excluded), int64 [B].

    cap_i = min(cfg.max_length, ceil(cfg.max_length_ratio * src_lengths[i]) + cfg.max_length_extra),
    where a `max_length` of None means no absolute cap. A hypothesis that reaches its cap
    without EOS is cut there and reported unfinished.
    """
    by_ratio = np.ceil(cfg.max_length_ratio * src_lengths.astype(np.float64) - _CEIL_SLACK)
    caps = by_ratio.astype(np.int64) + cfg.max_length_extra
    if cfg.max_length is not None:
        caps = np.minimum(caps, cfg.max_length)
    return np.maximum(caps, 0)


def forbid_eos(log_probs: FloatArray, eos_id: int) -> FloatArray:
    """A copy of `log_probs` [N, V] with EOS impossible (-inf): used before `min_length` tokens.

    A copy, because the model's arrays are read-only to the search (see `StepModel`); this costs
    one pass over [N, V] on the first `min_length` steps only.
    """
    masked = log_probs.copy()
    masked[:, eos_id] = -np.inf
    return masked
