"""The learning-rate schedule of training: warmup, then inverse-sqrt, linear or constant, with an
optional plateau scale. Plain Python (no torch, no Lightning), so it is tested on its own."""

from __future__ import annotations

import logging
import math

from nmt.config import OptimConfig

logger = logging.getLogger(__name__)


class LrSchedule:
    """Learning-rate factor per step: linear warmup, then inverse-sqrt decay, linear decay to
    the floor at `total_steps`, or constant, times a plateau scale that `observe` lowers when
    valid BLEU stalls (`schedule: plateau`).

    One callable object for LambdaLR: its attributes are saved in LambdaLR's state dict, so the
    plateau scale survives a resume.
    """

    def __init__(self, cfg: OptimConfig, total_steps: int = -1) -> None:
        self.warmup = max(1, cfg.warmup_steps)
        self.total = total_steps
        self.kind = cfg.schedule
        self.floor = cfg.min_lr / cfg.lr
        self.factor = cfg.plateau_factor
        self.patience = cfg.plateau_patience
        self.scale = 1.0
        self.best = -math.inf
        self.bad = 0

    def __call__(self, step: int) -> float:
        s = step + 1
        if s < self.warmup:
            return s / self.warmup
        if self.kind == "inverse_sqrt":
            decay = math.sqrt(self.warmup / s)
        elif self.kind == "linear":
            decay = max(0.0, (self.total - s) / max(1, self.total - self.warmup))
        else:
            decay = 1.0
        return max(decay * self.scale, self.floor)

    def observe(self, metric: float) -> None:
        """A validation result: under `plateau`, scale down after `patience` stalls."""
        if self.kind != "plateau":
            return
        if metric > self.best:
            self.best, self.bad = metric, 0
        else:
            self.bad += 1
            if self.bad > self.patience:
                self.scale *= self.factor
                self.bad = 0
                logger.info("valid BLEU stalled: learning-rate scale now %.3g", self.scale)
