"""The generic state reorder and the dispatcher."""

from __future__ import annotations

import numpy as np

from nmt.config import DecodingConfig
from nmt.search import SENTENCE_KEY, beam_search, greedy_search, reorder_state, search
from tests.search.toy_models import BOS, EOS, RandomRNNModel


def test_reorder_takes_rows_of_every_array() -> None:
    state = {
        "memory": np.arange(12).reshape(3, 2, 2),
        "src_mask": np.array([[1, 0], [1, 1], [0, 0]], bool),
    }
    expanded = reorder_state(state, np.repeat(np.arange(3), 2))  # beam expansion, K = 2
    assert expanded["memory"].shape == (6, 2, 2)
    assert np.array_equal(expanded["memory"][4], state["memory"][2])
    picked = reorder_state(state, np.array([2, 0]))
    assert picked["src_mask"].tolist() == [[False, False], [True, False]]
    picked["memory"][0] = -1  # a copy: the old state is untouched
    assert state["memory"].min() == 0


def test_beam_steps_reuse_per_sentence_arrays() -> None:
    rng = np.random.default_rng(0)
    state = {
        SENTENCE_KEY: np.repeat(np.arange(2), 3),  # 2 sentences x 3 beams
        "memory": rng.normal(size=(6, 4, 2)),
        "h": np.arange(6.0),
    }

    def check(indices: list[int], reused: bool) -> None:
        take = np.array(indices)
        new = reorder_state(state, take, per_sentence=("memory",))
        assert (new["memory"] is state["memory"]) == reused
        for key, value in state.items():  # either way: exactly what a plain take gives
            assert np.array_equal(new[key], value[take])

    for row in range(6):  # rows of one sentence are copies of its memory
        state["memory"][row] = state["memory"][3 * (row // 3)]
    check([2, 2, 0, 4, 3, 3], reused=True)  # back-pointers within each sentence
    check([3, 0, 0, 4, 3, 3], reused=False)  # position 0 would take sentence 1's row
    check([0, 1, 2], reused=False)  # sentence 1 dropped
    assert reorder_state(state, np.arange(6))["memory"] is not state["memory"]  # not asked


def test_search_dispatches_on_mode() -> None:
    model = RandomRNNModel(3)
    src, lengths = np.array([[5, 6, 7, 8]]), np.array([4])
    greedy_cfg = DecodingConfig(mode="greedy")
    beam_cfg = DecodingConfig(mode="beam", beam_size=3, n_best=2)
    got_greedy = search(model, src, lengths, bos_id=BOS, eos_id=EOS, cfg=greedy_cfg)
    want_greedy = greedy_search(model, src, lengths, bos_id=BOS, eos_id=EOS, cfg=greedy_cfg)
    assert [h.tokens for h in got_greedy[0]] == [h.tokens for h in want_greedy[0]]
    got_beam = search(model, src, lengths, bos_id=BOS, eos_id=EOS, cfg=beam_cfg)
    want_beam = beam_search(model, src, lengths, bos_id=BOS, eos_id=EOS, cfg=beam_cfg)
    assert len(got_beam[0]) == 2
    assert [h.score for h in got_beam[0]] == [h.score for h in want_beam[0]]
