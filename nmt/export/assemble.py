"""From exported graphs to a bundle: the training facts of the run, the corpus's manifest, the
default decoding chosen on the valid split, and the model card (`nmt.model_card`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from nmt.bundle import Bundle, Manifest, write_bundle
from nmt.config import DecodingConfig, TrainConfig, load_yaml, to_dict
from nmt.export.graphs import DECODER_FILE, ENCODER_FILE
from nmt.export.run import ExportError, ExportReport
from nmt.model_card import render_model_card

logger = logging.getLogger(__name__)

# Bundle quantization -> the export's folder with those graphs.
GRAPH_DIRS = {"int8-dynamic": "int8", "int8-static": "int8-static", "fp32": "fp32"}


def training_facts(run_dir: Path, cfg: TrainConfig) -> dict[str, Any]:
    """What the bundle records about training, from the run's metrics.csv: the step, time and
    epoch of the best validation (the checkpoint exported), the whole run's steps and time, and
    the settings that explain them. Raises ExportError without a usable metrics.csv."""
    path = run_dir / "metrics.csv"
    try:
        with path.open(encoding="utf-8", newline="") as rows:
            metrics = [row for row in csv.DictReader(rows) if row.get("val_bleu")]
    except OSError as err:
        raise ExportError(f"{path}: cannot read the run's metrics: {err}") from err
    if not metrics:
        raise ExportError(f"{path}: the run has no validation yet; nothing to export")
    best = max(metrics, key=lambda row: float(row["val_bleu"]))
    last = metrics[-1]
    return {
        "steps": int(best["step"]),
        "time_s": round(float(best["elapsed_s"]), 1),
        "epoch": int(best["epoch"]) + 1,
        "best_valid_bleu": float(best["val_bleu"]),
        **_weights(best, cfg.optim.ema_decay),
        "valid_sentences": cfg.trainer.val_max_sentences,
        "run_steps": int(last["step"]),
        "run_time_s": round(float(last["elapsed_s"]), 1),
        "precision": cfg.trainer.precision,
        "hardware": f"{cfg.trainer.accelerator} x{cfg.trainer.devices}",
        "config": to_dict(cfg),
    }


def _weights(row: dict[str, str], decay: float) -> dict[str, Any]:
    """Which weights the best checkpoint holds ("ema" or "raw") and both valid scores, for a
    run with a weight average (its metrics.csv has val_bleu_ema); nothing otherwise."""
    if not row.get("val_bleu_ema"):
        return {}
    return {
        "weights": row.get("weights") or "raw",
        "valid_bleu_raw": float(row["val_bleu_raw"]),
        "valid_bleu_ema": float(row["val_bleu_ema"]),
        "ema_decay": decay,
    }


def corpus_manifest(corpus_dir: Path) -> tuple[str | None, dict[str, Any] | None]:
    """(sha256 of the corpus's manifest.json, its content), or (None, None) without one."""
    path = corpus_dir / "manifest.json"
    try:
        raw = path.read_bytes()
    except OSError:
        logger.warning("no corpus manifest at %s: the bundle will not name its corpus", path)
        return None, None
    return hashlib.sha256(raw).hexdigest(), json.loads(raw)


def make_bundle(
    run_dir: Path,
    graphs_root: Path,
    out_dir: Path,
    *,
    report: ExportReport,
    corpus_dir: Path,
    quantization: str = "int8-dynamic",
    decoding: DecodingConfig | None = None,
) -> Bundle:
    """Write the bundle at `out_dir` from `graphs_root/<variant>/` (an `export_run` output) and
    the run's tokenizer; `report` (the passed parity check) is recorded under
    scores["export"]."""
    if quantization not in GRAPH_DIRS:
        raise ExportError(f"no graphs for quantization {quantization!r}; one of {list(GRAPH_DIRS)}")
    graphs = graphs_root / GRAPH_DIRS[quantization]
    if not (graphs / ENCODER_FILE).is_file():
        raise ExportError(f"{graphs}: no {ENCODER_FILE}; was this variant exported?")
    cfg = load_yaml(TrainConfig, run_dir / "config.yaml")
    sha, corpus = corpus_manifest(corpus_dir)
    manifest = Manifest(
        pair=cfg.pair,
        model=cfg.model,
        parameters=report.parameters,
        corpus_manifest_sha256=sha,
        training=training_facts(run_dir, cfg),
        scores={"export": _parity_summary(report)},
        quantization=quantization,
        decoding=decoding,
        preprocessing=cfg.tokenizer.preprocessing,
    )
    return write_bundle(
        out_dir,
        manifest,
        encoder=graphs / ENCODER_FILE,
        decoder=graphs / DECODER_FILE,
        spm_model=run_dir / "spm.model",
        model_card_text=render_model_card(manifest, corpus),
    )


def _parity_summary(report: ExportReport) -> dict[str, Any]:
    """The parity facts worth keeping with the model (the full report stays with the export)."""
    summary = report.to_dict()
    keep = (
        "tolerance",
        "numeric",
        "fp32_vs_torch",
        "fp32_batch1_vs_32",
        "int8_vs_fp32",
        "int8_batch1_vs_32",
        "static_int8",
        "passed",
    )
    return {key: summary[key] for key in keep if summary.get(key) is not None}
