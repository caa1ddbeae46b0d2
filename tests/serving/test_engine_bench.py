"""bench/engine_throughput.py: the engine's ceiling (no HTTP) on the load test's texts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "bench" / "engine_throughput.py"


def test_engine_tool_reports_texts_and_sentences_per_s(base_bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "engine"
    cmd = [sys.executable, str(TOOL), "--bundle", str(base_bundle), "--duration", "0.5"]
    run = subprocess.run(
        [*cmd, "--batch", "4", "--concurrency", "2", "--mode", "beam", "--beam-size", "2",
         "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = json.loads(out.with_suffix(".json").read_text())
    assert result["texts"] > 0 and result["texts"] % 4 == 0  # whole batches of 4
    assert result["sentences_per_s"] >= result["texts_per_s"] > 0  # 1-3 sentences a text
    assert result["beam_size"] == 2 and result["concurrency"] == 2
    assert "| texts/s | sentences/s |" in out.with_suffix(".md").read_text()
    refused = subprocess.run([*cmd, "--batch", "0"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--batch must be >= 1" in refused.stderr
    missing = [sys.executable, str(TOOL), "--bundle", str(tmp_path / "nowhere")]
    gone = subprocess.run(missing, capture_output=True, text=True, timeout=60)
    assert gone.returncode == 2 and "no such folder" in gone.stderr
    assert "Traceback" not in gone.stderr
