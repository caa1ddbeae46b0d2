"""Learning-rate schedules: warmup, inverse-sqrt and linear decay, and their config checks."""

from __future__ import annotations

import itertools
import math

import pytest

from nmt.config import ConfigError, OptimConfig, TrainConfig, from_dict
from training.schedule import LrSchedule


def test_linear_decays_from_peak_to_floor_at_max_steps() -> None:
    cfg = OptimConfig(lr=1e-3, warmup_steps=100, schedule="linear", min_lr=1e-5)
    sched = LrSchedule(cfg, total_steps=1100)
    assert sched(49) == pytest.approx(0.5)  # warmup: step index 49 is the 50th update
    assert sched(99) == pytest.approx(1.0)
    assert sched(599) == pytest.approx(0.5)  # halfway through the decay
    assert sched(1099) == pytest.approx(0.01)  # the floor, min_lr / lr
    assert sched(5000) == pytest.approx(0.01)
    factors = [sched(s) for s in range(99, 1100)]
    assert all(a >= b for a, b in itertools.pairwise(factors))


def test_inverse_sqrt_is_unchanged() -> None:
    cfg = OptimConfig(lr=1e-3, warmup_steps=400, schedule="inverse_sqrt")
    sched = LrSchedule(cfg)
    assert sched(1599) == pytest.approx(math.sqrt(400 / 1600))


def test_linear_needs_max_steps() -> None:
    with pytest.raises(ConfigError, match="max_steps"):
        from_dict(TrainConfig, {"optim": {"schedule": "linear"}})
    cfg = from_dict(TrainConfig, {"optim": {"schedule": "linear"}, "trainer": {"max_steps": 900}})
    assert cfg.trainer.max_steps == 900
