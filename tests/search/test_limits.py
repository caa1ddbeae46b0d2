"""Output caps and input checks."""

from __future__ import annotations

import numpy as np
import pytest

from nmt.config import DecodingConfig
from nmt.search.limits import check_batch, forbid_eos, max_output_lengths


def test_cap_is_ratio_times_source_plus_extra() -> None:
    cfg = DecodingConfig(max_length_ratio=2.0, max_length_extra=10)
    assert max_output_lengths(np.array([0, 3, 20]), cfg).tolist() == [10, 16, 50]


def test_cap_rounds_up_but_ignores_floating_point_noise() -> None:
    cfg = DecodingConfig(max_length_ratio=1.5, max_length_extra=0)
    assert max_output_lengths(np.array([3]), cfg).tolist() == [5]  # ceil(4.5)
    # 1.1 * 10 is 11.000000000000002 in binary floating point: still a cap of 11.
    noisy = DecodingConfig(max_length_ratio=1.1, max_length_extra=0)
    assert max_output_lengths(np.array([10]), noisy).tolist() == [11]


def test_absolute_cap_applies_on_top() -> None:
    cfg = DecodingConfig(max_length_ratio=2.0, max_length_extra=10, max_length=12)
    assert max_output_lengths(np.array([0, 3, 20]), cfg).tolist() == [10, 12, 12]


def test_forbid_eos_copies_and_masks_only_eos() -> None:
    log_probs = np.log(np.full((2, 4), 0.25, dtype=np.float32))
    log_probs.setflags(write=False)  # the model's arrays are read-only to the search
    masked = forbid_eos(log_probs, eos_id=2)
    assert np.isneginf(masked[:, 2]).all()
    assert np.array_equal(masked[:, [0, 1, 3]], log_probs[:, [0, 1, 3]])
    assert np.isfinite(log_probs).all()


@pytest.mark.parametrize(
    ("ids", "lengths"),
    [
        (np.zeros(3), np.array([3])),  # not [B, S]
        (np.zeros((2, 3)), np.array([3])),  # B mismatch
        (np.zeros((1, 3)), np.array([4])),  # longer than S
        (np.zeros((1, 3)), np.array([-1])),
    ],
)
def test_bad_batches_are_rejected(ids: np.ndarray, lengths: np.ndarray) -> None:
    with pytest.raises(ValueError):
        check_batch(ids, lengths)
