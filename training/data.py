"""The training data: corpus folder -> joint SentencePiece -> cached token ids -> batches.

The tokenizer is trained once per run on the masked train split (`nmt.protect.mask_pair`, the
same protection inference uses, so the model learns to copy placeholder symbols) and stored as
`runs/<name>/spm.model`. Token ids are cached with `datasets.map` under the run folder, keyed by
the tokenizer and the split's sha256, so a restarted run does not tokenize again.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
from torch.utils.data import DataLoader, Dataset

from nmt.boundaries import model_text
from nmt.config import TrainConfig
from nmt.corpus.output import read_manifest
from nmt.preprocessing import LEGACY
from nmt.protect import mask_pair
from nmt.tokenizer import EOS_ID, Tokenizer, train_tokenizer
from training.batching import ResumableLoader, TokenBudgetSampler, collate

logger = logging.getLogger(__name__)

# Bump when the tokenization recipe changes, so old caches are not reused.
TOKENIZATION_VERSION = "1"


class TokenizedPairs(Dataset[tuple[np.ndarray, np.ndarray]]):
    """Source and target id arrays (each ending in EOS), indexable for the batch sampler."""

    def __init__(self, src: list[np.ndarray], tgt: list[np.ndarray]) -> None:
        self.src, self.tgt = src, tgt
        self.lengths = [max(len(s), len(t)) for s, t in zip(src, tgt, strict=True)]

    def __len__(self) -> int:
        return len(self.src)

    def __getitem__(self, idx: int) -> tuple[np.ndarray, np.ndarray]:
        return self.src[idx], self.tgt[idx]


def masked_sentences(train: Any, version: int = LEGACY) -> Iterator[str]:
    """Both sides of every train pair, masked as the model will see them (preprocessing
    `version`, `nmt.preprocessing`)."""
    for row in train:
        pair = mask_pair(row["source"], row["target"], version=version)
        yield model_text(pair.source, version)
        yield model_text(pair.target, version)


def ensure_tokenizer(cfg: TrainConfig, corpus: Any, run_dir: Path) -> Path:
    """`run_dir/spm.model`, trained on the train split if the run has none yet."""
    path = run_dir / "spm.model"
    if not path.exists():
        logger.info("training the SentencePiece model (vocab %d)", cfg.model.vocab_size)
        train_tokenizer(
            masked_sentences(corpus["train"], cfg.tokenizer.preprocessing),
            path,
            vocab_size=cfg.model.vocab_size,
            model_type=cfg.tokenizer.model_type,
            input_sentence_size=cfg.tokenizer.input_sentence_size,
            seed=cfg.trainer.seed,
        )
    return path


@functools.cache
def _tokenizer(model_path: str) -> Tokenizer:
    return Tokenizer.load(Path(model_path))


def encode_batch(
    batch: dict[str, list[str]], *, model_path: str, version: int = LEGACY
) -> dict[str, list[list[int]]]:
    """`datasets.map` function: masked pairs to ids, EOS appended on both sides."""
    tok = _tokenizer(model_path)
    pairs = [
        mask_pair(s, t, version=version)
        for s, t in zip(batch["source"], batch["target"], strict=True)
    ]
    src = tok.encode([model_text(p.source, version) for p in pairs])
    tgt = tok.encode([model_text(p.target, version) for p in pairs])
    return {"src_ids": [[*s, EOS_ID] for s in src], "tgt_ids": [[*t, EOS_ID] for t in tgt]}


def tokenized(
    split: Any,
    name: str,
    spm_path: Path,
    split_sha: str,
    cache_dir: Path,
    version: int = LEGACY,
) -> Any:
    """The split with `src_ids`/`tgt_ids` columns (masked with preprocessing `version`), from
    the run's cache when it is there."""
    recipe = TOKENIZATION_VERSION if version == LEGACY else f"{TOKENIZATION_VERSION}-p{version}"
    key = hashlib.sha256(f"{recipe}:{split_sha}:".encode() + spm_path.read_bytes()).hexdigest()[:16]
    cache_dir.mkdir(parents=True, exist_ok=True)
    return split.map(
        encode_batch,
        batched=True,
        batch_size=1000,
        fn_kwargs={"model_path": str(spm_path), "version": version},
        cache_file_name=str(cache_dir / f"{name}-{key}.arrow"),
        new_fingerprint=f"{name}-{key}",
        load_from_cache_file=True,
        desc=f"tokenizing {name}",
    )


