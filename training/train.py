"""`nmt train`: one run in `$NMT_HOME/runs/<name>/`, resumed automatically from `last.ckpt`.

The run folder holds config.yaml, spm.model, best.ckpt (best valid BLEU), last.ckpt (every
few minutes, at each validation and at the end), metrics.csv (one row per validation), and
logs/ (TensorBoard and Lightning's CSV). Restarting the same command after a crash or kill
resumes from last.ckpt: global step, optimizer, schedule and elapsed time.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import pytorch_lightning as pl
import torch
import yaml
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint, Timer
from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger

from nmt.config import ConfigError, TrainConfig, to_dict
from nmt.paths import data_dir, runs_dir
from nmt.preprocessing import LEGACY
from nmt.tokenizer import Tokenizer
from training.averaging import EmaWeights
from training.callbacks import SaveLastOnEnd, ValidationCsv
from training.data import ParallelDataModule
from training.memory import keep_freed_memory
from training.system import TranslationSystem

logger = logging.getLogger(__name__)

# Sections that must not change when a run resumes: they define what the weights mean.
FROZEN_SECTIONS = ("model", "tokenizer", "pair")


def prepare_run_dir(cfg: TrainConfig, run_dir: Path) -> None:
    """Write config.yaml, or check that a resumed run keeps its model and tokenizer."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "config.yaml"
    new = to_dict(cfg)
    if path.exists():
        old = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(old.get("tokenizer"), dict):
            # A run from before preprocessing versions was masked with version 1.
            old["tokenizer"].setdefault("preprocessing", LEGACY)
        changed = [k for k in FROZEN_SECTIONS if old.get(k) != new.get(k)]
        if changed:
            hint = ""
            if old.get("tokenizer", {}).get("preprocessing") != cfg.tokenizer.preprocessing:
                version = old["tokenizer"]["preprocessing"]
                hint = f" (its tokenizer.preprocessing is {version}: pass it to resume)"
            raise ConfigError(
                f"run {run_dir} exists with a different {', '.join(changed)}{hint}; "
                "choose another name (name=...) or remove the run"
            )
    path.write_text(yaml.safe_dump(new, sort_keys=False), encoding="utf-8")


def callbacks(cfg: TrainConfig, run_dir: Path) -> list[pl.Callback]:
    t = cfg.trainer
    best = ModelCheckpoint(
        dirpath=run_dir,
        filename="best",
        monitor="val_bleu",
        mode="max",
        save_top_k=1,
        save_last=True,
        enable_version_counter=False,
    )
    periodic = ModelCheckpoint(
        dirpath=run_dir,
        save_top_k=0,
        save_last=True,
        train_time_interval=timedelta(minutes=t.checkpoint_every_minutes),
        # Both callbacks write last.ckpt; with a version counter this one would write
        # last-v1.ckpt instead, and a resume (which reads last.ckpt) would lose its saves.
        enable_version_counter=False,
    )
    stop = EarlyStopping(
        monitor="val_bleu",
        mode="max",
        patience=t.early_stopping_patience,
        check_on_train_epoch_end=False,
    )
    found: list[pl.Callback] = [
        best,
        periodic,
        stop,
        ValidationCsv(run_dir / "metrics.csv"),
        SaveLastOnEnd(run_dir / "last.ckpt"),
    ]
    if cfg.optim.ema_decay:
        found.append(EmaWeights(cfg.optim.ema_decay, cfg.optim.ema_start_step))
    if t.max_time:
        found.append(Timer(duration=t.max_time, interval="step"))
    return found


def make_trainer(cfg: TrainConfig, run_dir: Path) -> pl.Trainer:
    t = cfg.trainer
    return pl.Trainer(
        accelerator=t.accelerator,
        devices=t.devices,
        num_nodes=t.num_nodes,
        strategy=t.strategy,
        precision=t.precision,
        max_steps=t.max_steps,
        max_epochs=t.max_epochs,
        val_check_interval=t.val_check_interval,
        check_val_every_n_epoch=None,  # validate every val_check_interval steps, across epochs
        gradient_clip_val=cfg.optim.grad_clip,
        log_every_n_steps=t.log_every_n_steps,
        callbacks=callbacks(cfg, run_dir),
        logger=[
            CSVLogger(run_dir, name="logs", version="csv"),
            TensorBoardLogger(run_dir, name="logs", version="tensorboard"),
        ],
        enable_progress_bar=t.progress_bar,
        use_distributed_sampler=False,  # our batch sampler shards by rank itself
        num_sanity_val_steps=0,
        default_root_dir=run_dir,
    )


def train(cfg: TrainConfig, *, run_dir: Path | None = None, corpus: Path | None = None) -> Path:
    """Train (or resume) the run; returns its folder."""
    run_dir = run_dir or runs_dir() / cfg.name
    corpus = corpus or cfg.data or data_dir(cfg.pair)
    if not (corpus / "manifest.json").exists():
        raise ConfigError(f"no corpus at {corpus}: run `make data` (or `nmt data import`) first")
    prepare_run_dir(cfg, run_dir)
    pl.seed_everything(cfg.trainer.seed, workers=True)
    keep_freed_memory()
    torch.set_num_threads(
        cfg.trainer.threads or max(1, (os.cpu_count() or 1) // cfg.trainer.devices)
    )
    data = ParallelDataModule(cfg, corpus, run_dir)
    data.prepare_data()  # tokenizer + caches before the model: its vocabulary size comes from it
    tokenizer = Tokenizer.load(run_dir / "spm.model")
    if tokenizer.vocab_size != cfg.model.vocab_size:
        raise ConfigError(
            f"model.vocab_size {cfg.model.vocab_size} != tokenizer's {tokenizer.vocab_size}"
        )
    system = TranslationSystem.from_config(cfg)
    system.tokenizer = tokenizer
    data.setup("fit")
    system.valid_texts = data.valid_texts
    logger.info(
        "model: %d parameters; train pairs %d", system.model.num_parameters(), len(data.train or [])
    )
    last = run_dir / "last.ckpt"
    resume = str(last) if last.exists() else None
    if resume:
        logger.info("resuming from %s", last)
    make_trainer(cfg, run_dir).fit(system, datamodule=data, ckpt_path=resume)
    return run_dir


def load_config(path: Path, overrides: list[str]) -> TrainConfig:
    """A run config from YAML plus dotted overrides (`trainer.max_time=00:00:30:00`)."""
    from nmt.config import load_yaml

    return load_yaml(TrainConfig, path, overrides)
