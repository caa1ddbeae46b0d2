"""Before / after: two exports of the same run decoded side by side, in interleaved rounds.

Each round times the `before` and the `after` graphs (fp32 and int8) with `make bench`'s own
worker (`bench/decode_speed.py --worker onnx`: 30-token sources, EOS suppressed, one process
per backend), in alternating order (before first in even rounds, after first in odd ones), so
drift on a shared machine hits both alike. The CPU ceiling of the step's products
(`bench/cpu_ceiling.py`, shapes from `--bundle`, default models/en-de: the exports' shape) is
measured before and after the rounds. The report gives, per case, the median tokens/s of each
side and the median of the per-round after/before ratios; batch-1 greedy latency (ms a
sentence) pair by pair; int8 batch-64 greedy as a share of the int8 ceiling; and the parity
figures of both exports' export_report.json (fp32 vs PyTorch, int8 vs fp32).

    python bench/step_compare.py --before OLD_EXPORT --after NEW_EXPORT [--rounds 10]
        [--runs 10] [--threads N] [--bundle models/en-de]

OLD_EXPORT and NEW_EXPORT are `nmt export` folders (fp32/ and int8/ inside) or bundles (the
graphs at the top, of the precision their manifest's `quantization` names: int8 for
`int8-dynamic`); only the precisions both sides have are timed, so two shipped bundles compare
int8 against int8 (an old model and a new one, `--bundle` then names either). Writes
bench/results/step_compare.{json,md} (`--out PREFIX` elsewhere) and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.results_io import machine, shown_path, write_results  # noqa: E402
from nmt.bundle import MANIFEST, Manifest  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SIDES = ("before", "after")
PRECISIONS = ("int8", "fp32")
LATENCY_TARGET = 0.25  # batch-1 greedy latency at least this much lower, pair by pair
CEILING_TARGET = 0.60  # int8 batch-64 greedy at least this share of the int8 ceiling


def _worker(folder: Path, args: argparse.Namespace, lanes: int) -> dict[str, Any]:
    """decode_speed's worker on one graph folder, in its own process: case -> figures."""
    from bench.decode_speed import run_worker

    ns = argparse.Namespace(threads=args.threads, runs=args.runs, warmup=args.warmup, lanes=lanes)
    cases: dict[str, Any] = run_worker("onnx", folder, ns)["cases"]
    return cases


def _ceiling(bundle: Path, threads: int) -> dict[str, Any]:
    from bench.cpu_ceiling import bundle_config, measure, step_shapes

    return measure(step_shapes(bundle_config(bundle)), threads, 200)


def graph_folders(root: Path) -> dict[str, Path]:
    """precision -> folder of encoder.onnx + decoder_step.onnx: an export's fp32/ and int8/, or
    a bundle's own graphs under the precision of its manifest."""
    manifest = _manifest(root)
    if manifest is not None:
        return {"int8" if manifest.quantization.startswith("int8") else "fp32": root}
    return {p: root / p for p in PRECISIONS if (root / p / "decoder_step.onnx").is_file()}


def _manifest(root: Path) -> Manifest | None:
    """The bundle manifest in `root` (read by nmt.bundle), or None for an export folder."""
    path = root / MANIFEST
    return Manifest.from_json(path.read_text(encoding="utf-8")) if path.is_file() else None


def shared_precisions(before: Path, after: Path) -> dict[str, dict[str, Path]]:
    """precision -> {side: folder}, for the precisions both sides have (int8 first)."""
    sides = {"before": graph_folders(before), "after": graph_folders(after)}
    shared = [p for p in PRECISIONS if all(p in sides[s] for s in SIDES)]
    if "int8" not in shared:
        raise SystemExit(
            f"no int8 graphs on both sides: {before} has {list(sides['before'])}, "
            f"{after} has {list(sides['after'])}"
        )
    return {p: {s: sides[s][p] for s in SIDES} for p in shared}


