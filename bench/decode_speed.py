"""Decoding speed: output tokens/s, greedy and beam 5, batch 1 and 64, per backend.

Backends: PyTorch fp32 (the run's checkpoint), ONNX Runtime fp32 and int8 (an export's graphs),
plus any extra ONNX folder given with --variant NAME=DIR. Each backend runs in its OWN process
(two thread pools in one process starve each other), with the same threads.

Protocol (docs/performance.md): sources of 30 random token ids (the vocabulary without the
special ids), EOS suppressed so every row decodes exactly 30 steps (min_length = max_length =
30), tokens = rows x 30 counting the best hypothesis only; the median time of >= 10 runs per
case (batch 1: 3x as many runs, as they are short), after warm-up runs. Writes
bench/results/decode_speed.{json,md} and prints the Markdown table.

    python bench/decode_speed.py --run-dir RUN --export-dir OUT [--runs 10] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.results_io import machine, shown_path, write_results  # noqa: E402

RESULTS = ROOT / "bench" / "results"
STEPS = 30
# Batch 32 is the server's comparison point (`make loadtest` against batch-32 segments/s).
CASES = (("greedy", 1), ("beam", 1), ("greedy", 32), ("beam", 32), ("greedy", 64), ("beam", 64))
FIRST_WORD = 4  # ids below are PAD, UNK, BOS, EOS
# Decoding targets (tokens/s, set on a CPU with AMX; docs/performance.md) in CASES order;
# None = no target.
TARGETS: dict[str, tuple[int | None, ...]] = {
    "onnx-fp32": (1200, 900, None, None, 12000, 2500),
    "onnx-int8": (3000, None, None, None, 35000, 7000),
}
SPEEDUP_TARGETS = {"greedy-1": 1.1, "greedy-64": 1.2, "beam-1": 1.4}  # ORT fp32 over PyTorch


def case_name(mode: str, batch: int) -> str:
    return f"{mode}-{batch}"


def _load(kind: str, path: Path, threads: int, lanes: int = 1) -> tuple[Any, int, int | None]:
    """(step model, vocabulary size, parameter count or None) of a backend; ONNX with `lanes`
    >= 2: big batches split over lanes (`nmt.search.lanes`), as `nmt translate` does."""
    if kind == "torch":
        import torch

        from nmt.search.torch_backend import TorchStepModel
        from training.checkpoint import load_checkpoint

        torch.set_num_threads(threads)
        cfg, model = load_checkpoint(path)
        return TorchStepModel(model), cfg.model.vocab_size, model.num_parameters()
    from nmt.search.onnx_backend import load_step_model

    model = load_step_model(
        path / "encoder.onnx", path / "decoder_step.onnx", threads=threads, lanes=lanes
    )
    whole = getattr(model, "whole", model)  # a Lanes model: the vocabulary of its whole model
    return model, whole.vocab_size, None


def _time_case(model: Any, vocab: int, mode: str, batch: int, runs: int, warmup: int) -> float:
    """Median seconds of one search over a [batch, 30] random source batch."""
    from nmt.config import DecodingConfig
    from nmt.search import search
    from nmt.tokenizer import BOS_ID, EOS_ID

    cfg = DecodingConfig(mode=mode, beam_size=5, min_length=STEPS, max_length=STEPS)  # type: ignore[arg-type]
    lengths = np.full(batch, STEPS, dtype=np.int64)
    times = []
    for run in range(warmup + runs):
        rng = np.random.default_rng(1000 * batch + run)  # same sources for every backend
        src = rng.integers(FIRST_WORD, vocab, size=(batch, STEPS), dtype=np.int64)
        start = time.perf_counter()
        nbest = search(model, src, lengths, bos_id=BOS_ID, eos_id=EOS_ID, cfg=cfg)
        elapsed = time.perf_counter() - start
        if any(len(hyps[0].tokens) != STEPS for hyps in nbest):
            raise RuntimeError("a row did not decode exactly 30 steps: protocol broken")
        if run >= warmup:
            times.append(elapsed)
    return statistics.median(times)


def worker(
    kind: str, path: Path, threads: int, runs: int, warmup: int, lanes: int = 1
) -> dict[str, Any]:
    """Time every case of one backend in this process; the result is JSON-able."""
    model, vocab, params = _load(kind, path, threads, lanes)
    results = {}
    for mode, batch in CASES:
        n = runs * 3 if batch == 1 else runs
        median = _time_case(model, vocab, mode, batch, n, warmup)
        results[case_name(mode, batch)] = {
            "median_s": round(median, 5),
            "runs": n,
            "tokens": batch * STEPS,
            "tokens_per_s": round(batch * STEPS / median),
            "segments_per_s": round(batch / median, 1),
        }
    return {"parameters": params, "vocab_size": vocab, "cases": results}


def run_worker(kind: str, path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One backend in a fresh process (`--worker`), its JSON result back on stdout."""
    cmd = [sys.executable, __file__, "--worker", kind, "--path", str(path)]
    cmd += ["--threads", str(args.threads), "--runs", str(args.runs), "--warmup", str(args.warmup)]
    cmd += ["--lanes", str(getattr(args, "lanes", None) or 1)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def markdown(report: dict[str, Any]) -> str:
    """The results as a Markdown table (tokens/s, targets, ORT over PyTorch)."""
    backends = list(report["backends"])
    head = (
        f"Decoding speed, {report['threads']} threads ({report.get('lanes', 1)} lanes for big "
        f"ONNX batches), source {STEPS} tokens, {STEPS} output "
        f"steps (EOS suppressed), output tokens/s (best hypothesis), median of >= "
        f"{report['runs']} runs; {report['parameters'] or 'n/a'} parameters; {report['cpu']}\n"
    )
    lines = [head, "| case | " + " | ".join(backends) + " | ORT fp32 / PyTorch |"]
    lines.append("|---" * (len(backends) + 2) + "|")
    for i, (mode, batch) in enumerate(CASES):
        name = case_name(mode, batch)
        cells = []
        for backend in backends:
            value = report["backends"][backend]["cases"][name]["tokens_per_s"]
            target = TARGETS.get(backend, (None,) * len(CASES))[i]
            mark = (
                "" if target is None else (" ✓" if value >= target else f" ✗ (target {target:,})")
            )
            cells.append(_fmt(value) + mark)
        ratio = report["speedup_fp32_over_torch"].get(name)
        want = SPEEDUP_TARGETS.get(name)
        ratio_cell = (
            "-" if ratio is None else f"{ratio:.2f}x" + (f" (target {want}x)" if want else "")
        )
        lines.append(
            f"| batch {batch}, {'beam 5' if mode == 'beam' else mode} | "
            + " | ".join(cells)
            + f" | {ratio_cell} |"
        )
    lines += ["", f"Segments/s ({STEPS}-token segments):", ""]
    lines += ["| case | " + " | ".join(backends) + " |", "|---" * (len(backends) + 1) + "|"]
    for mode, batch in CASES:
        name = case_name(mode, batch)
        cells = [_fmt(report["backends"][b]["cases"][name]["segments_per_s"]) for b in backends]
        label = "beam 5" if mode == "beam" else mode
        lines.append(f"| batch {batch}, {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, help="training run (PyTorch backend)")
    parser.add_argument("--checkpoint", default="best.ckpt")
    parser.add_argument("--export-dir", type=Path, help="export folder with fp32/ and int8/")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="another ONNX folder to time (e.g. int8-static=OUT/int8-static)",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--lanes",
        type=int,
        default=None,
        help="ONNX: split big batches over this many lanes (default: min(2, threads), as "
        "`nmt translate` does; 1: one search per batch)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--worker", choices=["torch", "onnx"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 10:
        parser.error("--runs must be >= 10 (medians of at least 10 runs)")
    args.lanes = args.lanes or min(2, args.threads)  # nmt translate's default
    if args.worker:
        result = worker(args.worker, args.path, args.threads, args.runs, args.warmup, args.lanes)
        print(json.dumps(result))
        return 0
    backends: dict[str, tuple[str, Path]] = {}
    if args.run_dir:
        backends["torch-fp32"] = ("torch", args.run_dir / args.checkpoint)
    if args.export_dir:
        backends["onnx-fp32"] = ("onnx", args.export_dir / "fp32")
        backends["onnx-int8"] = ("onnx", args.export_dir / "int8")
    for item in args.variant:
        name, _, folder = item.partition("=")
        backends[f"onnx-{name}"] = ("onnx", Path(folder))
    if not backends:
        parser.error("give --run-dir and/or --export-dir")
    report = collect(backends, args)
    write_results(args.out / "decode_speed", report, markdown(report))
    return 0


def collect(backends: dict[str, tuple[str, Path]], args: argparse.Namespace) -> dict[str, Any]:
    """Run every backend in its own process; the report with ratios and machine details."""
    results = {}
    for name, (kind, path) in backends.items():
        print(f"timing {name} ({path}) ...", file=sys.stderr)
        results[name] = run_worker(kind, path, args)
    params = next((r["parameters"] for r in results.values() if r["parameters"]), None)
    speedup = {}
    if "torch-fp32" in results and "onnx-fp32" in results:
        for mode, batch in CASES:
            name = case_name(mode, batch)
            speedup[name] = round(
                results["onnx-fp32"]["cases"][name]["tokens_per_s"]
                / results["torch-fp32"]["cases"][name]["tokens_per_s"],
                3,
            )
    import onnxruntime

    return {
        "protocol": f"sources {STEPS} random non-special ids; min_length = max_length = {STEPS}; "
        "tokens = rows x 30 (best hypothesis); beam 5; median of runs; one process per backend",
        "threads": args.threads,
        "lanes": args.lanes,
        "runs": args.runs,
        "cpu": machine(),
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "parameters": params,
        "paths": {name: shown_path(path) for name, (_, path) in backends.items()},
        "backends": results,
        "speedup_fp32_over_torch": speedup,
    }


if __name__ == "__main__":
    sys.exit(main())
