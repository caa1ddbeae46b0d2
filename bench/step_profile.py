"""Where a decoder step's time goes: ONNX Runtime's own profiler, grouped by operator type.

For each graph folder (encoder.onnx + decoder_step.onnx) and batch size, this encodes a batch
of random 30-token sources, runs greedy decoder steps through `OnnxStepModel` (the serving
backend, so whatever it does per step around the graph is timed too) with
`SessionOptions.enable_profiling`, and reads the profile back: kernel time per op type per
step, the graph's whole run (`model_run`) per step, and the wall time of one backend step call
(graph plus feeding, binding and output handling in Python). The warm-up steps are left out.

    python bench/step_profile.py [--graphs NAME=DIR ...] [--batches 1 64] [--steps 200]

Default graphs: `int8=models/en-de` (the shipped bundle). Writes
bench/results/step_profile.{json,md} (`--out PREFIX` to write elsewhere) and prints the table.
Timings are only as quiet as the machine: compare folders measured in one run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.results_io import machine, shown_path, write_results  # noqa: E402

logger = logging.getLogger(__name__)

RESULTS = ROOT / "bench" / "results"
SRC_LEN = 30
FIRST_WORD = 4  # ids below are PAD, UNK, BOS, EOS
# Op types that are the step's matrix products (whatever ORT's fusions name them); a fused RNN
# cell (LSTM, GRU, DynamicQuantizeLSTM) counts too: its gate products are most of its time.
PRODUCTS = frozenset(
    {
        "LSTM",
        "GRU",
        "DynamicQuantizeLSTM",
        "MatMul",
        "Gemm",
        "FusedMatMul",
        "FusedGemm",
        "MatMulInteger",
        "MatMulIntegerToFloat",
        "DynamicQuantizeMatMul",
        "QGemm",
        "MatMulNBits",
    }
)


def _drive(model: Any, batch: int, steps: int) -> float:
    """Encode a random [batch, 30] batch and run `steps` greedy steps; median seconds of one
    backend step call (graph + Python around it)."""
    from nmt.search.candidates import greedy_step
    from nmt.tokenizer import BOS_ID

    rng = np.random.default_rng(batch)
    src = rng.integers(FIRST_WORD, model.vocab_size, size=(batch, SRC_LEN), dtype=np.int64)
    state = model.encode(src, np.full(batch, SRC_LEN, dtype=np.int64))
    prev = np.full(batch, BOS_ID, dtype=np.int64)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        prev, _, _, state = greedy_step(model, prev, state, forbid=None)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _events(path: Path, skip_runs: int) -> list[dict[str, Any]]:
    """The profile's events from the start of run `skip_runs` on (earlier runs warm up)."""
    events: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    runs = sorted(e["ts"] for e in events if e.get("name") == "model_run")
    start = runs[skip_runs] if len(runs) > skip_runs else 0
    return [e for e in events if e.get("ts", 0) >= start]


def _summarise(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Kernel microseconds per step by op type, model_run per step, and node counts."""
    runs = [e["dur"] for e in events if e.get("name") == "model_run"]
    by_op: dict[str, float] = defaultdict(float)
    nodes: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.get("cat") != "Node" or not event["name"].endswith("_kernel_time"):
            continue
        op = event["args"]["op_name"]
        by_op[op] += event["dur"]
        nodes[op].add(event["name"])
    count = max(1, len(runs))
    kernels = sum(by_op.values())
    products = sum(us for op, us in by_op.items() if op in PRODUCTS)
    return {
        "steps": len(runs),
        "model_run_us": round(float(np.median(runs)) if runs else 0.0, 1),
        "model_run_mean_us": round(float(np.mean(runs)) if runs else 0.0, 1),
        "kernel_us": round(kernels / count, 1),
        "products_share": round(products / kernels, 3) if kernels else 0.0,
        "nodes": sum(len(v) for v in nodes.values()),
        "ops": {
            op: {
                "us": round(us / count, 1),
                "share": round(us / kernels, 3),
                "nodes": len(nodes[op]),
            }
            for op, us in sorted(by_op.items(), key=lambda item: -item[1])
        },
    }


def profile_folder(
    folder: Path, batch: int, steps: int, warmup: int, threads: int
) -> dict[str, Any]:
    """Profile the decoder step of the graphs in `folder` at `batch` rows."""
    from nmt.search.onnx_backend import OnnxStepModel, session_options

    with tempfile.TemporaryDirectory(prefix="nmt-profile-") as tmp:
        opts = session_options(threads)
        opts.enable_profiling = True
        opts.profile_file_prefix = str(Path(tmp) / "step")
        model = OnnxStepModel(
            folder / "encoder.onnx", folder / "decoder_step.onnx", threads=threads, options=opts
        )
        wall = _drive(model, batch, warmup + steps)
        model.encoder.end_profiling()
        found = _summarise(_events(Path(model.decoder.end_profiling()), warmup))
    found["backend_step_us"] = round(wall * 1e6, 1)
    found["topk_graph"] = model.returns_topk
    return found


def markdown(report: dict[str, Any]) -> str:
    """One table per case: op type, microseconds per step and share of kernel time."""
    lines = [
        f"Decoder step by operator (ONNX Runtime profiler), {report['threads']} threads, source "
        f"{SRC_LEN} tokens, {report['steps']} greedy steps after {report['warmup']} warm-up "
        f"steps; {report['cpu']}; onnxruntime {report['onnxruntime']}",
        "",
        "| case | graph | nodes run | kernels us/step (mean) | model_run us/step (mean / median) "
        "| backend step us (median) | products share |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    if report.get("note"):
        lines[1:1] = ["", f"**{report['note']}**"]
    for name, case in report["cases"].items():
        lines.append(
            f"| {name} | {'top-k' if case['topk_graph'] else 'log-probs'} | {case['nodes']} | "
            f"{case['kernel_us']:,.1f} | {case['model_run_mean_us']:,.1f} / "
            f"{case['model_run_us']:,.1f} | "
            f"{case['backend_step_us']:,.1f} | {case['products_share']:.0%} |"
        )
    for name, case in report["cases"].items():
        lines += [
            "",
            f"### {name}",
            "",
            "| op type | nodes | us/step (mean) | share |",
            "|---|---:|---:|---:|",
        ]
        for op, row in case["ops"].items():
            mark = " (product)" if op in PRODUCTS else ""
            lines.append(f"| {op}{mark} | {row['nodes']} | {row['us']:,.1f} | {row['share']:.1%} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--graphs", action="append", default=[], metavar="NAME=DIR", help="graph folder to profile"
    )
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=RESULTS / "step_profile")
    parser.add_argument("--note", default="", help="a line for the report (how quiet it was)")
    args = parser.parse_args()
    folders = dict(item.partition("=")[::2] for item in args.graphs) or {"int8": "models/en-de"}
    import onnxruntime

    cases = {
        f"{name} batch {batch}": profile_folder(
            Path(folder), batch, args.steps, args.warmup, args.threads
        )
        for name, folder in folders.items()
        for batch in args.batches
    }
    report = {
        "threads": args.threads,
        "steps": args.steps,
        "warmup": args.warmup,
        "cpu": machine(),
        "onnxruntime": onnxruntime.__version__,
        "graphs": {name: shown_path(Path(folder)) for name, folder in folders.items()},
        "note": args.note,
        "cases": cases,
    }
    write_results(args.out, report, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
