"""The max-pyramid top-k equals a brute-force sort of all K*V candidates."""

from __future__ import annotations

import numpy as np
import pytest

from nmt.search.topk import _max_pyramid, top_candidates


def brute_force(scores: np.ndarray, log_probs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    sent, beams = scores.shape
    vocab = log_probs.shape[1]
    flat = (log_probs.reshape(sent, beams, vocab) + scores[:, :, None]).reshape(sent, -1)
    index = np.broadcast_to(np.arange(beams * vocab), flat.shape)
    order = np.lexsort((index, -flat), axis=-1)[:, :k]
    return order, np.take_along_axis(flat, order, axis=1)


@pytest.mark.parametrize("vocab", [7, 100, 512, 1000, 8000, 8001])
@pytest.mark.parametrize("beams", [1, 3, 5])
def test_matches_brute_force(vocab: int, beams: int) -> None:
    rng = np.random.default_rng(vocab * 10 + beams)
    sent = 4
    log_probs = np.log(rng.dirichlet(np.full(vocab, 0.1), size=sent * beams)).astype(np.float32)
    scores = rng.normal(scale=3.0, size=(sent, beams))
    scores[0, 1:] = -np.inf  # the first step: only slot 0 is live
    flat, values = top_candidates(scores, log_probs, 2 * beams)
    want_flat, want_values = brute_force(scores, log_probs, min(2 * beams, beams * vocab))
    assert np.array_equal(values, want_values)
    finite = np.isfinite(want_values)  # -inf candidates tie; which of them is returned is moot
    assert np.array_equal(flat[finite], want_flat[finite])
    assert np.isfinite(values[0, : min(2 * beams, vocab)]).all()


def test_large_vocabularies_use_a_pyramid() -> None:
    widths = [level.shape[1] for level in _max_pyramid(np.zeros((2, 8000), np.float32))]
    assert widths == [8000, 1000, 125]
    assert len(_max_pyramid(np.zeros((2, 8001), np.float32))) == 1


def test_ties_go_to_the_lower_slot_then_the_lower_token() -> None:
    log_probs = np.log(np.full((2, 4), 0.25, dtype=np.float32))
    flat, values = top_candidates(np.zeros((1, 2)), log_probs, 8)
    assert flat[0].tolist() == list(range(8))
    assert np.all(values == values[0, 0])


def test_k_is_clamped_to_the_number_of_candidates() -> None:
    flat, _ = top_candidates(np.zeros((3, 2)), np.zeros((6, 3), np.float32), 10)
    assert flat.shape == (3, 6)
