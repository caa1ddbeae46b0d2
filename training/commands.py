"""The `nmt` subcommands that need a training run: `train`, `export` and `evaluate`.

Registered through the `nmt.commands` entry points (pyproject.toml), so the core's `nmt.cli` never
imports `training`. Importing this module is light (no torch, no Lightning): the handlers import
what they need when they run. `export` and `evaluate` are the core's commands with this package's
checkpoint reader (`training.checkpoint.load_checkpoint`) bound in.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

SubParsers = argparse._SubParsersAction  # the object `add_subparsers` returns


def _train(args: argparse.Namespace) -> int:
    from nmt.config import TrainConfig, load_yaml

    overrides = list(args.overrides)
    if args.name:
        overrides.append(f"name={args.name}")
    cfg = load_yaml(TrainConfig, args.config, overrides)
    from training.train import train  # Lightning and torch only for this subcommand

    run_dir = train(cfg, run_dir=args.run_dir, corpus=args.data)
    sys.stdout.write(f"{run_dir}\n")
    return 0


def add_train(sub: SubParsers[argparse.ArgumentParser]) -> None:
    """`nmt train [--config FILE] [--name NAME] [KEY=VALUE ...]`."""
    train = sub.add_parser(
        "train",
        help="train (or resume) a model with PyTorch Lightning",
        description="Train a run in $NMT_HOME/runs/<name>/; re-running resumes from last.ckpt.",
    )
    train.add_argument("--config", type=Path, default=Path("configs/en-de.yaml"))
    train.add_argument("--name", help="run name (default: the config's name)")
    train.add_argument("--data", type=Path, help="corpus folder (default $NMT_HOME/data/PAIR)")
    train.add_argument("--run-dir", type=Path, help="run folder (default $NMT_HOME/runs/NAME)")
    train.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="config overrides, e.g. trainer.max_time=00:00:30:00 optim.lr=0.001",
    )
    train.set_defaults(handler=_train)


def add_export(sub: SubParsers[argparse.ArgumentParser]) -> None:
    """`nmt export RUN_DIR OUT_DIR [options]` (`nmt.export.cli`)."""
    from nmt.export import cli as export_cli
    from training.checkpoint import load_checkpoint

    export = sub.add_parser(
        "export",
        help="export a run to ONNX (parity-checked, int8) and write a model bundle",
        description="Export RUN_DIR's best checkpoint to ONNX, check parity with PyTorch, "
        "quantize to int8 and write the bundle OUT_DIR.",
    )
    export_cli.add_arguments(export)
    export.set_defaults(handler=functools.partial(export_cli.run, load_checkpoint=load_checkpoint))


def add_evaluate(sub: SubParsers[argparse.ArgumentParser]) -> None:
    """`nmt evaluate [MODEL] [options]` (`nmt.evaluate.cli`): a bundle, or a run's checkpoint."""
    from nmt.evaluate import cli as evaluate_cli
    from training.checkpoint import load_checkpoint

    evaluate = sub.add_parser(
        "evaluate",
        help="score a bundle or run: BLEU, chrF, TER by part and decoding, report + plots",
        description="Evaluate a model on the corpus test split or your own test set.",
    )
    evaluate_cli.add_arguments(evaluate)
    evaluate.set_defaults(
        handler=functools.partial(evaluate_cli.run, load_checkpoint=load_checkpoint)
    )
