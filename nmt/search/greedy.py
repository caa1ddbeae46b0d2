"""Batched greedy search: every sentence takes its most probable next token at each step."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from numpy.typing import ArrayLike

from nmt.config import DecodingConfig
from nmt.search.candidates import greedy_step
from nmt.search.hypotheses import make_hypothesis
from nmt.search.length_penalty import penalty_table
from nmt.search.limits import check_batch, max_output_lengths
from nmt.search.protocol import (
    ArrayState,
    BoolArray,
    FloatArray,
    Hypothesis,
    IntArray,
    ScoreArray,
    StepModel,
    StopCheck,
    check_stop,
)

logger = logging.getLogger(__name__)

# Rows of finished sentences stay in the model state (their outputs are ignored) until at least
# this share of the rows is done; then one reorder drops them all. A reorder copies every row of
# the state (the encoder memory dominates), a dead row wastes its share of each decoder step:
# dropping in bulk bounds both the waste and the number of copies.
_COMPACT_SHARE = 0.25


@dataclasses.dataclass(slots=True)
class _Greedy:
    """Greedy-search bookkeeping for B sentences; state row r decodes sentence rows[r]."""

    caps: IntArray  # [B] output-token cap of each sentence
    tokens: IntArray  # [B, T] emitted tokens; the first lengths[i] are valid
    attention: FloatArray  # [B, T, S] attention of each emitted token (and of the final EOS)
    lengths: IntArray  # [B] tokens emitted so far
    log_probs: ScoreArray  # [B] sum of the chosen log-probabilities, EOS included
    finished: BoolArray  # [B] ended with EOS
    done: BoolArray  # [B] finished or cut at its cap
    rows: IntArray  # [R] sentence of each state row
    prev: IntArray  # [R] last token of each state row

    @classmethod
    def start(cls, caps: IntArray, src_len: int, bos_id: int) -> _Greedy:
        batch, steps = caps.shape[0], int(caps.max(initial=0))
        return cls(
            caps=caps,
            tokens=np.zeros((batch, steps), dtype=np.int64),
            attention=np.zeros((batch, steps, src_len), dtype=np.float32),
            lengths=np.zeros(batch, dtype=np.int64),
            log_probs=np.zeros(batch, dtype=np.float64),
            finished=np.zeros(batch, dtype=np.bool_),
            done=caps <= 0,
            rows=np.arange(batch, dtype=np.int64),
            prev=np.full(batch, bos_id, dtype=np.int64),
        )


def greedy_search(
    model: StepModel,
    src_ids: ArrayLike,
    src_lengths: ArrayLike,
    *,
    bos_id: int,
    eos_id: int,
    cfg: DecodingConfig,
    should_stop: StopCheck | None = None,
) -> list[list[Hypothesis]]:
    """Decode a padded batch greedily; one hypothesis per sentence.

    src_ids: int [B, S]; src_lengths: int [B]. All sentences advance together; a sentence stops
    at EOS (finished) or at its cap `max_output_lengths` (cut, finished=False); EOS is
    impossible before `cfg.min_length` tokens. Scores use `cfg.length_penalty`.
    Returns B lists of exactly one `Hypothesis`. `should_stop` is asked before every decoder
    step; when it says True the search raises `SearchCancelledError` (so an abandoned request stops
    costing the cores within one step).
    """
    ids, lengths = check_batch(src_ids, src_lengths)
    run = _Greedy.start(max_output_lengths(lengths, cfg), ids.shape[1], bos_id)
    if not run.done.all():
        state = model.encode(ids, lengths)
        for step in range(run.tokens.shape[1]):
            check_stop(should_stop)
            state = _advance(model, state, run, step, eos_id, cfg)
            if not run.rows.size:
                break
    logger.debug("greedy search: %d sentences, %d tokens", ids.shape[0], int(run.lengths.sum()))
    table = penalty_table(run.tokens.shape[1] + 1, cfg.length_penalty)
    scores = run.log_probs / table[run.lengths + run.finished]  # EOS counts in the length
    return [
        [
            make_hypothesis(
                run.tokens[i, : run.lengths[i]],
                run.attention[i],
                src_length=int(lengths[i]),
                log_prob=float(run.log_probs[i]),
                score=float(scores[i]),
                finished=bool(run.finished[i]),
            )
        ]
        for i in range(ids.shape[0])
    ]


def _advance(
    model: StepModel, state: ArrayState, run: _Greedy, step: int, eos_id: int, cfg: DecodingConfig
) -> ArrayState:
    """One decoder step for every state row; record the argmax of the rows still decoding."""
    forbid = eos_id if step < cfg.min_length else None
    best, chosen, attention, state = greedy_step(model, run.prev, state, forbid=forbid)
    live = ~run.done[run.rows]
    if live.all():  # the usual case: no row to skip, so no row selection (fewer copies)
        ids, token = run.rows, best
    else:
        ids, token, chosen, attention = run.rows[live], best[live], chosen[live], attention[live]
    run.log_probs[ids] += chosen
    run.attention[ids, step] = attention
    run.tokens[ids, step] = token
    ended = token == eos_id
    run.finished[ids[ended]] = True
    run.lengths[ids[~ended]] += 1
    run.done[ids] = ended | (run.lengths[ids] >= run.caps[ids])
    run.prev = best
    return _compact(model, state, run)


def _compact(model: StepModel, state: ArrayState, run: _Greedy) -> ArrayState:
    """Drop the rows of done sentences from the state once enough of them are done."""
    keep = ~run.done[run.rows]
    dropped = keep.size - int(np.count_nonzero(keep))
    if dropped == 0 or (dropped < keep.size and dropped < _COMPACT_SHARE * keep.size):
        return state
    rows = np.flatnonzero(keep)
    run.rows, run.prev = run.rows[rows], run.prev[rows]
    return model.reorder(state, rows) if rows.size else state
