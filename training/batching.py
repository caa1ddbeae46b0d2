"""Length-bucketed batches under a token budget, shuffled between buckets.

Pairs of similar length batch together so padding stays small (padding is pure waste on a
CPU); the batch order is shuffled per epoch with a seeded generator, so a run is reproducible
and a resumed run sees the same order. Under DDP each rank takes every world-th batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

from nmt.tokenizer import BOS_ID, PAD_ID


class TokenBudgetSampler(Sampler[list[int]]):
    """Batches of dataset indices whose padded size fits `max_tokens`.

    A batch's cost is rows x its longest side (source or target, both padded), so a batch never
    exceeds `max_tokens` padded tokens per side or `max_sentences` rows.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        *,
        max_tokens: int,
        max_sentences: int,
        bucket_width: int,
        shuffle: bool,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.max_tokens = max_tokens
        self.max_sentences = max_sentences
        self.bucket_width = max(1, bucket_width)
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0
        self.consumed = 0  # batches handed out in the current epoch
        self._resume: tuple[int, int] | None = None

    def set_epoch(self, epoch: int) -> None:
        """Lightning calls this each epoch: a new, reproducible shuffle."""
        self.epoch = epoch

    def state_dict(self) -> dict[str, int]:
        """Where the epoch stands, for a checkpoint. Lightning fetches one batch ahead, so a
        resume may skip at most that one batch; it never repeats the epoch's start."""
        return {"epoch": self.epoch, "consumed": self.consumed}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self._resume = (int(state["epoch"]), int(state["consumed"]))

    def _batches(self) -> list[list[int]]:
        rng = np.random.default_rng((self.seed, self.epoch))
        tiebreak = rng.random(len(self.lengths)) if self.shuffle else np.zeros(len(self.lengths))
        # Sort by bucket, random within a bucket: each batch is near-uniform in length.
        order = np.lexsort((tiebreak, self.lengths // self.bucket_width))
        batches: list[list[int]] = []
        current: list[int] = []
        longest = 0
        for idx in order.tolist():
            size = int(self.lengths[idx])
            grown = max(longest, size)
            if current and (
                grown * (len(current) + 1) > self.max_tokens or len(current) >= self.max_sentences
            ):
                batches.append(current)
                current, grown = [], size
            current.append(idx)
            longest = grown
        if current:
            batches.append(current)
        if self.shuffle:
            perm = rng.permutation(len(batches))
            batches = [batches[i] for i in perm]
        return batches

    def _mine(self, batches: list[list[int]]) -> list[list[int]]:
        # Every rank gets the same number of batches, or DDP would hang at the last step.
        usable = len(batches) - len(batches) % self.world_size
        return batches[self.rank : usable : self.world_size]

    def __iter__(self) -> Iterator[list[int]]:
        batches = self._mine(self._batches())
        skip = 0
        if self._resume is not None and self._resume[0] == self.epoch:
            skip = min(self._resume[1], len(batches))
        self._resume = None
        self.consumed = skip
        for batch in batches[skip:]:
            self.consumed += 1
            yield batch

    def __len__(self) -> int:
        return len(self._mine(self._batches()))


class ResumableLoader(DataLoader[Any]):
    """A DataLoader whose position in the epoch is saved in Lightning's checkpoints (Lightning
    calls `state_dict`/`load_state_dict` on loaders that have them), so a resumed run goes on
    with the rest of the epoch instead of its beginning."""

    def state_dict(self) -> dict[str, int]:
        assert isinstance(self.batch_sampler, TokenBudgetSampler)
        return self.batch_sampler.state_dict()

    def load_state_dict(self, state: dict[str, int]) -> None:
        assert isinstance(self.batch_sampler, TokenBudgetSampler)
        self.batch_sampler.load_state_dict(state)


def collate(rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> dict[str, torch.Tensor]:
    """Pad a batch. Each row is (source ids ending in EOS, target ids ending in EOS).

    Returns src [B,S], src_lengths [B], tgt_in [B,T] (BOS + target without its EOS) and
    tgt_out [B,T] (target with EOS), padded with PAD_ID; int64 throughout.
    """
    n = len(rows)
    s_max = max(len(src) for src, _ in rows)
    t_max = max(len(tgt) for _, tgt in rows)
    src = np.full((n, s_max), PAD_ID, dtype=np.int64)
    tgt_in = np.full((n, t_max), PAD_ID, dtype=np.int64)
    tgt_out = np.full((n, t_max), PAD_ID, dtype=np.int64)
    lengths = np.empty(n, dtype=np.int64)
    for i, (s, t) in enumerate(rows):
        src[i, : len(s)] = s
        lengths[i] = len(s)
        tgt_out[i, : len(t)] = t
        tgt_in[i, 0] = BOS_ID
        tgt_in[i, 1 : len(t)] = t[:-1]
    return {
        "src": torch.from_numpy(src),
        "src_lengths": torch.from_numpy(lengths),
        "tgt_in": torch.from_numpy(tgt_in),
        "tgt_out": torch.from_numpy(tgt_out),
    }
