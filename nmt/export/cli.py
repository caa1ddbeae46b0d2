"""Command line of the export: `python -m nmt.export RUN_DIR OUT_DIR [options]`.

`add_arguments` + `run` let `nmt export` (nmt/cli.py) reuse the same options and handler.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from nmt.export.run import ExportError, export_run

logger = logging.getLogger(__name__)

EXIT_FAILED = 1  # the parity check did not hold (the report is still written)
EXIT_REFUSED = 2  # bad input: no such run, not a checkpoint, no valid split


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The export's options on `parser` (positional RUN_DIR and OUT_DIR included)."""
    parser.add_argument("run_dir", type=Path, help="training run folder ($NMT_HOME/runs/NAME)")
    parser.add_argument("out_dir", type=Path, help="where fp32/, int8/ and the report go")
    parser.add_argument("--checkpoint", default="best.ckpt", help="checkpoint file in RUN_DIR")
    parser.add_argument("--no-quantize", action="store_true", help="fp32 graphs only")
    parser.add_argument(
        "--no-fp32", action="store_true", help="delete the fp32 graphs after the parity check"
    )
    parser.add_argument("--parity-sentences", type=int, default=200, metavar="N")
    parser.add_argument("--corpus", type=Path, help="corpus folder with valid.tsv")
    parser.add_argument(
        "--static", action="store_true", help="also try static (calibrated) int8: int8-static/"
    )


def run(args: argparse.Namespace) -> int:
    """Handler: export, print the report as JSON on stdout; a failure is one stderr line."""
    try:
        report = export_run(
            args.run_dir,
            args.out_dir,
            checkpoint=args.checkpoint,
            quantize=not args.no_quantize,
            keep_fp32=not args.no_fp32,
            parity_sentences=args.parity_sentences,
            corpus_dir=args.corpus,
            static=args.static,
        )
    except ExportError as err:
        sys.stderr.write(f"nmt export: {str(err).splitlines()[0]}\n")
        return EXIT_FAILED if err.report is not None else EXIT_REFUSED
    sys.stdout.write(json.dumps(report.to_dict(), indent=2) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nmt.export",
        description="Export a training run to ONNX (fp32 + int8) and check parity with PyTorch.",
    )
    add_arguments(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return run(args)
