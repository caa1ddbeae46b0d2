"""Batched beam search with n-best lists, length penalties and an exact early stop.

Layout: the A sentences still searching own K beam slots each; state row a*K + j is slot j of
active sentence a. At step 0 only slot 0 is live (the others score -inf), so no sentence starts
with K copies of the same beam.

Each step scores the K*V extensions of every sentence (`beam_step`: the 2K best, best first, equal
scores ordered by lower slot then lower token id) and then:
- an EOS candidate ranked within the first K ends a hypothesis: it moves to the sentence's list
  of hypotheses and stays there, however long the live beams go on (it is never dropped in
  favour of a live beam). Only a hypothesis that scores no better than `n_best` already in the
  list is not stored, since it could never be returned;
- the first K non-EOS candidates become the next step's live beams (EOS candidates ranked
  below K are not in the beam and are discarded, as in every standard beam search);
- the sentence stops (its rows leave the state in the same reorder that follows the
  back-pointers, so finished sentences cost nothing afterwards) when
  * its live beams reach the output cap: they are reported as cut hypotheses (finished=False);
  * EARLY STOP: it holds n_best hypotheses and no live beam can still score above the n_best-th
    of them. Future tokens have log-probability <= 0, so a continuation's score is bounded by
    `best_reachable_score` (the live raw score divided by the most favourable length penalty
    of any length it may still end with). The stop is exact for every penalty type: it returns
    what running every sentence to its cap would return. For `none` it fires as soon as the best
    live score falls to the n_best-th hypothesis; for `avg` / `gnmt` a little later, since a
    longer hypothesis is divided by a larger penalty;
  * no live beam is left (the model gave -inf to every extension);
  * `stop: finished` (the default, the standard rule): K of its hypotheses have ended with EOS.
    With K = 1 this is exactly greedy search, whatever the length penalty. `stop: exact` leaves
    only the exact early stop: with `avg` / `gnmt` it may go on after K hypotheses ended while a
    longer one could still score better (slower, and what a search to the cap would return).
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
from numpy.typing import ArrayLike

from nmt.config import DecodingConfig
from nmt.search.candidates import beam_step
from nmt.search.hypotheses import KeptScores, best_first, make_hypothesis
from nmt.search.length_penalty import best_reachable_score, penalty_table
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


@dataclasses.dataclass(frozen=True, slots=True)
class _Beams:
    """Live beams of the active sentences after `t` steps (row a*K + j: slot j of sentence a)."""

    sentences: IntArray  # [A] batch index of each active sentence
    scores: ScoreArray  # [A, K] cumulative log-probability of each slot (-inf: empty slot)
    tokens: IntArray  # [A*K, t] tokens of each slot
    attention: FloatArray  # [A*K, t, S] attention of each of those tokens
    prev: IntArray  # [A*K] last token of each slot (BOS before the first step)


@dataclasses.dataclass(frozen=True, slots=True)
class _Extensions:
    """The K extensions chosen as next live beams, for each active sentence, at one step."""

    parents: IntArray  # [A*K] row (of the step's input) that each new slot extends
    tokens: IntArray  # [A*K] token each new slot appends
    scores: ScoreArray  # [A, K] cumulative log-probability (-inf: empty slot)
    attention: FloatArray  # [A*K, S] the step's attention of the parent row


@dataclasses.dataclass(slots=True)
class _Search:
    """What stays fixed during one beam search, and the growing per-sentence results."""

    model: StepModel
    cfg: DecodingConfig
    eos_id: int
    caps: IntArray  # [B] output-token cap of each sentence
    src_lengths: IntArray  # [B]
    penalty: ScoreArray  # lp(0..max cap + 1), see `penalty_table`
    results: list[list[Hypothesis]]  # [B] ended hypotheses that may be returned, in order
    kept: KeptScores  # n_best-th best score of each sentence, for the early stop
    ended: IntArray  # [B] hypotheses ended by EOS so far, stored or not (`stop: finished`)

    def add(
        self,
        sentence: int,
        tokens: IntArray,
        attention: FloatArray,
        log_prob: float,
        score: float,
        *,
        finished: bool,
    ) -> None:
        """Record an ended hypothesis of `sentence` (tokens [T], attention [>= T, S])."""
        hyp = make_hypothesis(
            tokens,
            attention,
            src_length=int(self.src_lengths[sentence]),
            log_prob=log_prob,
            score=score,
            finished=finished,
        )
        self.results[sentence].append(hyp)
        self.kept.add(sentence, hyp.score)


def beam_search(
    model: StepModel,
    src_ids: ArrayLike,
    src_lengths: ArrayLike,
    *,
    bos_id: int,
    eos_id: int,
    cfg: DecodingConfig,
    should_stop: StopCheck | None = None,
) -> list[list[Hypothesis]]:
    """Beam search (`cfg.beam_size` beams) over a padded batch, all sentences advancing together.

    src_ids: int [B, S]; src_lengths: int [B]. Output caps come from `max_output_lengths`; EOS is
    impossible before `cfg.min_length` tokens; scores use `cfg.length_penalty`.
    Returns, for each sentence, its `cfg.n_best` best hypotheses, best first (fewer only if the
    model gives -inf to every extension). `should_stop` is asked before every decoder step;
    True makes the search raise `SearchCancelledError`.
    """
    ids, lengths = check_batch(src_ids, src_lengths)
    batch = ids.shape[0]
    caps = max_output_lengths(lengths, cfg)
    search = _Search(
        model=model,
        cfg=cfg,
        eos_id=eos_id,
        caps=caps,
        src_lengths=lengths,
        penalty=penalty_table(int(caps.max(initial=0)) + 1, cfg.length_penalty),
        results=[[] for _ in range(batch)],
        kept=KeptScores(batch, cfg.n_best),
        ended=np.zeros(batch, dtype=np.int64),
    )
    beams, state = _start(search, ids, bos_id)
    steps = 0
    while beams.sentences.size:
        check_stop(should_stop)
        beams, state = _advance(search, beams, state, steps)
        steps += 1
    logger.debug("beam search: %d sentences, beam %d, %d steps", batch, cfg.beam_size, steps)
    return [best_first(hyps, cfg.n_best) for hyps in search.results]


def _start(search: _Search, ids: IntArray, bos_id: int) -> tuple[_Beams, ArrayState]:
    """Encode the batch and expand it to K slots per sentence; only slot 0 is live."""
    beam = search.cfg.beam_size
    for sentence in np.flatnonzero(search.caps <= 0).tolist():  # nothing may be emitted
        no_attention = np.zeros((0, ids.shape[1]), np.float32)
        search.add(sentence, ids[sentence, :0], no_attention, 0.0, 0.0, finished=False)
    active = np.flatnonzero(search.caps > 0)
    scores = np.full((active.size, beam), -np.inf)
    scores[:, 0] = 0.0
    beams = _Beams(
        sentences=active,
        scores=scores,
        tokens=np.zeros((active.size * beam, 0), dtype=np.int64),
        attention=np.zeros((active.size * beam, 0, ids.shape[1]), dtype=np.float32),
        prev=np.full(active.size * beam, bos_id, dtype=np.int64),
    )
    if not active.size:
        return beams, {}
    state = search.model.encode(ids, search.src_lengths)
    return beams, search.model.reorder(state, np.repeat(active, beam))


def _advance(
    search: _Search, beams: _Beams, state: ArrayState, step: int
) -> tuple[_Beams, ArrayState]:
    """One decoder step for all live beams: end hypotheses, pick the next beams, stop sentences."""
    beam = search.cfg.beam_size
    forbid = search.eos_id if step < search.cfg.min_length else None
    slot, token, scores, attention, state = beam_step(
        search.model, beams.prev, state, beams.scores, 2 * beam, forbid=forbid
    )
    _end_at_eos(search, beams, slot[:, :beam], token[:, :beam], scores[:, :beam])
    chosen = _extensions(slot, token, scores, attention, beam, search.eos_id)
    length = step + 1
    at_cap = search.caps[beams.sentences] <= length
    _end_at_cap(search, beams, chosen, at_cap)
    done = at_cap | _cannot_improve(search, beams.sentences, chosen.scores, length)
    if search.cfg.stop == "finished":
        done |= search.ended[beams.sentences] >= beam
    return _regroup(search.model, beams, state, chosen, keep=np.flatnonzero(~done))


def _end_at_eos(
    search: _Search, beams: _Beams, slot: IntArray, token: IntArray, scores: ScoreArray
) -> None:
    """Move every EOS among the K best candidates [A, K] to its sentence's hypotheses.

    One that scores no better than n_best hypotheses the sentence already holds is not stored:
    it could never be returned (equal scores rank by creation order).
    """
    beam = slot.shape[1]
    is_eos = (token == search.eos_id) & np.isfinite(scores)
    search.ended[beams.sentences] += is_eos.sum(axis=1)
    penalized = scores / search.penalty[beams.tokens.shape[1] + 1]  # the tokens plus EOS
    floor = search.kept.floor[beams.sentences]
    ended = (token == search.eos_id) & (penalized > floor[:, None])  # -inf never passes
    for a, rank in zip(*np.nonzero(ended), strict=True):
        row = a * beam + slot[a, rank]
        search.add(
            int(beams.sentences[a]),
            beams.tokens[row],
            beams.attention[row],
            float(scores[a, rank]),
            float(penalized[a, rank]),
            finished=True,
        )


def _extensions(
    slot: IntArray,
    token: IntArray,
    scores: ScoreArray,
    attention: FloatArray,
    beam: int,
    eos_id: int,
) -> _Extensions:
    """The first K non-EOS candidates of each sentence (candidates [A, 2K], best first)."""
    is_eos = token == eos_id
    sentence = np.arange(slot.shape[0], dtype=np.int64)[:, None]
    # A stable sort of the EOS flags keeps the rank order among non-EOS candidates. There are at
    # most K EOS candidates (one per slot), so 2K candidates always hold K others.
    pick = np.argsort(is_eos, axis=1, kind="stable")[:, :beam]
    live_scores = scores[sentence, pick]
    live_scores[is_eos[sentence, pick]] = -np.inf  # only if V < 2
    parents = (sentence * beam + slot[sentence, pick]).reshape(-1)
    return _Extensions(
        parents=parents,
        tokens=token[sentence, pick].reshape(-1),
        scores=live_scores,
        attention=attention[parents],
    )


def _end_at_cap(search: _Search, beams: _Beams, chosen: _Extensions, at_cap: BoolArray) -> None:
    """Report the live beams of sentences at their cap [A] as cut hypotheses (no EOS)."""
    if not at_cap.any():
        return
    beam = chosen.scores.shape[1]
    caps = search.caps[beams.sentences]
    penalized = chosen.scores / search.penalty[caps][:, None]
    floor = search.kept.floor[beams.sentences]
    cut = at_cap[:, None] & (penalized > floor[:, None])
    for a, j in zip(*np.nonzero(cut), strict=True):
        row = a * beam + j
        parent = chosen.parents[row]
        search.add(
            int(beams.sentences[a]),
            np.append(beams.tokens[parent], chosen.tokens[row]),
            np.concatenate([beams.attention[parent], chosen.attention[row, None]]),
            float(chosen.scores[a, j]),
            float(penalized[a, j]),
            finished=False,
        )


def _cannot_improve(
    search: _Search, sentences: IntArray, live_scores: ScoreArray, length: int
) -> BoolArray:
    """[A] True where no live beam (each `length` tokens long) can still enter the n-best."""
    best_live = live_scores.max(axis=1)
    dead: BoolArray = ~np.isfinite(best_live)
    floor = search.kept.floor[sentences]
    if np.isneginf(floor).all():  # no sentence holds n_best hypotheses yet
        return dead
    caps = search.caps[sentences]
    bound = best_reachable_score(best_live, length, caps, search.penalty)
    # `<=`: a later hypothesis that only ties the n_best-th one ranks after it (stable sort).
    return dead | (bound <= floor)


def _regroup(
    model: StepModel, beams: _Beams, state: ArrayState, chosen: _Extensions, keep: IntArray
) -> tuple[_Beams, ArrayState]:
    """Follow the back-pointers of the sentences `keep` [A'] and drop the others, in one take."""
    if keep.size < beams.sentences.size:  # some sentences stopped: leave their rows out
        beam = chosen.scores.shape[1]
        rows = (keep[:, None] * beam + np.arange(beam, dtype=np.int64)).reshape(-1)
        chosen = _Extensions(
            parents=chosen.parents[rows],
            tokens=chosen.tokens[rows],
            scores=chosen.scores[keep],
            attention=chosen.attention[rows],
        )
    parents = chosen.parents
    grown = _Beams(
        sentences=beams.sentences[keep],
        scores=chosen.scores,
        tokens=np.concatenate([beams.tokens[parents], chosen.tokens[:, None]], axis=1),
        attention=np.concatenate([beams.attention[parents], chosen.attention[:, None]], axis=1),
        prev=chosen.tokens,
    )
    return grown, (model.reorder(state, parents) if keep.size else state)
