"""Command line of the export: `nmt export RUN_DIR OUT_DIR [options]` (`make export`).

Exports the run's best checkpoint to ONNX (fp32 + int8, parity-checked) under a work folder,
then writes the bundle to OUT_DIR (int8 graphs by default) and chooses its default decoding on
the valid split. OUT_DIR is the only place outside NMT_HOME that is written: `models/en-de` is
replaced only when OUT_DIR names it. `training.commands` registers `add_arguments` + `run` as
`nmt export`, with the checkpoint reader bound.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path
from typing import Any

from nmt.checkpoints import CheckpointLoader
from nmt.config import ConfigError, TrainConfig, load_yaml
from nmt.errors import EXIT_REFUSED, NmtError
from nmt.export.run import ExportError, ExportReport, export_run
from nmt.paths import data_dir, nmt_home

logger = logging.getLogger(__name__)

QUANTIZATIONS = ("int8-dynamic", "int8-static", "fp32")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The export's options on `parser` (positional RUN_DIR and OUT_DIR included)."""
    parser.add_argument("run_dir", type=Path, help="training run folder ($NMT_HOME/runs/NAME)")
    parser.add_argument("out_dir", type=Path, help="the bundle folder to write")
    parser.add_argument("--checkpoint", default="best.ckpt", help="checkpoint file in RUN_DIR")
    parser.add_argument(
        "--quantization", choices=QUANTIZATIONS, default="int8-dynamic", help="graphs to bundle"
    )
    parser.add_argument(
        "--fp32-bundle", type=Path, metavar="DIR", help="also write an fp32 bundle to DIR"
    )
    parser.add_argument(
        "--work", type=Path, help="graphs + export_report.json (default $NMT_HOME/exports/RUN)"
    )
    parser.add_argument("--graphs-only", action="store_true", help="export graphs, no bundle")
    parser.add_argument("--parity-sentences", type=int, default=200, metavar="N")
    parser.add_argument(
        "--tune-sentences",
        type=int,
        default=1000,
        metavar="N",
        help="valid sentences for choosing the length penalty (0: keep default)",
    )
    parser.add_argument("--corpus", type=Path, help="corpus folder with valid.tsv")
    parser.add_argument(
        "--static", action="store_true", help="also try static (calibrated) int8: int8-static/"
    )
    parser.add_argument(
        "--static-bundle",
        type=Path,
        metavar="DIR",
        help="also write a static-int8 bundle to DIR (implies --static), to compare",
    )


def run(args: argparse.Namespace, *, load_checkpoint: CheckpointLoader) -> int:
    """Handler: export, bundle, tune; print a JSON summary on stdout; a failure is one line.

    Returns 0, 1 when the parity check failed (its report is still written), 2 for a refusal.
    """
    try:
        corpus = _corpus(args)
        work = args.work or nmt_home() / "exports" / args.run_dir.resolve().name
        report = export_run(
            args.run_dir,
            work,
            load_checkpoint=load_checkpoint,
            checkpoint=args.checkpoint,
            quantize=args.quantization != "fp32",
            parity_sentences=args.parity_sentences,
            corpus_dir=corpus,
            static=args.static or bool(args.static_bundle) or args.quantization == "int8-static",
        )
        summary: dict[str, Any] = {"export": report.to_dict()}
        if not args.graphs_only:
            summary["bundles"] = _bundles(args, work, report, corpus)
    except NmtError as err:
        sys.stderr.write(f"nmt export: {str(err).splitlines()[0]}\n")
        return err.exit_code
    except OSError as err:
        sys.stderr.write(f"nmt export: {str(err).splitlines()[0]}\n")
        return EXIT_REFUSED
    sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    return 0


def _corpus(args: argparse.Namespace) -> Path:
    if args.corpus:
        return Path(args.corpus)
    try:
        cfg = load_yaml(TrainConfig, args.run_dir / "config.yaml")
    except (ConfigError, OSError) as err:
        raise ExportError(f"{args.run_dir}: not a training run: {err}") from err
    return cfg.data or data_dir(cfg.pair)


def _bundles(
    args: argparse.Namespace, work: Path, report: ExportReport, corpus: Path
) -> dict[str, Any]:
    """Write the bundle(s), choose the decoding on valid; {path: version, ...} + the table."""
    from nmt.bundle import load_bundle, update_bundle
    from nmt.evaluate.testsets import from_corpus
    from nmt.evaluate.tune import tune_length_penalty
    from nmt.export.assemble import make_bundle
    from nmt.translator import Translator

    def write(out: Path, quantization: str) -> None:
        make_bundle(
            args.run_dir, work, out, report=report, corpus_dir=corpus, quantization=quantization
        )

    write(args.out_dir, args.quantization)
    bundle = load_bundle(args.out_dir)
    out: dict[str, Any] = {}
    if args.tune_sentences > 0:
        valid = from_corpus(corpus, "valid")
        n = min(len(valid), args.tune_sentences)
        valid = dataclasses.replace(
            valid,
            sources=valid.sources[:n],
            references=valid.references[:n],
            parts={"valid": (0, n)},
        )
        decoding, table = tune_length_penalty(Translator.load(args.out_dir), valid)
        scores = {**bundle.manifest.scores, "valid_length_penalty": table}
        bundle = update_bundle(args.out_dir, decoding=decoding, scores=scores)
        out["valid_length_penalty"] = table
    out[str(args.out_dir)] = bundle.version
    # The side bundles share the main one's decoding, so that they compare like for like.
    extra = [(args.fp32_bundle, "fp32"), (args.static_bundle, "int8-static")]
    for path, quantization in extra:
        if path:
            write(path, quantization)
            side = update_bundle(path, decoding=bundle.decoding, scores=bundle.manifest.scores)
            out[str(path)] = side.version
    return out
