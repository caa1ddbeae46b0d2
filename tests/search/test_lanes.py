"""Lanes: a big batch split over several copies of the step model gives exactly the hypotheses
of one search over the whole batch, in input order; small batches run whole; a cancelled or
failing lane ends the call with its error after every lane has stopped."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from nmt.config import DecodingConfig
from nmt.search import Lanes, SearchCancelledError, search
from tests.search.toy_models import BOS, EOS, RandomRNNModel

GREEDY = DecodingConfig(mode="greedy")
BEAM = DecodingConfig(mode="beam", beam_size=3, n_best=2)


def _batch(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 7, size=rows)
    ids = rng.integers(3, 20, size=(rows, int(lengths.max())))
    ids[np.arange(ids.shape[1]) >= lengths[:, None]] = 0
    return ids, lengths


def _lanes(count: int, min_rows: int) -> tuple[Lanes, list[RandomRNNModel]]:
    models = [RandomRNNModel(3) for _ in range(count + 1)]
    return Lanes(models[0], models[1:], min_rows=min_rows), models


def _plain(hyps: list[list[Any]]) -> list[list[tuple[Any, ...]]]:
    return [[(tuple(h.tokens), h.score, h.finished) for h in nbest] for nbest in hyps]


@pytest.mark.parametrize("cfg", [GREEDY, BEAM], ids=["greedy", "beam"])
@pytest.mark.parametrize("count", [2, 3])
def test_split_batches_give_the_whole_batch_results_in_order(
    cfg: DecodingConfig, count: int
) -> None:
    ids, lengths = _batch(11)
    want = search(RandomRNNModel(3), ids, lengths, bos_id=BOS, eos_id=EOS, cfg=cfg)
    lanes, models = _lanes(count, min_rows=1)
    got = search(lanes, ids, lengths, bos_id=BOS, eos_id=EOS, cfg=cfg)
    assert _plain(got) == _plain(want)
    assert models[0].step_rows == []  # the whole model had nothing to do
    assert all(m.step_rows for m in models[1:])  # every lane decoded its share
    lanes.close()


def test_how_many_lanes_a_batch_takes() -> None:
    lanes, _ = _lanes(2, min_rows=16)
    assert lanes.split(1, GREEDY) == 1 and lanes.split(31, GREEDY) == 1
    assert lanes.split(32, GREEDY) == 2 and lanes.split(500, GREEDY) == 2
    five = DecodingConfig(mode="beam", beam_size=5)
    # a lane needs 4 whole sentences (20 rows >= 16): 7 would leave one lane 3 (15 rows)
    assert lanes.split(7, five) == 1 and lanes.split(8, five) == 2
    three = Lanes(RandomRNNModel(1), [RandomRNNModel(1)] * 3, min_rows=16)
    assert three.split(47, GREEDY) == 1 and three.split(48, GREEDY) == 3  # all lanes or none
    lanes.close()


def test_a_small_batch_runs_whole() -> None:
    lanes, models = _lanes(2, min_rows=16)
    ids, lengths = _batch(3)
    search(lanes, ids, lengths, bos_id=BOS, eos_id=EOS, cfg=GREEDY)
    assert models[0].step_rows and not models[1].step_rows and not models[2].step_rows
    lanes.close()


def test_cancelling_stops_every_lane() -> None:
    lanes, models = _lanes(2, min_rows=1)
    ids, lengths = _batch(8)
    asked = threading.Event()

    def stop() -> bool:
        if asked.is_set():
            return True
        asked.set()
        return False

    with pytest.raises(SearchCancelledError):
        search(lanes, ids, lengths, bos_id=BOS, eos_id=EOS, cfg=GREEDY, should_stop=stop)
    assert sum(len(m.step_rows) for m in models) <= 1  # at most one step before the stop
    lanes.close()


def test_a_failing_lane_stops_the_others_and_its_error_is_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lanes, models = _lanes(2, min_rows=1)
    failed = threading.Event()
    encode = models[1].encode

    def broken(*args: Any, **kwargs: Any) -> Any:
        failed.set()
        raise RuntimeError("lane 2 broke")

    def late(*args: Any, **kwargs: Any) -> Any:
        failed.wait(5)
        time.sleep(0.2)  # the failed lane's callback has halted the others by now
        return encode(*args, **kwargs)

    monkeypatch.setattr(models[2], "encode", broken)
    monkeypatch.setattr(models[1], "encode", late)
    ids, lengths = _batch(8)
    with pytest.raises(RuntimeError, match="lane 2 broke"):  # not the induced cancellation
        search(lanes, ids, lengths, bos_id=BOS, eos_id=EOS, cfg=GREEDY)
    assert models[1].step_rows == []  # lane 1 stopped before its first step
    lanes.close()
    with pytest.raises(RuntimeError, match="closed"):
        search(lanes, ids, lengths, bos_id=BOS, eos_id=EOS, cfg=GREEDY)


def test_lanes_need_two_models() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        Lanes(RandomRNNModel(1), [RandomRNNModel(1)])
