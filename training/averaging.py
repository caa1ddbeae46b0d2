"""An exponential moving average (EMA) of the model's weights, kept beside the raw weights.

`EmaWeights` holds a `torch.optim.swa_utils.AveragedModel` of the LightningModule's Seq2Seq
(`pl_module.model`), updated after every optimizer step past `optim.ema_start_step` with decay
`optim.ema_decay`. From its first update on it is the module's `ema_model`, which validation
scores next to the raw
weights (`val_bleu_raw`, `val_bleu_ema`; `val_bleu` is the better of the two, what the best
checkpoint and early stopping follow).

Checkpoints keep the raw weights in `state_dict` (what a resume trains on) and add
`ema_state_dict` (the average, with the same `model.` names) and `weights`: "ema" or "raw",
whichever scored better at the last validation. `training.checkpoint.load_checkpoint` returns
the weights that `weights` names, so the export ships the better one and the bundle says which.

Lightning's own `EMAWeightAveraging` swaps the average in for validation and scores only it;
this one scores both, and averages the Seq2Seq alone (no copy of the tokenizer or the trainer).
"""

from __future__ import annotations

import logging
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from training.checkpoint import EMA_KEY, MODEL_PREFIX, WEIGHTS_KEY

logger = logging.getLogger(__name__)


class EmaWeights(pl.Callback):
    """Keeps the EMA of `pl_module.model` and saves/restores it with every checkpoint."""

    def __init__(self, decay: float, start_step: int = 0) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay {decay} must be in (0, 1)")
        self.decay = decay
        self.start_step = start_step
        self.average: AveragedModel | None = None
        self._pending: dict[str, torch.Tensor] | None = None  # restored before setup()
        self._module: Any = None  # the LightningModule (set_ema_model), from setup()
        self._last_step = 0

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit" or self.average is not None:
            return
        ema = get_ema_multi_avg_fn(self.decay)  # type: ignore[no-untyped-call]
        self.average = AveragedModel(_seq2seq(pl_module), multi_avg_fn=ema, use_buffers=True)
        self.average.requires_grad_(False)
        self._module = pl_module
        if self._pending is not None:
            self._load(self._pending)
            self._pending = None

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        # Once per optimizer step (global_step counts them), however batches are accumulated,
        # and only after `start_step`: early weights change too fast to be worth averaging.
        step = trainer.global_step
        if self.average is not None and step > max(self._last_step, self.start_step):
            self.average.update_parameters(_seq2seq(pl_module))
            self._last_step = step
            if int(self.average.n_averaged) == 1:  # the first update copies: now worth scoring
                self._module.set_ema_model(self.average.module)

    def on_save_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        if self.average is None:
            return
        checkpoint[EMA_KEY] = {
            MODEL_PREFIX + name: value.detach().clone()
            for name, value in self.average.module.state_dict().items()
        }
        checkpoint["ema_updates"] = int(self.average.n_averaged.item())
        checkpoint[WEIGHTS_KEY] = getattr(pl_module, "preferred_weights", "raw")

    def on_load_checkpoint(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict[str, Any]
    ) -> None:
        state = checkpoint.get(EMA_KEY)
        if state is None:
            # A checkpoint from before the average: it starts again from the raw weights.
            logger.warning("the checkpoint has no weight average; the EMA restarts from it")
            return
        weights = {k.removeprefix(MODEL_PREFIX): v for k, v in state.items()}
        weights["__n_averaged"] = torch.tensor(int(checkpoint.get("ema_updates", 1)))
        self._last_step = int(checkpoint.get("global_step", 0))
        if self.average is None:
            self._pending = weights
        else:
            self._load(weights)

    def _load(self, weights: dict[str, torch.Tensor]) -> None:
        assert self.average is not None
        n = weights.pop("__n_averaged")
        self.average.module.load_state_dict(weights)
        self.average.n_averaged.copy_(n)
        self._module.set_ema_model(self.average.module)


def _seq2seq(pl_module: pl.LightningModule) -> nn.Module:
    """The averaged part: the LightningModule's Seq2Seq (`model`)."""
    model = pl_module.model
    assert isinstance(model, nn.Module), "EmaWeights averages pl_module.model"
    return model
