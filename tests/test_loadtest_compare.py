"""bench/loadtest_compare.py: medians per side, after/before ratios, errors summed, and the
sides alternating in order round by round (so drift hits both alike)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

import bench.loadtest_compare as compare


def _report(rps: float, p50: float, errors: int = 0) -> dict[str, Any]:
    return {
        "requests_per_s": rps,
        "latency_ms": {"p50": p50, "p95": 2 * p50},
        "errors": {"503": errors} if errors else {},
    }


def test_medians_ratios_and_errors() -> None:
    runs = {
        "greedy-c1": {
            "before": [_report(100, 10), _report(120, 8), _report(110, 9)],
            "after": [_report(150, 6), _report(130, 7, errors=2), _report(140, 5)],
        }
    }
    row = compare.summarise(runs)["greedy-c1"]
    assert row["before"]["requests_per_s"] == 110 and row["after"]["requests_per_s"] == 140
    assert row["before"]["p50_ms"] == 9 and row["after"]["p50_ms"] == 6
    assert row["throughput_ratio"] == round(140 / 110, 3)
    assert row["p50_ratio"] == round(6 / 9, 3)
    assert row["after"]["errors"] == 2 and row["before"]["errors"] == 0
    table = compare.markdown(
        {"cpu": "cpu", "before": "a", "after": "b", "duration_s": 5, "rounds": 3,
         "cases": {"greedy-c1": row}}
    )  # fmt: skip
    assert "| greedy-c1 | 110.0 | 140.0 | 1.273x | 9.0 | 6.0 | 0.667x | 2 |" in table


def test_sides_alternate_round_by_round(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, int]] = []

    def fake(bundle: Path, mode: str, clients: int, args: argparse.Namespace) -> dict[str, Any]:
        calls.append((bundle.name, mode, clients))
        return _report(1.0, 1.0)

    monkeypatch.setattr(compare, "run_one", fake)
    args = argparse.Namespace(
        before=Path("old"), after=Path("new"), modes=["greedy"], clients=[32], rounds=3
    )
    runs = compare.run_cases(args)
    assert [c[0] for c in calls] == ["old", "new", "new", "old", "old", "new"]
    assert {len(v) for v in runs["greedy-c32"].values()} == {3}
