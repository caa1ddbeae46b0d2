"""The shape table of equal-step training runs: what each run changed, its size, its training
speed and its valid scores (issue "the next default model", item 1).

Per run (`$NMT_HOME/runs/NAME`): the model and tokenizer settings that differ from the first
run, parameters, steps, training wall time and real target tokens/s (metrics.csv), the valid
BLEU of training's own validation (500 sentences, greedy; raw weights and their average when
the run kept one), and from `nmt evaluate RUN --test valid.tsv` reports (the whole valid split,
greedy, PyTorch) BLEU and chrF. Optional: `--speed` a bench/decode_speed.py JSON with one
ONNX variant per run (int8 tokens/s), `--exports` the export folders (int8 bundle size) and
`--train-speed` a folder of `bench/train_speed.py --worker bf16` outputs, one per run (training
tokens/s on a fixed batch, measured side by side on a quiet machine).

    .venv/bin/python scripts/shape_table.py shape-base shape-v16k ... \
        --reports $NMT_HOME/reports --speed bench/results/shape_speed.json \
        --out bench/results/shape_runs
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.results_io import write_results  # noqa: E402

NMT_HOME = Path(os.environ.get("NMT_HOME", Path.home() / ".cache" / "nmt"))
SHOWN = ("model", "tokenizer", "optim")  # config sections whose differences name a run
INT8_FILES = ("encoder.onnx", "decoder_step.onnx")


def _differences(config: dict[str, Any], base: dict[str, Any]) -> str:
    keys = []
    for section in SHOWN:
        for key, value in config.get(section, {}).items():
            if base.get(section, {}).get(key) != value:
                keys.append(f"{section}.{key}={value}")
    return ", ".join(keys) or "(base)"


def _parameters(config: dict[str, Any]) -> int:
    from nmt.config import ModelConfig, from_dict
    from nmt.model.seq2seq import Seq2Seq

    return int(Seq2Seq(from_dict(ModelConfig, config["model"])).num_parameters())


def _valid_report(reports: Path, name: str) -> dict[str, float]:
    path = reports / f"valid-{name}" / "report.json"
    if not path.exists():
        return {}
    greedy = json.loads(path.read_text(encoding="utf-8"))["decodings"][0]
    assert greedy["mode"] == "greedy", path
    # The valid TSV has no part column: one part holds every sentence.
    (part,) = greedy["parts"].values()
    return {"valid_bleu": part["bleu"]["score"], "valid_chrf": part["chrf"]["score"]}


def _bundle_mb(exports: Path | None, run_dir: Path, name: str) -> float | None:
    if exports is None or not (exports / name / "int8").is_dir():
        return None
    files = [exports / name / "int8" / f for f in INT8_FILES] + [run_dir / "spm.model"]
    return round(sum(f.stat().st_size for f in files) / 1e6, 2)


def row(name: str, base: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    run_dir = NMT_HOME / "runs" / name
    config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    with (run_dir / "metrics.csv").open(encoding="utf-8", newline="") as fh:
        metrics = [r for r in csv.DictReader(fh) if r.get("val_bleu")]
    last = metrics[-1]
    speeds = [float(r["tgt_tok_s"]) for r in metrics if r.get("tgt_tok_s")]
    found: dict[str, Any] = {
        "run": name,
        "changes": _differences(config, base),
        "parameters": _parameters(config),
        "steps": int(last["step"]),
        "train_s": round(float(last["elapsed_s"])),
        "tgt_tok_s": round(statistics.median(speeds)) if speeds else None,
        "val500_bleu": float(last.get("val_bleu_raw") or last["val_bleu"]),
        "val500_bleu_ema": float(last["val_bleu_ema"]) if last.get("val_bleu_ema") else None,
        "curve": [(int(r["step"]), float(r["val_bleu"])) for r in metrics],
        **_valid_report(args.reports, name),
        "bundle_mb": _bundle_mb(args.exports, run_dir, name),
    }
    fixed = args.train_speed / f"train-speed-{name}.json" if args.train_speed else None
    if fixed and fixed.exists():
        lines = fixed.read_text(encoding="utf-8").strip().splitlines()
        found["bench_tok_s"] = json.loads(lines[-1])["target_tokens_per_s"]
    if args.speed:
        speed = json.loads(args.speed.read_text(encoding="utf-8"))["backends"]
        for case in ("greedy-1", "greedy-64", "beam-64"):
            # decode_speed.py names a `--variant NAME=DIR` backend `onnx-NAME`.
            cases = speed.get(f"onnx-{name}", {}).get("cases", {})
            found[f"int8_{case}"] = cases.get(case, {}).get("tokens_per_s")
    return found


def markdown(rows: list[dict[str, Any]], threads: str) -> str:
    cols = [
        ("run", "run"),
        ("changes", "changes from the first run"),
        ("parameters", "parameters"),
        ("steps", "steps"),
        ("train_s", "train s"),
        ("tgt_tok_s", "tgt tok/s (run)"),
        ("bench_tok_s", "tgt tok/s (fixed batch, bf16, 2 threads)"),
        ("val500_bleu", "val-500 BLEU"),
        ("val500_bleu_ema", "val-500 BLEU (EMA)"),
        ("valid_bleu", "valid BLEU"),
        ("valid_chrf", "valid chrF"),
        ("bundle_mb", "int8 MB"),
        ("int8_greedy-1", "int8 greedy b1 tok/s"),
        ("int8_greedy-64", "int8 greedy b64 tok/s"),
        ("int8_beam-64", "int8 beam-5 b64 tok/s"),
    ]

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        return f"{value:,}" if isinstance(value, int) else str(value)

    out = [
        f"Equal-step runs, {threads}. valid = the whole valid split, greedy, PyTorch, "
        "best.ckpt; val-500 = training's validation (500 valid sentences) at the last step.",
        "",
        "| " + " | ".join(title for _, title in cols) + " |",
        "|" + "---|" * len(cols),
    ]
    out += ["| " + " | ".join(cell(r.get(key)) for key, _ in cols) + " |" for r in rows]
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run names under $NMT_HOME/runs; first = base")
    parser.add_argument("--reports", type=Path, default=NMT_HOME / "reports")
    parser.add_argument("--exports", type=Path, default=NMT_HOME / "exports")
    parser.add_argument("--speed", type=Path, help="decode_speed.py JSON, one variant per run")
    parser.add_argument(
        "--train-speed", type=Path, help="folder of train-speed-RUN.json (train_speed.py --worker)"
    )
    parser.add_argument("--threads", default="two runs at a time, 1 thread each")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "shape_runs")
    args = parser.parse_args()
    base = yaml.safe_load((NMT_HOME / "runs" / args.runs[0] / "config.yaml").read_text())
    rows = [row(name, base, args) for name in args.runs]
    text = markdown(rows, args.threads)
    write_results(args.out, {"runs": rows, "conditions": args.threads}, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