def to_pairs(ds: Any, max_tokens: int) -> tuple[TokenizedPairs, np.ndarray]:
    """Arrays of the pairs within `max_tokens` a side; also the kept row indices."""
    src = [np.asarray(x, dtype=np.int64) for x in ds["src_ids"]]
    tgt = [np.asarray(x, dtype=np.int64) for x in ds["tgt_ids"]]
    keep = np.array(
        [len(s) <= max_tokens and len(t) <= max_tokens for s, t in zip(src, tgt, strict=False)]
    )
    idx = np.flatnonzero(keep)
    if len(idx) < len(src):
        logger.info(
            "left out %d of %d pairs longer than %d tokens",
            len(src) - len(idx),
            len(src),
            max_tokens,
        )
    return TokenizedPairs([src[i] for i in idx], [tgt[i] for i in idx]), idx


class ParallelDataModule(pl.LightningDataModule):
    """Train and valid batches for one run; `valid_texts` are what valid BLEU is computed on."""

    def __init__(self, cfg: TrainConfig, corpus_dir: Path, run_dir: Path) -> None:
        super().__init__()
        self.cfg, self.corpus_dir, self.run_dir = cfg, corpus_dir, run_dir
        self.train: TokenizedPairs | None = None
        self.valid: TokenizedPairs | None = None
        self.valid_texts: list[tuple[str, str]] = []

    def _load(self) -> tuple[Any, dict[str, Any]]:
        from datasets import load_from_disk

        return load_from_disk(str(self.corpus_dir / "dataset")), read_manifest(self.corpus_dir)

    def prepare_data(self) -> None:
        """Rank 0 only (Lightning's contract): tokenizer and token caches on disk."""
        corpus, manifest = self._load()
        spm_path = ensure_tokenizer(self.cfg, corpus, self.run_dir)
        for name in ("train", "valid"):
            sha = manifest["splits"][name]["sha256"]
            cache = self.run_dir / "cache"
            tokenized(corpus[name], name, spm_path, sha, cache, self.cfg.tokenizer.preprocessing)

    def setup(self, stage: str | None = None) -> None:
        corpus, manifest = self._load()
        spm_path = self.run_dir / "spm.model"
        parts = {}
        for name in ("train", "valid"):
            sha = manifest["splits"][name]["sha256"]
            cache = self.run_dir / "cache"
            ds = tokenized(
                corpus[name], name, spm_path, sha, cache, self.cfg.tokenizer.preprocessing
            )
            parts[name] = to_pairs(ds, self.cfg.tokenizer.max_tokens)
        self.train, _ = parts["train"]
        self.valid, valid_idx = parts["valid"]
        rows = corpus["valid"].select(valid_idx.tolist())
        n = min(self.cfg.trainer.val_max_sentences, len(rows))
        pick = np.linspace(0, len(rows) - 1, n).round().astype(int).tolist() if n else []
        self.valid_texts = [(rows[i]["source"], rows[i]["target"]) for i in pick]

    def _loader(self, data: TokenizedPairs, *, train: bool) -> DataLoader[Any]:
        b = self.cfg.batch
        trainer = self.trainer
        sampler = TokenBudgetSampler(
            data.lengths,
            max_tokens=b.max_tokens,
            max_sentences=b.max_sentences if train else b.eval_batch_size,
            bucket_width=b.bucket_width,
            shuffle=train,
            seed=self.cfg.trainer.seed,
            rank=trainer.global_rank if trainer and train else 0,
            world_size=trainer.world_size if trainer and train else 1,
        )
        loader = ResumableLoader if train else DataLoader
        return loader(data, batch_sampler=sampler, collate_fn=collate, num_workers=b.num_workers)

    def train_dataloader(self) -> DataLoader[Any]:
        assert self.train is not None, "setup() first"
        return self._loader(self.train, train=True)

    def val_dataloader(self) -> DataLoader[Any]:
        assert self.valid is not None, "setup() first"
        return self._loader(self.valid, train=False)
