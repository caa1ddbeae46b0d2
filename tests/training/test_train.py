"""Training end to end on the tiny config and a generated corpus: run files, validation BLEU,
resume from the saved global step and optimizer state, config errors. Bounded by steps."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from nmt.cli import main
from nmt.config import TrainConfig, load_yaml
from tests.synthetic import import_corpus
from training.system import TranslationSystem

pytestmark = pytest.mark.training

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.yaml"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    return import_corpus(root)


def _train(corpus: Path, run: Path, *overrides: str) -> int:
    args = ["train", "--config", str(TINY), "--data", str(corpus), "--run-dir", str(run)]
    return main([*args, *overrides])


def _ckpt(path: Path) -> dict[str, object]:
    ckpt: dict[str, object] = torch.load(path, map_location="cpu", weights_only=False)
    return ckpt


def test_train_writes_the_run_and_resumes(corpus: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert _train(corpus, run, "trainer.max_steps=40", "trainer.val_check_interval=20") == 0
    for name in ("config.yaml", "spm.model", "best.ckpt", "last.ckpt", "metrics.csv"):
        assert (run / name).exists(), name
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == [20, 40]
    assert all(0.0 <= float(r["val_bleu"]) <= 100.0 for r in rows)
    assert float(rows[-1]["val_loss"]) < float(rows[0]["val_loss"])  # it learns
    first = _ckpt(run / "last.ckpt")
    assert first["global_step"] == 40

    # A restart with a larger budget resumes: step and Adam's own step counter continue.
    assert _train(corpus, run, "trainer.max_steps=60", "trainer.val_check_interval=20") == 0
    resumed = _ckpt(run / "last.ckpt")
    assert resumed["global_step"] == 60
    adam = resumed["optimizer_states"][0]["state"][0]  # type: ignore[index]
    assert int(adam["step"]) == 60  # restored at 40, not restarted at 0
    steps = [int(r["step"]) for r in csv.DictReader((run / "metrics.csv").open())]
    assert steps == [20, 40, 60]  # metrics.csv appended across the resume


def test_bf16_mixed_trains_with_the_fused_optimizer_and_clipping(
    corpus: Path, tmp_path: Path
) -> None:
    # Lightning's own clipping refuses a fused optimizer under mixed precision; ours clips.
    overrides = ("trainer.max_steps=4", "trainer.val_check_interval=4", "optim.grad_clip=0.01")
    assert _train(corpus, tmp_path / "run", "trainer.precision=bf16-mixed", *overrides) == 0
    assert _ckpt(tmp_path / "run" / "last.ckpt")["global_step"] == 4


def test_gradient_clipping_bounds_the_global_norm() -> None:
    cfg = load_yaml(TrainConfig, TINY)
    system = TranslationSystem.from_config(cfg)
    for param in system.parameters():
        param.grad = torch.full_like(param, 3.0)
    optimizer = system.configure_optimizers()[0][0]
    system.configure_gradient_clipping(optimizer, gradient_clip_val=0.5)
    norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in system.parameters()]))
    assert abs(float(norm) - 0.5) < 1e-4
    assert optimizer.defaults["fused"] is True


def test_resume_refuses_a_changed_model(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    assert _train(corpus, run, "trainer.max_steps=2", "trainer.val_check_interval=2") == 0
    capsys.readouterr()
    assert _train(corpus, run, "model.emb_dim=48") == 2
    assert "different model" in capsys.readouterr().err


def test_unknown_config_key_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--config", str(TINY), "trainer.max_stepz=3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "trainer.max_stepz" in err[0]


def test_missing_corpus_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--config", str(TINY), "--data", str(tmp_path / "none")]) == 2
    assert "make data" in capsys.readouterr().err


def test_hparams_in_checkpoint_rebuild_the_config(corpus: Path, tmp_path: Path) -> None:
    from nmt.config import TrainConfig, from_dict

    run = tmp_path / "run"
    assert _train(corpus, run, "trainer.max_steps=2", "trainer.val_check_interval=2") == 0
    hparams = _ckpt(run / "last.ckpt")["hyper_parameters"]
    cfg = from_dict(TrainConfig, hparams["config"])  # type: ignore[index]
    assert cfg.model.vocab_size == 400
    assert json.dumps(hparams)  # plain data, no objects


def test_two_process_ddp_on_cpu(corpus: Path, tmp_path: Path) -> None:
    """strategy=ddp, devices=2: Lightning's launcher re-runs the command line, so it runs as
    its own process (inside pytest it would re-run pytest)."""
    import os
    import subprocess
    import sys

    run = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "nmt.cli",
        "train",
        "--config",
        str(TINY),
        "--data",
        str(corpus),
        "--run-dir",
        str(run),
        "trainer.strategy=ddp",
        "trainer.devices=2",
        "trainer.max_steps=10",
        "trainer.val_check_interval=10",
    ]
    env = {**os.environ, "PL_DISABLE_FORK": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Starting with 2 processes" in proc.stderr + proc.stdout
    assert _ckpt(run / "last.ckpt")["global_step"] == 10
    assert [r["step"] for r in csv.DictReader((run / "metrics.csv").open())] == ["10"]


def test_a_run_from_before_preprocessing_versions_resumes_as_version_1(tmp_path: Path) -> None:
    import dataclasses

    import yaml

    from nmt.config import ConfigError, to_dict
    from training.train import prepare_run_dir

    cfg = load_yaml(TrainConfig, TINY)
    old = to_dict(cfg)
    del old["tokenizer"]["preprocessing"]  # written before the field existed
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(yaml.safe_dump(old), encoding="utf-8")
    v1 = dataclasses.replace(cfg, tokenizer=dataclasses.replace(cfg.tokenizer, preprocessing=1))
    prepare_run_dir(v1, run)  # accepted: the old run was masked with version 1
    (run / "config.yaml").write_text(yaml.safe_dump(old), encoding="utf-8")
    v3 = dataclasses.replace(cfg, tokenizer=dataclasses.replace(cfg.tokenizer, preprocessing=3))
    with pytest.raises(ConfigError, match=r"tokenizer.preprocessing is 1: pass it to resume"):
        prepare_run_dir(v3, run)
