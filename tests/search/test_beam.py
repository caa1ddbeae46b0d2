"""Beam search against hand-scripted probabilities, a slow reference, and greedy search."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nmt.config import DecodingConfig, LengthPenaltyConfig
from nmt.search import beam_search, greedy_search
from nmt.search.protocol import Hypothesis, StepModel
from tests.search.toy_models import (
    BOS,
    EOS,
    RandomRNNModel,
    ScriptedModel,
    random_batch,
    reference_beam_search,
)

A, B, C = 3, 4, 5
VOCAB = 6
NONE = LengthPenaltyConfig(type="none")
PENALTIES = [NONE, LengthPenaltyConfig(type="avg"), LengthPenaltyConfig(type="gnmt", alpha=0.6)]

# A table where greedy (a, c, EOS: 0.07) misses the best output (b, EOS: 0.36).
TABLE = {
    (): {A: 0.5, B: 0.4, EOS: 0.05, C: 0.03},
    (A,): {C: 0.35, A: 0.25, B: 0.2, EOS: 0.15},
    (A, C): {EOS: 0.4, A: 0.3, B: 0.2},
    (B,): {EOS: 0.9},
}


def decode(
    model: StepModel, src: np.ndarray, lengths: np.ndarray, cfg: DecodingConfig
) -> list[list[Hypothesis]]:
    return beam_search(model, src, lengths, bos_id=BOS, eos_id=EOS, cfg=cfg)


def same(a: Hypothesis, b: Hypothesis) -> bool:
    return (
        a.tokens == b.tokens
        and a.score == b.score
        and a.log_prob == b.log_prob
        and a.finished == b.finished
        and np.array_equal(a.attention, b.attention)
    )


def lp(p: float) -> float:
    return float(np.float32(math.log(p)))


def test_beam_finds_the_best_output_that_greedy_misses() -> None:
    model = ScriptedModel(TABLE, VOCAB)
    src, lengths = np.array([[7, 8, 9]]), np.array([3])
    greedy = greedy_search(
        model,
        src,
        lengths,
        bos_id=BOS,
        eos_id=EOS,
        cfg=DecodingConfig(mode="greedy", length_penalty=NONE),
    )
    assert greedy[0][0].tokens == [A, C]
    (best,) = decode(model, src, lengths, DecodingConfig(beam_size=2, length_penalty=NONE))[0]
    assert best.tokens == [B] and best.finished
    assert best.log_prob == lp(0.4) + lp(0.9)
    assert best.score > greedy[0][0].score


def test_n_best_order_and_exact_scores() -> None:
    # K = 3. Step 0: a .5, b .4, EOS .05 -> "" ends (rank 2 < K); live a, b, c.
    # Step 1: b EOS .36 ends; live a c .175, a a .125, a b .1 (a EOS .075 is rank 4: out).
    # Step 2: a a EOS .1125, a b EOS .09, a c EOS .07 end; the best live (a c a .0525) is below
    # the 3rd best .09, so the search stops (none penalty).
    model = ScriptedModel(TABLE, VOCAB)
    cfg = DecodingConfig(beam_size=3, n_best=3, length_penalty=NONE)
    hyps = decode(model, np.array([[7, 8, 9]]), np.array([3]), cfg)[0]
    assert [h.tokens for h in hyps] == [[B], [A, A], [A, B]]
    assert [h.log_prob for h in hyps] == [
        lp(0.4) + lp(0.9),
        lp(0.5) + lp(0.25) + lp(0.9),
        lp(0.5) + lp(0.2) + lp(0.9),
    ]
    assert [h.score for h in hyps] == [h.log_prob for h in hyps]
    assert all(h.finished for h in hyps)
    assert len(model.step_rows) == 3  # the early stop: the cap (16) was never reached


def test_n_best_with_gnmt_scores() -> None:
    model = ScriptedModel(TABLE, VOCAB)
    cfg = DecodingConfig(beam_size=3, n_best=3)  # gnmt, alpha 0.6
    hyps = decode(model, np.array([[7, 8, 9]]), np.array([3]), cfg)[0]
    for hyp in hyps:
        assert hyp.log_prob == model.log_prob(hyp.tokens, finished=True)
        assert hyp.score == hyp.log_prob / ((5 + len(hyp.tokens) + 1) / 6) ** 0.6
    assert [h.score for h in hyps] == sorted((h.score for h in hyps), reverse=True)
    assert hyps[0].tokens == [B]


def test_an_early_finished_hypothesis_is_never_dropped() -> None:
    # "" (EOS at once, .6) ends at step 0 with the best average score; the live beams go on
    # (under `avg` a long continuation could still win) but only get worse.
    chain = {A: 0.5, EOS: 0.3}
    table = {(): {EOS: 0.6, A: 0.3}} | {(A,) * n: chain for n in range(1, 40)}
    model = ScriptedModel(table, VOCAB, default={EOS: 0.3, A: 0.5})
    cfg = DecodingConfig(
        beam_size=2, n_best=2, length_penalty=LengthPenaltyConfig(type="avg"), stop="exact"
    )
    hyps = decode(model, np.array([[7, 8, 9]]), np.array([3]), cfg)[0]
    assert hyps[0].tokens == [] and hyps[0].finished
    assert hyps[0].score == lp(0.6)
    assert len(model.step_rows) > 3  # the search continued well after it ended
    assert hyps[1].score < hyps[0].score


def test_first_step_expands_only_one_beam() -> None:
    # If all K slots were live at step 0, the K copies of "a" would fill the n-best.
    model = ScriptedModel({(): {A: 0.97}}, VOCAB, default={EOS: 0.9})
    cfg = DecodingConfig(beam_size=3, n_best=3, length_penalty=NONE)
    hyps = decode(model, np.array([[7]]), np.array([1]), cfg)[0]
    assert len({tuple(h.tokens) for h in hyps}) == 3
    assert model.step_rows[0] == 3  # the rows exist, but only slot 0 was expanded


def test_equal_scores_rank_the_lower_token_first() -> None:
    model = ScriptedModel({(): {B: 0.4, A: 0.4}}, VOCAB, default={EOS: 0.9})
    cfg = DecodingConfig(beam_size=2, n_best=2, length_penalty=NONE)
    for _ in range(2):  # and the same again: deterministic
        hyps = decode(model, np.array([[7]]), np.array([1]), cfg)[0]
        assert [h.tokens for h in hyps] == [[A], [B]]
        assert hyps[0].score == hyps[1].score


def test_max_length_cuts_live_beams_as_unfinished() -> None:
    model = ScriptedModel({}, VOCAB, default={A: 0.5, B: 0.3, C: 0.19})
    cfg = DecodingConfig(beam_size=2, n_best=2, max_length_ratio=1.0, max_length_extra=1)
    hyps = decode(model, np.array([[7, 8]]), np.array([2]), cfg)[0]
    assert [h.tokens for h in hyps] == [[A, A, A], [A, A, B]]
    assert not any(h.finished for h in hyps)
    assert hyps[0].log_prob == 3 * lp(0.5)  # no EOS in the sum
    assert hyps[0].score == hyps[0].log_prob / ((5 + 3) / 6) ** 0.6
    assert hyps[0].attention.shape == (3, 2)


def test_min_length_suppresses_eos() -> None:
    model = RandomRNNModel(7, eos_bias=2.0)  # EOS is likely from the first step on
    src, lengths = random_batch(1, [3, 5, 2, 6])
    free = decode(model, src, lengths, DecodingConfig(beam_size=3, n_best=3))
    assert min(len(h.tokens) for hyps in free for h in hyps) < 3  # so the constraint matters
    held = decode(model, src, lengths, DecodingConfig(beam_size=3, n_best=3, min_length=3))
    assert all(len(h.tokens) >= 3 for hyps in held for h in hyps)


@pytest.mark.parametrize("penalty", PENALTIES, ids=lambda p: p.type)
@pytest.mark.parametrize(("beam", "n_best", "min_length"), [(2, 1, 0), (4, 3, 0), (5, 5, 2)])
def test_matches_the_reference_search_run_to_the_cap(
    penalty: LengthPenaltyConfig, beam: int, n_best: int, min_length: int
) -> None:
    """The early stop is exact: same n-best as a plain search that never stops early."""
    cfg = DecodingConfig(
        beam_size=beam, n_best=n_best, min_length=min_length, length_penalty=penalty, stop="exact"
    )
    for seed in range(3):
        model = RandomRNNModel(seed)
        src, lengths = random_batch(seed, [5, 3, 7, 1, 0, 4])
        got = decode(model, src, lengths, cfg)
        for i in range(len(lengths)):
            want = reference_beam_search(model, src[i, : lengths[i]], cfg)
            assert len(got[i]) == len(want) == n_best
            assert all(same(g, w) for g, w in zip(got[i], want, strict=True)), (seed, i)


def test_matches_the_reference_with_a_large_vocabulary() -> None:
    """V = 1024 takes the max-pyramid path of the top-k (1024 -> 128)."""
    cfg = DecodingConfig(beam_size=4, n_best=2, stop="exact")
    model = RandomRNNModel(5, vocab=1024)
    src, lengths = random_batch(5, [5, 2, 6])
    got = decode(model, src, lengths, cfg)
    for i in range(len(lengths)):
        want = reference_beam_search(model, src[i, : lengths[i]], cfg)
        assert all(same(g, w) for g, w in zip(got[i], want, strict=True))


@pytest.mark.parametrize("seed", range(6))
def test_beam_of_one_is_greedy(seed: int) -> None:
    model = RandomRNNModel(seed)
    src, lengths = random_batch(seed, [6, 2, 9, 4, 1])
    greedy = greedy_search(
        model,
        src,
        lengths,
        bos_id=BOS,
        eos_id=EOS,
        cfg=DecodingConfig(mode="greedy", length_penalty=NONE),
    )
    beam = decode(model, src, lengths, DecodingConfig(beam_size=1, length_penalty=NONE))
    for g, b in zip(greedy, beam, strict=True):
        assert same(g[0], b[0])


@pytest.mark.parametrize("penalty", PENALTIES, ids=lambda p: p.type)
def test_beam_of_one_is_greedy_for_every_penalty(penalty: LengthPenaltyConfig) -> None:
    """The default stop rule (`finished`): beam 1 is greedy whatever the length penalty."""
    for seed in range(4):
        model = RandomRNNModel(seed)
        src, lengths = random_batch(seed, [6, 2, 9, 4, 1])
        greedy_cfg = DecodingConfig(mode="greedy", length_penalty=penalty)
        greedy = greedy_search(model, src, lengths, bos_id=BOS, eos_id=EOS, cfg=greedy_cfg)
        beam = decode(model, src, lengths, DecodingConfig(beam_size=1, length_penalty=penalty))
        for g, b in zip(greedy, beam, strict=True):
            assert same(g[0], b[0])


@pytest.mark.parametrize("penalty", PENALTIES[1:], ids=lambda p: p.type)
def test_exact_stop_never_scores_below_greedy(penalty: LengthPenaltyConfig) -> None:
    """With `stop: exact` and avg / gnmt, beam 1 may find a better, longer hypothesis."""
    for seed in range(4):
        model = RandomRNNModel(seed)
        src, lengths = random_batch(seed, [6, 2, 9, 4, 1])
        greedy_cfg = DecodingConfig(mode="greedy", length_penalty=penalty)
        greedy = greedy_search(model, src, lengths, bos_id=BOS, eos_id=EOS, cfg=greedy_cfg)
        cfg = DecodingConfig(beam_size=1, length_penalty=penalty, stop="exact")
        beam = decode(model, src, lengths, cfg)
        for g, b in zip(greedy, beam, strict=True):
            assert b[0].score >= g[0].score
            if b[0].tokens == g[0].tokens:
                assert same(g[0], b[0])


@pytest.mark.parametrize("penalty", PENALTIES, ids=lambda p: p.type)
def test_batch_invariance(penalty: LengthPenaltyConfig) -> None:
    model = RandomRNNModel(21)
    src, lengths = random_batch(4, [4, 9, 1, 6, 0, 4, 12])
    cfg = DecodingConfig(beam_size=4, n_best=4, length_penalty=penalty)
    batched = decode(model, src, lengths, cfg)
    for i in range(len(lengths)):
        alone = decode(model, src[i : i + 1, : lengths[i]], lengths[i : i + 1], cfg)[0]
        assert all(same(a, b) for a, b in zip(alone, batched[i], strict=True))


def test_attention_is_per_output_token_over_the_true_source() -> None:
    model = RandomRNNModel(2)
    src, lengths = random_batch(2, [4, 9, 2])
    results = decode(model, src, lengths, DecodingConfig(beam_size=3, n_best=3))
    for n, hyps in zip(lengths, results, strict=True):
        for hyp in hyps:
            assert hyp.attention.dtype == np.float32
            assert hyp.attention.shape == (len(hyp.tokens), n)
            assert np.allclose(hyp.attention.sum(axis=1), 1.0, atol=1e-6)


def test_finished_sentences_leave_the_batch() -> None:
    model = ScriptedModel({}, VOCAB, default={A: 0.6, B: 0.3})  # never ends before its cap
    cfg = DecodingConfig(beam_size=2, max_length_ratio=1.0, max_length_extra=0)
    src, lengths = random_batch(0, [1, 3, 5])
    results = decode(model, src, lengths, cfg)
    assert [len(r[0].tokens) for r in results] == [1, 3, 5]
    assert model.step_rows == [6, 4, 4, 2, 2]


def test_read_only_model_outputs_are_not_written() -> None:
    class ReadOnly(ScriptedModel):
        def step(self, prev_tokens, state):  # type: ignore[no-untyped-def]
            log_probs, attention, state = super().step(prev_tokens, state)
            log_probs.setflags(write=False)
            attention.setflags(write=False)
            return log_probs, attention, state

    model = ReadOnly(TABLE, VOCAB)
    hyps = decode(
        model, np.array([[7, 8]]), np.array([2]), DecodingConfig(beam_size=2, min_length=1)
    )[0]
    assert hyps[0].tokens and hyps[0].finished


def test_zero_cap_gives_an_empty_cut_hypothesis() -> None:
    results = decode(
        RandomRNNModel(0), np.array([[4, 5]]), np.array([2]), DecodingConfig(max_length=0)
    )
    (hyp,) = results[0]
    assert hyp.tokens == [] and not hyp.finished and hyp.score == 0.0
    assert hyp.attention.shape == (0, 2)
