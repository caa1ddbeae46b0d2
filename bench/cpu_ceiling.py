"""The CPU's ceiling for the decoder step: its matrix products alone, in ONNX Runtime.

A decoder step of the reference model (emb 256, input feeding, LSTM 512, Luong general
attention, vocabulary 8,000) is dominated by three products per row: the LSTM gates
[emb + feed + hidden = 1280] x [4 x 512], the attentional combination [1024] x [512] and the
output layer [512] x [8000]: 7.3M multiply-adds. This script times exactly those three products
(random weights, one graph, the same session options as the product), fp32 and dynamic int8,
at batch 1, 32 and 64, and reports the tokens/s that a decoder doing nothing else would reach.
A decoding target above that figure cannot be met on this CPU by any search code; the
measured GFLOP/s also says how this CPU compares with the one the targets were set on.

    python bench/cpu_ceiling.py [--threads N] [--runs 200]

Writes bench/results/cpu_ceiling.{json,md} and prints the table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
# (input width, output width) of the decoder step's products, per row.
SHAPES = (("gates", 1280, 2048), ("combine", 1024, 512), ("output", 512, 8000))
MACS_PER_ROW = sum(k * n for _, k, n in SHAPES)
BATCHES = (1, 32, 64)


def build_graph(path: Path) -> None:
    """One graph with the three products, each on its own input (so nothing else runs)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, inputs, outputs, inits = [], [], [], []
    for name, k, n in SHAPES:
        weight = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
        inits.append(numpy_helper.from_array(weight, f"w_{name}"))
        inputs.append(helper.make_tensor_value_info(f"x_{name}", TensorProto.FLOAT, ["B", k]))
        outputs.append(helper.make_tensor_value_info(f"y_{name}", TensorProto.FLOAT, ["B", n]))
        nodes.append(helper.make_node("MatMul", [f"x_{name}", f"w_{name}"], [f"y_{name}"]))
    graph = helper.make_graph(nodes, "decoder_products", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, str(path))


def time_graph(path: Path, threads: int, batch: int, runs: int) -> float:
    """Median seconds of one run at `batch` rows."""
    import onnxruntime as ort

    from nmt.search.onnx_backend import session_options

    sess = ort.InferenceSession(
        str(path), sess_options=session_options(threads), providers=["CPUExecutionProvider"]
    )
    rng = np.random.default_rng(1)
    feed = {
        f"x_{name}": rng.standard_normal((batch, k)).astype(np.float32) for name, k, _ in SHAPES
    }
    for _ in range(10):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run(None, feed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(threads: int, runs: int) -> dict[str, Any]:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    found: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        build_graph(fp32)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        for label, path in (("fp32", fp32), ("int8", int8)):
            for batch in BATCHES:
                median = time_graph(path, threads, batch, runs)
                found[f"{label}-{batch}"] = {
                    "median_ms": round(median * 1e3, 4),
                    "gflop_s": round(2 * MACS_PER_ROW * batch / median / 1e9, 1),
                    "ceiling_tokens_per_s": round(batch / median),
                }
    return found


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Decoder-step products alone ({MACS_PER_ROW / 1e6:.2f}M multiply-adds a row), ONNX "
        f"Runtime, {report['threads']} threads, median of {report['runs']} runs; {report['cpu']}",
        "",
        "| batch | fp32 ms | fp32 GFLOP/s | fp32 ceiling tok/s | int8 ms | int8 GOP/s "
        "| int8 ceiling tok/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for batch in BATCHES:
        a, b = report["cases"][f"fp32-{batch}"], report["cases"][f"int8-{batch}"]
        lines.append(
            f"| {batch} | {a['median_ms']:.3f} | {a['gflop_s']:,.0f} | "
            f"{a['ceiling_tokens_per_s']:,} | {b['median_ms']:.3f} | {b['gflop_s']:,.0f} | "
            f"{b['ceiling_tokens_per_s']:,} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.runs < 10 or args.threads < 1:
        parser.error("--runs must be >= 10 (medians of at least 10) and --threads >= 1")
    from bench.decode_speed import _cpu
    from bench.results_io import write_results

    report = {
        "threads": args.threads,
        "runs": args.runs,
        "cpu": _cpu(),
        "macs_per_row": MACS_PER_ROW,
        "cases": measure(args.threads, args.runs),
    }
    write_results(args.out / "cpu_ceiling", report, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
