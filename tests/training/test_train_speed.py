"""bench/train_speed.py times the real `TranslationSystem.training_step` on a fixed batch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "bench" / "train_speed.py"
TINY = ROOT / "configs" / "tiny.yaml"

pytestmark = pytest.mark.training


def test_one_precision_reports_the_systems_step_speed() -> None:
    cmd = [sys.executable, str(TOOL), "--worker", "32", "--config", str(TINY)]
    run = subprocess.run(
        [*cmd, "--steps", "2", "--warmup", "1", "--threads", "1"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    from nmt.config import TrainConfig, load_yaml
    from training.system import TranslationSystem

    system = TranslationSystem.from_config(load_yaml(TrainConfig, TINY))
    assert result["parameters"] == system.model.num_parameters()
    assert result["tokens_per_batch"] == 64 * 30 and result["steps"] == 2
    assert result["target_tokens_per_s"] > 0 and result["median_step_s"] > 0
    assert "self.log" not in run.stderr  # the Trainer-less logging warning stays quiet
