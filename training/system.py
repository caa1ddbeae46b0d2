"""The LightningModule: loss, optimisation, validation loss / perplexity / BLEU.

Validation BLEU is computed the way users will see translations: the shared `Translator`
(protect -> SentencePiece -> NumPy greedy search over the PyTorch step backend -> restore), on
the raw valid references, with sacreBLEU's default settings.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from typing import Any

import pytorch_lightning as pl
import sacrebleu
import torch
from torch import Tensor, nn

from nmt.config import OptimConfig, TrainConfig, from_dict, to_dict
from nmt.model.seq2seq import Seq2Seq
from nmt.search.torch_backend import TorchStepModel
from nmt.tokenizer import Tokenizer
from nmt.translator import Translator
from training.loss import smoothed_ce
from training.schedule import LrSchedule

logger = logging.getLogger(__name__)


def make_optimizer(params: Iterable[nn.Parameter], cfg: OptimConfig) -> torch.optim.AdamW:
    """AdamW with the fused kernel: one pass over each parameter, 9 ms a step against 21 ms
    for the multi-tensor (foreach) one on the 11M-parameter default model on 2 cores."""
    return torch.optim.AdamW(
        params, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay, fused=True
    )


class Throughput:
    """Real target tokens per second of training batches (forward, backward and optimizer step;
    validation and checkpoint time excluded), averaged over windows of at least `window` s."""

    def __init__(self, window: float = 10.0) -> None:
        self.window = window
        self.tokens = 0
        self.busy = 0.0
        self.rate = 0.0
        self._started = 0.0

    def start(self) -> None:
        self._started = time.perf_counter()

    def stop(self) -> None:
        self.busy += time.perf_counter() - self._started
        if self.busy >= self.window:
            self.rate = self.tokens / self.busy
            self.tokens, self.busy = 0, 0.0


class TranslationSystem(pl.LightningModule):
    """Seq2Seq training with label smoothing, AdamW, warmup, and validation BLEU."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self.save_hyperparameters()  # the checkpoint carries the whole run config
        self.cfg: TrainConfig = from_dict(TrainConfig, config)
        self.model = Seq2Seq(self.cfg.model)
        self.tokenizer: Tokenizer | None = None  # set by the train entry before fit
        self.valid_texts: list[tuple[str, str]] = []
        # The averaged Seq2Seq of `training.averaging.EmaWeights` (optim.ema_decay > 0), held
        # in a list so that it is not a submodule: not trained, not in state_dict (the callback
        # checkpoints it under its own key), so checkpoints with and without it load alike.
        self._ema: list[Seq2Seq] = []
        self.preferred_weights = "raw"  # "ema" when the average scored better at validation
        self._val_sums = torch.zeros(2, dtype=torch.float64)
        self._speed = Throughput()

    @property
    def ema_model(self) -> Seq2Seq | None:
        """The weight average, when the run keeps one."""
        return self._ema[0] if self._ema else None

    def set_ema_model(self, model: Seq2Seq) -> None:
        self._ema[:] = [model]

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> TranslationSystem:
        return cls(to_dict(cfg))

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        logits, _ = self.model.teacher_forced_logits(
            batch["src"], batch["src_lengths"], batch["tgt_in"]
        )
        loss_sum, nll_sum, ntok = smoothed_ce(
            logits, batch["tgt_out"], self.cfg.optim.label_smoothing
        )
        loss = loss_sum / ntok.clamp(min=1)
        self._speed.tokens += int(ntok)
        self.log("train_loss", loss, prog_bar=True, batch_size=int(ntok))
        self.log("train_nll", nll_sum / ntok.clamp(min=1), batch_size=int(ntok))
        self.log("tgt_tok_s", self._speed.rate, prog_bar=True, batch_size=1)
        return loss

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self._speed.start()

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self._speed.stop()

    def on_validation_epoch_start(self) -> None:
        self._val_sums = torch.zeros(2, dtype=torch.float64)

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        logits, _ = self.model.teacher_forced_logits(
            batch["src"], batch["src_lengths"], batch["tgt_in"]
        )
        _, nll_sum, ntok = smoothed_ce(logits, batch["tgt_out"], 0.0)
        self._val_sums += torch.tensor([float(nll_sum), float(ntok)], dtype=torch.float64)

    def on_validation_epoch_end(self) -> None:
        # The valid loader is not sharded: every rank scores all of it, so no gather is needed
        # and every rank logs the same numbers (what EarlyStopping and checkpoints compare).
        sums = self._val_sums
        val_loss = float(sums[0] / sums[1].clamp(min=1))
        self.log("val_loss", val_loss, sync_dist=False)
        self.log("val_ppl", math.exp(min(val_loss, 50.0)), sync_dist=False)
        bleu = self.valid_bleu(self.model)
        if self.ema_model is not None:
            ema = self.valid_bleu(self.ema_model)
            self.log("val_bleu_raw", bleu, sync_dist=False)
            self.log("val_bleu_ema", ema, sync_dist=False)
            # Ties go to the raw weights: the average has to earn its place.
            self.preferred_weights = "ema" if ema > bleu else "raw"
            bleu = max(bleu, ema)
        self.log("val_bleu", bleu, prog_bar=True, sync_dist=False)
        if not self.trainer.sanity_checking:
            self.lr_schedule().observe(bleu)

    def lr_schedule(self) -> LrSchedule:
        """The schedule object LambdaLR holds (after a resume, the one with restored state)."""
        sched = self.lr_schedulers()
        assert isinstance(sched, torch.optim.lr_scheduler.LambdaLR)
        schedule = sched.lr_lambdas[0]
        assert isinstance(schedule, LrSchedule)
        return schedule

    def valid_bleu(self, model: Seq2Seq) -> float:
        """sacreBLEU of `model`'s greedy translations of `valid_texts` (every rank computes the
        same); `model` is the raw Seq2Seq or its weight average."""
        if not self.valid_texts or self.tokenizer is None:
            return 0.0
        was_training = model.training
        model.eval()
        translator = Translator(
            TorchStepModel(model),
            self.tokenizer,
            batch_size=64,
            preprocessing=self.cfg.tokenizer.preprocessing,
        )
        sources = [s for s, _ in self.valid_texts]
        hyps = [t.text for t in translator.translate(sources, self.cfg.decoding)]
        model.train(was_training)
        return float(sacrebleu.corpus_bleu(hyps, [[r for _, r in self.valid_texts]]).score)

    def configure_gradient_clipping(
        self,
        optimizer: torch.optim.Optimizer,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: str | None = None,
    ) -> None:
        """Clip the global gradient norm to `optim.grad_clip` (Trainer's gradient_clip_val).

        Done here rather than by Lightning's default, which refuses any fused optimizer under
        mixed precision because it assumes a gradient scaler; bf16-mixed (the only mixed
        precision the config allows) has none, so the gradients are the true ones.
        """
        if gradient_clip_val:
            torch.nn.utils.clip_grad_norm_(self.parameters(), gradient_clip_val)

    def configure_optimizers(self) -> Any:
        o = self.cfg.optim
        opt = make_optimizer(self.parameters(), o)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, LrSchedule(o, total_steps=self.cfg.trainer.max_steps)
        )
        return [opt], [{"scheduler": sched, "interval": "step"}]
