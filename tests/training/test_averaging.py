"""The weight average (optim.ema_decay): its arithmetic, both weights scored at validation, the
checkpoint carrying both and naming the better, the loader returning that one, and a resume
continuing the average instead of restarting it."""

from __future__ import annotations

import csv
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from torch import nn

from nmt.cli import main
from tests.synthetic import import_corpus
from training.averaging import EmaWeights
from training.checkpoint import EMA_KEY, WEIGHTS_KEY, load_checkpoint

pytestmark = pytest.mark.training

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml"


class _Holder(nn.Module):
    """What EmaWeights sees of the LightningModule: `model` and `set_ema_model`."""

    def __init__(self) -> None:
        super().__init__()
        self.model = nn.Linear(3, 2)
        self.ema: list[nn.Module] = []

    def set_ema_model(self, model: nn.Module) -> None:
        self.ema[:] = [model]


def _step(cb: EmaWeights, holder: _Holder, step: int) -> None:
    trainer = SimpleNamespace(global_step=step)
    cb.on_train_batch_end(trainer, holder, None, None, 0)  # type: ignore[arg-type]


def test_the_average_follows_the_ema_formula_once_per_optimizer_step() -> None:
    holder = _Holder()
    cb = EmaWeights(0.5)
    cb.setup(None, holder, "fit")  # type: ignore[arg-type]
    first = holder.model.weight.detach().clone()
    _step(cb, holder, 1)  # the first update copies the weights
    with torch.no_grad():
        holder.model.weight.add_(2.0)
    _step(cb, holder, 2)
    _step(cb, holder, 2)  # the same optimizer step again (accumulation): no second update
    ema = holder.ema[0].weight
    torch.testing.assert_close(ema, 0.5 * first + 0.5 * (first + 2.0))
    assert holder.model.weight.requires_grad and not ema.requires_grad


def test_the_average_starts_after_start_step_and_is_scored_from_then() -> None:
    holder = _Holder()
    cb = EmaWeights(0.5, start_step=2)
    cb.setup(None, holder, "fit")  # type: ignore[arg-type]
    for step in (1, 2):
        _step(cb, holder, step)
    assert holder.ema == []  # nothing averaged yet: validation scores the raw weights only
    with torch.no_grad():
        holder.model.weight.add_(1.0)
    _step(cb, holder, 3)  # the first update copies the weights of step 3
    torch.testing.assert_close(holder.ema[0].weight, holder.model.weight.detach())


def test_decay_outside_0_1_is_refused() -> None:
    for decay in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="decay"):
            EmaWeights(decay)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = import_corpus(tmp_path_factory.mktemp("corpus"))
    run = tmp_path_factory.mktemp("runs") / "ema"
    args = ["train", "--config", str(TINY), "--data", str(corpus), "--run-dir", str(run)]
    # 20 steps without an average, then resumed with one (a checkpoint without it loads),
    # then resumed again (the average continues).
    assert main([*args, "trainer.val_check_interval=20", "trainer.max_steps=20"]) == 0
    common = ["optim.ema_decay=0.9", "trainer.val_check_interval=20"]
    assert main([*args, *common, "trainer.max_steps=40"]) == 0
    assert main([*args, *common, "trainer.max_steps=60"]) == 0
    return run


def _ckpt(path: Path) -> dict[str, Any]:
    ckpt: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    return ckpt


def test_validation_scores_both_weights_and_keeps_the_better(run: Path) -> None:
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == [20, 40, 60]
    assert rows[0]["val_bleu_ema"] == ""  # before the average was turned on
    for row in rows[1:]:
        raw, ema = float(row["val_bleu_raw"]), float(row["val_bleu_ema"])
        assert float(row["val_bleu"]) == pytest.approx(max(raw, ema), abs=1e-4)
        assert row["weights"] == ("ema" if ema > raw else "raw")


def test_the_checkpoint_holds_both_and_the_resume_continues_the_average(run: Path) -> None:
    ckpt = _ckpt(run / "last.ckpt")
    assert ckpt["global_step"] == 60
    assert ckpt["ema_updates"] == 40  # from step 20 on, continued across the second resume
    raw, ema = ckpt["state_dict"], ckpt[EMA_KEY]
    assert set(ema) == set(raw)  # the average is not part of the module's own state
    assert any(not torch.equal(raw[k], ema[k]) for k in ema)  # an average, not a copy


@pytest.mark.parametrize("weights", ["ema", "raw"])
def test_the_loader_returns_the_weights_the_checkpoint_names(
    run: Path, tmp_path: Path, weights: str
) -> None:
    ckpt = _ckpt(run / "last.ckpt")
    ckpt[WEIGHTS_KEY] = weights
    path = tmp_path / "named.ckpt"
    torch.save(ckpt, path)
    _, model = load_checkpoint(path)
    source = ckpt[EMA_KEY] if weights == "ema" else ckpt["state_dict"]
    for name, value in model.state_dict().items():
        assert torch.equal(value, source["model." + name]), name
