"""What `nmt evaluate` scores: a bundle (ONNX Runtime) or a training run (PyTorch, its
best checkpoint), both behind the same Translator."""

from __future__ import annotations

from pathlib import Path

from nmt.bundle import MANIFEST, BundleError
from nmt.checkpoints import CheckpointLoader
from nmt.config import TrainConfig, load_yaml
from nmt.translator import Translator


def load_translator(
    path: Path,
    *,
    threads: int | None = None,
    batch_size: int = 64,
    load_checkpoint: CheckpointLoader | None = None,
) -> Translator:
    """A Translator for the bundle or run folder at `path`. A bundle is loaded with ONNX
    Runtime; a run from best.ckpt with torch (imported here only), read by `load_checkpoint`
    (training's reader; a run cannot be evaluated without one). BundleError for anything else."""
    path = Path(path)
    if (path / MANIFEST).is_file():
        return Translator.load(path, threads=threads, batch_size=batch_size)
    if (path / "config.yaml").is_file() and (path / "best.ckpt").is_file():
        if load_checkpoint is None:
            raise BundleError(f"{path}: a training run, and no checkpoint reader was given")
        return _run_translator(path, threads, batch_size, load_checkpoint)
    raise BundleError(
        f"{path}: neither a bundle (no {MANIFEST}) nor a run (config.yaml + best.ckpt)"
    )


def _run_translator(
    path: Path, threads: int | None, batch_size: int, load_checkpoint: CheckpointLoader
) -> Translator:
    import torch

    from nmt.search.torch_backend import TorchStepModel
    from nmt.tokenizer import Tokenizer

    if threads:
        torch.set_num_threads(threads)
    _, model = load_checkpoint(path / "best.ckpt")
    tokenizer = Tokenizer.load(path / "spm.model")
    version = load_yaml(TrainConfig, path / "config.yaml").tokenizer.preprocessing
    return Translator(
        TorchStepModel(model), tokenizer, batch_size=batch_size, preprocessing=version
    )


def model_name(path: Path) -> str:
    """A short display name: the folder's name with its parent (`models/en-de`)."""
    path = Path(path).resolve()
    return f"{path.parent.name}/{path.name}"
