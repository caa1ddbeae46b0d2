"""Load test before / after: two bundles served in turn, side by side, in alternating order.

For every case (greedy and beam 5, 1 and 32 clients by default) this runs `bench/loadtest.py
--spawn` against the `before` bundle and the `after` bundle (a fresh server each time, the same
request texts and seed), `--rounds` times, before first in even rounds and after first in odd
ones, so that a shared machine's drift hits both sides alike. The report gives, per case and
side, the median requests/s and p50 latency over the rounds, the after/before ratio of the
medians, and errors (which must stay 0).

    python bench/loadtest_compare.py --before models/en-de --after NEW_BUNDLE
        [--duration 20] [--rounds 2] [--clients 1 32] [--modes greedy beam]

Writes bench/results/loadtest_compare.{json,md} (`--out PREFIX` elsewhere) and prints the table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.results_io import machine, shown_path, write_results  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SIDES = ("before", "after")


def run_one(bundle: Path, mode: str, clients: int, args: argparse.Namespace) -> dict[str, Any]:
    """One `loadtest.py --spawn` run; its JSON report."""
    with tempfile.TemporaryDirectory(prefix="nmt-loadcmp-") as tmp:
        prefix = Path(tmp) / "run"
        cmd = [sys.executable, str(ROOT / "bench" / "loadtest.py"), "--spawn"]
        cmd += ["--bundles", str(bundle), "--clients", str(clients), "--mode", mode]
        cmd += ["--duration", str(args.duration), "--seed", str(args.seed), "--out", str(prefix)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(
                f"loadtest failed ({bundle}, {mode}, {clients}):\n{proc.stderr[-3000:]}"
            )
        result: dict[str, Any] = json.loads(prefix.with_suffix(".json").read_text("utf-8"))
    return result


def run_cases(args: argparse.Namespace) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """{case: {side: [report per round]}}, sides alternating in order round by round."""
    bundles = {"before": args.before, "after": args.after}
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for mode in args.modes:
        for clients in args.clients:
            case = f"{mode}-c{clients}"
            found[case] = {side: [] for side in SIDES}
            for rnd in range(args.rounds):
                order = SIDES if rnd % 2 == 0 else SIDES[::-1]
                for side in order:
                    print(f"{case} round {rnd + 1} {side} ...", file=sys.stderr)
                    found[case][side].append(run_one(bundles[side], mode, clients, args))
    return found


def summarise(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """Per case and side: median requests/s, p50 and p95 latency, error count."""
    cases: dict[str, Any] = {}
    for case, sides in runs.items():
        row: dict[str, Any] = {}
        for side, reports in sides.items():
            row[side] = {
                "requests_per_s": round(statistics.median(r["requests_per_s"] for r in reports), 1),
                "p50_ms": round(statistics.median(r["latency_ms"]["p50"] for r in reports), 1),
                "p95_ms": round(statistics.median(r["latency_ms"]["p95"] for r in reports), 1),
                "errors": sum(sum(r["errors"].values()) for r in reports),
                "rounds": [r["requests_per_s"] for r in reports],
            }
        row["throughput_ratio"] = _ratio(
            row["after"]["requests_per_s"], row["before"]["requests_per_s"]
        )
        row["p50_ratio"] = _ratio(row["after"]["p50_ms"], row["before"]["p50_ms"])
        cases[case] = row
    return cases


def _ratio(after: float, before: float) -> float:
    """after / before, or NaN when before is 0 (a side that served nothing)."""
    return round(after / before, 3) if before else float("nan")


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Load test before / after ({report['duration_s']:g} s a run, {report['rounds']} "
        f"rounds per side in alternating order, medians; `bench/loadtest.py --spawn`); "
        f"{report['cpu']}",
        "",
        f"before: `{report['before']}`; after: `{report['after']}`",
        "",
        "| case | before req/s | after req/s | after / before | before p50 ms | after p50 ms "
        "| p50 after / before | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case, row in report["cases"].items():
        b, a = row["before"], row["after"]
        lines.append(
            f"| {case} | {b['requests_per_s']:,.1f} | {a['requests_per_s']:,.1f} | "
            f"{row['throughput_ratio']:.3f}x | {b['p50_ms']:.1f} | {a['p50_ms']:.1f} | "
            f"{row['p50_ratio']:.3f}x | {b['errors'] + a['errors']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="bundle folder (old)")
    parser.add_argument("--after", type=Path, required=True, help="bundle folder (new)")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 32])
    parser.add_argument(
        "--modes", nargs="+", choices=("greedy", "beam"), default=["greedy", "beam"]
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "loadtest_compare")
    args = parser.parse_args()
    if args.rounds < 1 or args.duration <= 0:
        parser.error("--rounds must be >= 1 and --duration > 0")
    runs = run_cases(args)
    report = {
        "cpu": machine(),
        "before": shown_path(args.before),
        "after": shown_path(args.after),
        "duration_s": args.duration,
        "rounds": args.rounds,
        "cases": summarise(runs),
    }
    write_results(args.out, report, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