def run_rounds(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every round: {precision: {side: cases}}, sides in alternating order."""
    folders = shared_precisions(args.before, args.after)
    rounds = []
    for index in range(args.rounds):
        order = SIDES if index % 2 == 0 else SIDES[::-1]
        found: dict[str, dict[str, Any]] = {p: {} for p in folders}
        for precision, sides in folders.items():
            for side in order:
                found[precision][side] = _worker(sides[side], args, getattr(args, f"{side}_lanes"))
        print(f"round {index + 1}/{args.rounds} done", file=sys.stderr)
        rounds.append(found)
    return rounds


def summarise(rounds: list[dict[str, Any]], ceilings: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per case and side, per-round ratios, latency pairs and the ceiling share."""
    cases: dict[str, Any] = {}
    for precision in rounds[0]:
        for case in rounds[0][precision]["before"]:
            per_side = {
                side: [r[precision][side][case]["tokens_per_s"] for r in rounds] for side in SIDES
            }
            ratios = [a / b for a, b in zip(per_side["after"], per_side["before"], strict=True)]
            cases[f"{precision} {case}"] = {
                "before_tokens_per_s": statistics.median(per_side["before"]),
                "after_tokens_per_s": statistics.median(per_side["after"]),
                "median_ratio": round(statistics.median(ratios), 3),
                "ratios": [round(r, 3) for r in ratios],
            }
    latency = [
        {side: 1e3 / r["int8"][side]["greedy-1"]["segments_per_s"] for side in SIDES}
        for r in rounds
    ]
    cuts = [1 - pair["after"] / pair["before"] for pair in latency]
    ceiling = round(statistics.median(c["int8-64"]["ceiling_tokens_per_s"] for c in ceilings))
    greedy64 = cases["int8 greedy-64"]
    return {
        "cases": cases,
        "int8_greedy_1_latency_ms": [{k: round(v, 3) for k, v in pair.items()} for pair in latency],
        "int8_greedy_1_latency_cut": {
            "median": round(statistics.median(cuts), 3),
            "pairs_at_target": sum(cut >= LATENCY_TARGET for cut in cuts),
            "pairs": len(cuts),
        },
        "int8_ceiling_64": ceiling,
        "int8_greedy_64_share_of_ceiling": {
            side: round(greedy64[f"{side}_tokens_per_s"] / ceiling, 3) for side in SIDES
        },
    }


def _parity(export: Path) -> dict[str, Any]:
    """fp32 vs PyTorch and int8 vs fp32 agreement from an export's report (if it has one)."""
    path = export / "export_report.json"
    manifest = _manifest(export)
    if path.is_file():
        report = json.loads(path.read_text(encoding="utf-8"))
    elif manifest is not None:  # a bundle keeps its export's report under scores.export
        report = manifest.scores.get("export")
    else:
        return {}
    keys = ("fp32_vs_torch", "int8_vs_fp32", "int8_batch1_vs_32")
    return {key: report.get(key) for key in keys} if isinstance(report, dict) else {}


def markdown(report: dict[str, Any]) -> str:
    """Side-by-side table, latency pairs, ceiling share and parity."""
    s = report["summary"]
    lines = [
        f"Before / after, {report['rounds']} interleaved rounds, {report['threads']} threads, "
        f"decode_speed protocol (30-token sources, 30 steps); {report['cpu']}",
        f"before: {report['before']} ({report['lanes']['before']} lanes for big batches); "
        f"after: {report['after']} ({report['lanes']['after']} lanes)",
        ""
        if report["rounds"] >= 10
        else "**Fewer than 10 rounds: a smoke run, not a measurement.**",
        "",
        "| case | before tok/s | after tok/s | after / before (median of rounds) |",
        "|---|---:|---:|---:|",
    ]
    for name, case in s["cases"].items():
        lines.append(
            f"| {name} | {case['before_tokens_per_s']:,.0f} | {case['after_tokens_per_s']:,.0f} "
            f"| {case['median_ratio']:.2f}x |"
        )
    cut = s["int8_greedy_1_latency_cut"]
    share = s["int8_greedy_64_share_of_ceiling"]
    lines += [
        "",
        f"int8 batch-1 greedy latency cut: median {cut['median']:.1%}; "
        f"{cut['pairs_at_target']} of {cut['pairs']} pairs at >= {LATENCY_TARGET:.0%}",
        f"int8 batch-64 greedy / int8 ceiling ({s['int8_ceiling_64']:,} tok/s): before "
        f"{share['before']:.0%}, after {share['after']:.0%} (target {CEILING_TARGET:.0%})",
        "",
        "| parity | before | after |",
        "|---|---|---|",
    ]
    for key in ("fp32_vs_torch", "int8_vs_fp32", "int8_batch1_vs_32"):
        cells = [report["parity"][side].get(key) for side in SIDES]
        lines.append(f"| {key} | " + " | ".join(_agreement(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _agreement(value: Any) -> str:
    if not value:
        return "-"
    return f"greedy {value['greedy']:.1%}, beam 5 {value['beam']:.1%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="export folder (old graphs)")
    parser.add_argument("--after", type=Path, required=True, help="export folder (new graphs)")
    parser.add_argument("--bundle", type=Path, default=ROOT / "models" / "en-de")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    for side in SIDES:
        parser.add_argument(
            f"--{side}-lanes",
            type=int,
            default=None,
            help=f"lanes for big batches on the {side} side (default: min(2, threads))",
        )
    parser.add_argument("--out", type=Path, default=RESULTS / "step_compare")
    args = parser.parse_args()
    for side in SIDES:
        setattr(args, f"{side}_lanes", getattr(args, f"{side}_lanes") or min(2, args.threads))
    if args.rounds < 2 or args.runs < 10:
        parser.error("--rounds must be >= 2 (>= 10 for a measurement) and --runs >= 10")
    ceilings = [_ceiling(args.bundle, args.threads)]
    rounds = run_rounds(args)
    ceilings.append(_ceiling(args.bundle, args.threads))
    report = {
        "rounds": args.rounds,
        "threads": args.threads,
        "lanes": {side: getattr(args, f"{side}_lanes") for side in SIDES},
        "cpu": machine(),
        "before": shown_path(args.before),
        "after": shown_path(args.after),
        "ceilings": ceilings,
        "raw": rounds,
        "summary": summarise(rounds, ceilings),
        "parity": {side: _parity(getattr(args, side)) for side in SIDES},
    }
    write_results(args.out, report, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
