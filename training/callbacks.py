"""Callbacks: the run's own `metrics.csv` (one row per validation, appended across resumes),
and a `last.ckpt` written when training ends for any reason (max_time, early stop, Ctrl-C)."""

from __future__ import annotations

import csv
import logging
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl

logger = logging.getLogger(__name__)

METRIC_COLUMNS = (
    "time",
    "elapsed_s",
    "epoch",
    "step",
    "val_bleu",
    "val_bleu_raw",
    "val_bleu_ema",
    "weights",
    "val_loss",
    "val_ppl",
    "train_loss",
    "lr",
    "tgt_tok_s",
)


class ValidationCsv(pl.Callback):
    """Append one row per validation to `path`; a resumed run appends to the same file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = time.monotonic()

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        callbacks: list[pl.Callback] = getattr(trainer, "callbacks", [])
        timer = next((c for c in callbacks if isinstance(c, pl.callbacks.Timer)), None)
        elapsed = timer.time_elapsed("train") if timer else time.monotonic() - self.started
        row: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "elapsed_s": round(elapsed, 1),
            "epoch": trainer.current_epoch,
            "step": trainer.global_step,
            "lr": trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else "",
        }
        for key in ("val_bleu", "val_bleu_raw", "val_bleu_ema", "val_loss", "val_ppl"):
            row[key] = round(metrics[key], 4) if key in metrics else ""
        for key in ("train_loss", "tgt_tok_s"):
            row[key] = round(metrics[key], 4) if key in metrics else ""
        row["weights"] = getattr(pl_module, "preferred_weights", "raw")
        new = not self.path.exists()
        # A run resumed from before a column existed keeps its file's header.
        columns = METRIC_COLUMNS if new else _header(self.path)
        with self.path.open("a", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)
        logger.info(
            "step %d: valid BLEU %.2f, loss %.3f",
            row["step"],
            metrics.get("val_bleu", 0),
            metrics.get("val_loss", 0),
        )


def _header(path: Path) -> tuple[str, ...]:
    with path.open(encoding="utf-8", newline="") as fh:
        return tuple(next(csv.reader(fh), METRIC_COLUMNS))


class SaveLastOnEnd(pl.Callback):
    """`last.ckpt` at the very end, so the next `make train` resumes from where this one
    stopped (Lightning's own callbacks save on intervals and validations only)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.global_step > 0:
            trainer.save_checkpoint(self.path)

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        if isinstance(exception, KeyboardInterrupt) and trainer.global_step > 0:
            trainer.save_checkpoint(self.path)
