"""Greedy search on scripted and random step models."""

from __future__ import annotations

import math

import numpy as np

from nmt.config import DecodingConfig, LengthPenaltyConfig
from nmt.search import greedy_search
from nmt.search.protocol import Hypothesis, StepModel
from tests.search.toy_models import BOS, EOS, RandomRNNModel, ScriptedModel, random_batch

A, B, C = 3, 4, 5
VOCAB = 6
GREEDY = DecodingConfig(mode="greedy", length_penalty=LengthPenaltyConfig(type="none"))


def decode(
    model: StepModel, src: np.ndarray, lengths: np.ndarray, cfg: DecodingConfig
) -> list[Hypothesis]:
    results = greedy_search(model, src, lengths, bos_id=BOS, eos_id=EOS, cfg=cfg)
    assert all(len(r) == 1 for r in results)
    return [r[0] for r in results]


def test_greedy_follows_the_argmax_path() -> None:
    model = ScriptedModel(
        {(): {A: 0.5, B: 0.4}, (A,): {C: 0.35, EOS: 0.3}, (A, C): {EOS: 0.4, A: 0.3}}, VOCAB
    )
    cfg = DecodingConfig(mode="greedy")  # default gnmt penalty, alpha 0.6
    (hyp,) = decode(model, np.array([[7, 8, 9]]), np.array([3]), cfg)
    assert hyp.tokens == [A, C]
    assert hyp.finished
    assert hyp.log_prob == model.log_prob([A, C], finished=True)
    assert hyp.log_prob == float(np.float32(math.log(0.5))) + float(
        np.float32(math.log(0.35))
    ) + float(np.float32(math.log(0.4)))
    assert hyp.score == hyp.log_prob / ((5 + 3) / 6) ** 0.6  # 2 tokens + EOS
    assert hyp.attention.shape == (2, 3)
    assert np.allclose(hyp.attention, 1 / 3)


def test_min_length_suppresses_eos_without_renormalising() -> None:
    model = ScriptedModel(
        {(): {EOS: 0.6, A: 0.3}, (A,): {EOS: 0.5, B: 0.4}, (A, B): {EOS: 0.9}}, VOCAB
    )
    src, lengths = np.array([[7, 8]]), np.array([2])
    (free,) = decode(model, src, lengths, GREEDY)
    assert free.tokens == [] and free.finished
    (held,) = decode(model, src, lengths, DecodingConfig(mode="greedy", min_length=2))
    assert held.tokens == [A, B] and held.finished
    assert held.log_prob == model.log_prob([A, B], finished=True)


def test_max_length_cuts_and_reports_unfinished() -> None:
    model = ScriptedModel({}, VOCAB, default={A: 0.9})
    cfg = DecodingConfig(
        mode="greedy",
        max_length_ratio=1.0,
        max_length_extra=1,
        length_penalty=LengthPenaltyConfig(type="avg"),
    )
    (hyp,) = decode(model, np.array([[7, 8]]), np.array([2]), cfg)
    assert hyp.tokens == [A, A, A]  # cap = 1.0 * 2 + 1
    assert not hyp.finished
    assert hyp.log_prob == model.log_prob([A, A, A], finished=False)  # no EOS in the sum
    assert hyp.score == hyp.log_prob / 3
    assert hyp.attention.shape == (3, 2)


def test_finished_rows_leave_the_batch_instead_of_being_rerun() -> None:
    model = ScriptedModel({}, VOCAB, default={A: 0.9})  # never ends: each row runs to its cap
    cfg = DecodingConfig(mode="greedy", max_length_ratio=1.0, max_length_extra=0)
    src, lengths = random_batch(0, [1, 2, 3, 4, 8])
    hyps = decode(model, src, lengths, cfg)
    assert [len(h.tokens) for h in hyps] == [1, 2, 3, 4, 8]
    assert len(model.step_rows) == 8  # one step call per output position, for the whole batch
    assert model.step_rows[0] == 5 and model.step_rows[-1] == 1
    assert model.step_rows == sorted(model.step_rows, reverse=True)


def test_greedy_is_batch_invariant() -> None:
    model = RandomRNNModel(11)
    src, lengths = random_batch(5, [4, 9, 1, 6, 0, 4, 12])
    batched = decode(model, src, lengths, DecodingConfig(mode="greedy"))
    for i in range(len(lengths)):
        (alone,) = decode(
            model, src[i : i + 1, : lengths[i]], lengths[i : i + 1], DecodingConfig(mode="greedy")
        )
        assert alone.tokens == batched[i].tokens
        assert alone.score == batched[i].score
        assert alone.finished == batched[i].finished
        assert np.array_equal(alone.attention, batched[i].attention)
        assert batched[i].attention.shape == (len(alone.tokens), lengths[i])


def test_empty_batch_and_zero_cap() -> None:
    assert (
        decode(RandomRNNModel(0), np.zeros((0, 3), np.int64), np.zeros(0, np.int64), GREEDY) == []
    )
    capped = DecodingConfig(mode="greedy", max_length=0)
    (hyp,) = decode(RandomRNNModel(0), np.array([[4, 5]]), np.array([2]), capped)
    assert hyp.tokens == [] and not hyp.finished and hyp.score == 0.0
    assert hyp.attention.shape == (0, 2)
