"""The top-k step protocol: a search over `step_topk` returns exactly what the search over the
full log-probabilities returns (greedy, beam, EOS suppression, n-best, scores, attention)."""

from __future__ import annotations

import numpy as np
import pytest

from nmt.config import DecodingConfig, LengthPenaltyConfig
from nmt.search import search
from nmt.search.candidates import merge_rows, without
from nmt.search.protocol import Hypothesis, StepModel, TopK
from tests.search.toy_models import (
    BOS,
    EOS,
    RandomRNNModel,
    ScriptedModel,
    TopKAdapter,
    random_batch,
)

CASES = [
    DecodingConfig(mode="greedy"),
    DecodingConfig(mode="greedy", min_length=3),
    DecodingConfig(beam_size=1),
    DecodingConfig(beam_size=3, n_best=3),
    DecodingConfig(beam_size=5, n_best=2, min_length=2, length_penalty=LengthPenaltyConfig()),
    DecodingConfig(beam_size=4, n_best=4, stop="exact"),
]


def run(model: StepModel, src: np.ndarray, lengths: np.ndarray, cfg: DecodingConfig) -> list:
    return search(model, src, lengths, bos_id=BOS, eos_id=EOS, cfg=cfg)


def same(a: list[list[Hypothesis]], b: list[list[Hypothesis]]) -> bool:
    return all(
        len(x) == len(y)
        and all(
            h.tokens == g.tokens
            and h.score == g.score
            and h.log_prob == g.log_prob
            and h.finished == g.finished
            and np.array_equal(h.attention, g.attention)
            for h, g in zip(x, y, strict=True)
        )
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("cfg", CASES, ids=lambda c: f"{c.mode}-{c.beam_size}-{c.min_length}")
@pytest.mark.parametrize("vocab", [12, 1024])
def test_topk_steps_decode_exactly_as_log_prob_steps(cfg: DecodingConfig, vocab: int) -> None:
    for seed in range(3):
        model = RandomRNNModel(seed, vocab=vocab, eos_bias=1.0)
        src, lengths = random_batch(seed, [5, 3, 7, 1, 0, 4])
        adapter = TopKAdapter(RandomRNNModel(seed, vocab=vocab, eos_bias=1.0))
        assert same(run(adapter, src, lengths, cfg), run(model, src, lengths, cfg)), seed


def test_the_search_asks_for_what_it_needs() -> None:
    """Greedy: 1 candidate a row; beam K: 2K; one more while EOS is forbidden."""
    src, lengths = random_batch(0, [6, 6])
    for cfg, first, later in [
        (DecodingConfig(mode="greedy"), 1, 1),
        (DecodingConfig(mode="greedy", min_length=2), 2, 1),
        (DecodingConfig(beam_size=5, min_length=1), 11, 10),
    ]:
        adapter = TopKAdapter(RandomRNNModel(0, vocab=40, eos_bias=-9.0))
        run(adapter, src, lengths, cfg)
        assert adapter.ks[0] == first and set(adapter.ks[2:]) == {later}


def test_min_length_with_a_vocabulary_smaller_than_k() -> None:
    """V = 4 < 2K + 1: EOS stays a candidate at -inf, as forbid_eos leaves it."""
    table = {(): {EOS: 0.7, 3: 0.2}}
    cfg = DecodingConfig(beam_size=3, n_best=3, min_length=1)
    src, lengths = np.array([[5, 6]]), np.array([2])
    want = run(ScriptedModel(table, 4), src, lengths, cfg)
    assert same(run(TopKAdapter(ScriptedModel(table, 4)), src, lengths, cfg), want)


@pytest.mark.parametrize("cfg", CASES[:3], ids=lambda c: f"{c.mode}-{c.min_length}")
def test_batch_composition_does_not_change_outputs(cfg: DecodingConfig) -> None:
    lengths_all = [5, 3, 7, 1, 0, 4, 6]
    src, lengths = random_batch(4, lengths_all)
    together = run(TopKAdapter(RandomRNNModel(4)), src, lengths, cfg)
    for i in range(len(lengths_all)):
        alone = run(TopKAdapter(RandomRNNModel(4)), src[i : i + 1], lengths[i : i + 1], cfg)
        assert same(alone, together[i : i + 1]), i


def test_without_moves_the_token_last_and_keeps_the_order() -> None:
    found = TopK(
        np.array([[-0.1, -0.2, -0.3], [-0.5, -0.6, -0.7]], np.float32),
        np.array([[7, 3, 9], [1, 2, 4]]),
    )
    cut = without(found, 3, 2)
    np.testing.assert_array_equal(cut.ids, [[7, 9], [1, 2]])
    np.testing.assert_array_equal(cut.values, np.array([[-0.1, -0.3], [-0.5, -0.6]], np.float32))
    kept = without(found, 3, 3)
    assert kept.ids[0].tolist() == [7, 9, 3] and kept.values[0, 2] == -np.inf


def test_merge_rows_ranks_score_then_slot_then_token() -> None:
    beam_scores = np.array([[0.0, -1.0]])
    found = TopK(
        np.array([[-1.0, -2.0], [0.0, -1.0]], np.float32),  # slot 0: tokens 5, 2; slot 1: 1, 0
        np.array([[5, 2], [1, 0]]),
    )
    slot, token, score = merge_rows(beam_scores, found, 3)
    assert slot.tolist() == [[0, 1, 0]] and token.tolist() == [[5, 1, 2]]
    assert score.tolist() == [[-1.0, -1.0, -2.0]]
