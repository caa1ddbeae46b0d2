"""Tiny models and batches shared by the model tests (deterministic, CPU, small dims)."""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch import Tensor

from nmt.config import ModelConfig
from nmt.model import Seq2Seq
from nmt.tokenizer import BOS_ID, PAD_ID

VOCAB = 40
FIRST_WORD = 4  # ids below are PAD, UNK, BOS, EOS

ATTENTIONS = ("luong_general", "luong_dot", "bahdanau")
CELLS = ("lstm", "gru")
# Every attention x cell, with input feeding on and off; two decoder layers where it is off so
# the [B, L, H] <-> [L, B, H] handling of the state is exercised with L > 1.
VARIANTS: list[dict[str, Any]] = [
    {"attention": att, "cell": cell, "input_feeding": feed, "dec_layers": 1 if feed else 2}
    for att, cell, feed in itertools.product(ATTENTIONS, CELLS, (True, False))
]


def variant_id(variant: dict[str, Any]) -> str:
    feed = "feed" if variant["input_feeding"] else "nofeed"
    return f"{variant['attention']}-{variant['cell']}-{feed}"


def tiny_config(**overrides: Any) -> ModelConfig:
    """emb 16, encoder 2 x 8 per direction (memory 16), decoder 16, vocab 40, no dropout."""
    base: dict[str, Any] = {
        "vocab_size": VOCAB,
        "emb_dim": 16,
        "enc_hidden": 8,
        "enc_layers": 2,
        "dec_hidden": 16,
        "dec_layers": 1,
        "dropout": 0.0,
        "emb_dropout": 0.0,
        "word_dropout": 0.0,
    }
    base.update(overrides)
    return ModelConfig(**base)


def tiny_model(seed: int = 0, **overrides: Any) -> Seq2Seq:
    """A freshly initialised tiny model in eval mode."""
    torch.manual_seed(seed)
    return Seq2Seq(tiny_config(**overrides)).eval()


def padded_batch(
    lengths: list[int], width: int | None = None, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Random word ids int64 [B, width] with PAD after each length, and the lengths [B]."""
    gen = torch.Generator().manual_seed(seed)
    width = max(lengths) if width is None else width
    ids = torch.randint(FIRST_WORD, VOCAB, (len(lengths), width), generator=gen)
    positions = torch.arange(width).unsqueeze(0)
    lens = torch.tensor(lengths, dtype=torch.int64)
    return ids.masked_fill(positions >= lens.unsqueeze(1), PAD_ID), lens


def target_input(batch: int, steps: int, seed: int = 1) -> Tensor:
    """BOS followed by random words: int64 [batch, steps]."""
    gen = torch.Generator().manual_seed(seed)
    tgt = torch.randint(FIRST_WORD, VOCAB, (batch, steps), generator=gen)
    tgt[:, 0] = BOS_ID
    return tgt
