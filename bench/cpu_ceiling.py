"""The CPU's ceiling for the decoder step: its matrix products alone, in ONNX Runtime.

A decoder step is dominated by the products with its weight matrices, per row: the gates of
each decoder layer ([input + hidden] x [gates x hidden], the input of layer 0 being the
embedding plus the input-fed vector), Bahdanau attention's query projection, the attentional
combination ([hidden + memory] x [hidden]) and the output layer ([hidden] x [V], or with a tied
output [hidden] x [emb] then [emb] x [V]). Their shapes come from the bundle's model config
(`--bundle`, default models/en-de: emb 256, input feeding, LSTM 512, Luong general attention,
vocabulary 8,000 give the gates 1280 x 2048, the combination 1024 x 512 and the output
512 x 8000: 7.24M multiply-adds). This script times exactly those products (random weights,
one graph, the same session options as the product), fp32 and dynamic int8, at batch 1, 32
and 64, and reports the tokens/s that a decoder doing nothing else would reach. A decoding
target above that figure cannot be met on this CPU by any search code; the measured GFLOP/s
also says how this CPU compares with the one the targets were set on.

    python bench/cpu_ceiling.py [--bundle DIR] [--threads N] [--runs 200]

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
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nmt.config import ModelConfig

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
DEFAULT_BUNDLE = ROOT / "models" / "en-de"
BATCHES = (1, 32, 64)
Shapes = tuple[tuple[str, int, int], ...]
"""(name, input width, output width) of each of the decoder step's products, per row."""


def step_shapes(cfg: ModelConfig) -> Shapes:
    """The decoder step's products with weight matrices, from the model config."""
    hidden, memory = cfg.dec_hidden, 2 * cfg.enc_hidden
    gates = (4 if cfg.cell == "lstm" else 3) * hidden
    first_in = cfg.emb_dim + (hidden if cfg.input_feeding else 0)
    shapes = [("gates", first_in + hidden, gates)]
    shapes += [(f"gates_l{k}", 2 * hidden, gates) for k in range(1, cfg.dec_layers)]
    if cfg.attention == "bahdanau":
        shapes.append(("attention_query", hidden, hidden))
    shapes.append(("combine", hidden + memory, hidden))
    if cfg.tie_output and hidden != cfg.emb_dim:
        shapes.append(("output_pre", hidden, cfg.emb_dim))
    shapes.append(("output", cfg.emb_dim if cfg.tie_output else hidden, cfg.vocab_size))
    return tuple(shapes)


def macs_per_row(shapes: Shapes) -> int:
    """Multiply-adds of one row through every product."""
    return sum(k * n for _, k, n in shapes)


def bundle_config(bundle: Path) -> ModelConfig:
    """The model config in a bundle's manifest.json (read as the bundle reader reads it)."""
    from nmt.bundle import Manifest

    return Manifest.read(bundle).model


def build_graph(path: Path, shapes: Shapes) -> None:
    """One graph with the products, each on its own input (so nothing else runs)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, inputs, outputs, inits = [], [], [], []
    for name, k, n in shapes:
        weight = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
        inits.append(numpy_helper.from_array(weight, f"w_{name}"))
        inputs.append(helper.make_tensor_value_info(f"x_{name}", TensorProto.FLOAT, ["B", k]))
        outputs.append(helper.make_tensor_value_info(f"y_{name}", TensorProto.FLOAT, ["B", n]))
        nodes.append(helper.make_node("MatMul", [f"x_{name}", f"w_{name}"], [f"y_{name}"]))
    graph = helper.make_graph(nodes, "decoder_products", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.save(model, str(path))


def time_graph(path: Path, shapes: Shapes, threads: int, batch: int, runs: int) -> float:
    """Median seconds of one run at `batch` rows."""
    import onnxruntime as ort

    from nmt.search.onnx_backend import session_options

    sess = ort.InferenceSession(
        str(path), sess_options=session_options(threads), providers=["CPUExecutionProvider"]
    )
    rng = np.random.default_rng(1)
    feed = {
        f"x_{name}": rng.standard_normal((batch, k)).astype(np.float32) for name, k, _ in shapes
    }
    for _ in range(10):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run(None, feed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(shapes: Shapes, threads: int, runs: int) -> dict[str, Any]:
    """fp32 and int8 median ms, GFLOP/s and ceiling tokens/s at every batch size."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    found: dict[str, Any] = {}
    macs = macs_per_row(shapes)
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        build_graph(fp32, shapes)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        for label, path in (("fp32", fp32), ("int8", int8)):
            for batch in BATCHES:
                median = time_graph(path, shapes, threads, batch, runs)
                found[f"{label}-{batch}"] = {
                    "median_ms": round(median * 1e3, 4),
                    "gflop_s": round(2 * macs * batch / median / 1e9, 1),
                    "ceiling_tokens_per_s": round(batch / median),
                }
    return found


def markdown(report: dict[str, Any]) -> str:
    macs = report["macs_per_row"]
    lines = [
        f"Decoder-step products alone ({macs / 1e6:.2f}M multiply-adds a row), ONNX "
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
    parser.add_argument(
        "--bundle",
        type=Path,
        default=DEFAULT_BUNDLE,
        help="bundle whose model config gives the shapes",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.runs < 10 or args.threads < 1:
        parser.error("--runs must be >= 10 (medians of at least 10) and --threads >= 1")
    from bench.results_io import machine, shown_path, write_results

    shapes = step_shapes(bundle_config(args.bundle))
    report = {
        "threads": args.threads,
        "runs": args.runs,
        "cpu": machine(),
        "bundle": shown_path(args.bundle),
        "products": [{"name": n, "in": k, "out": m} for n, k, m in shapes],
        "macs_per_row": macs_per_row(shapes),
        "cases": measure(shapes, args.threads, args.runs),
    }
    write_results(args.out / "cpu_ceiling", report, markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
