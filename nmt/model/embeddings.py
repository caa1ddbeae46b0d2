"""Token embeddings for the joint vocabulary, with variational and word dropout.

Shapes: B batch, T (or S) time, E embedding size, V vocabulary size.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn

from nmt.model.dropout import dropout_mask
from nmt.tokenizer import BOS_ID, EOS_ID, PAD_ID, UNK_ID

logger = logging.getLogger(__name__)


def variational_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Dropout with ONE mask per sequence, shared by every time step (Gal & Ghahramani 2016).

    x: [B, T, E]. The mask is [B, 1, E] and broadcast over T, so a dropped embedding unit is
    dropped for the whole sentence; a fresh mask per step would let the RNN average the noise
    away. Scaled by 1/(1-p) (inverted dropout), identity when not training or p == 0.
    """
    if not training or p == 0.0:
        return x
    return x * dropout_mask((x.size(0), 1, x.size(2)), p, x)


def word_dropout(tokens: Tensor, p: float, training: bool) -> Tensor:
    """Replace target-input tokens by UNK with probability p (training only).

    tokens: int64 [B, T] -> int64 [B, T], a new tensor (the input is never modified).
    PAD, BOS and EOS are never replaced: PAD marks padding, BOS starts every target input, and
    EOS (if a caller keeps it in the input) is a structural token, not a word.
    """
    if not training or p == 0.0:
        return tokens
    drop = torch.rand(tokens.shape, device=tokens.device) < p
    special = (tokens == PAD_ID) | (tokens == BOS_ID) | (tokens == EOS_ID)
    return tokens.masked_fill(drop & ~special, UNK_ID)


def _make_table(vocab_size: int, emb_dim: int) -> nn.Embedding:
    # padding_idx keeps the PAD row at zero and out of the gradient: the packed encoder never
    # reads padding (an empty source reads one PAD token: a zero input), and a tied output
    # layer then gives PAD a logit of its bias alone.
    return nn.Embedding(vocab_size, emb_dim, padding_idx=PAD_ID)


class Embeddings(nn.Module):
    """Source and target tables [V, E] over the joint vocabulary.

    With `share=True` the source and the target table are the same module (one `nn.Parameter`,
    same storage); both attribute names stay, so `state_dict` lists the weight under both keys,
    which `load_state_dict` handles. Embedding dropout is variational (one [B, 1, E] mask across
    time steps) and applies in training only.
    """

    def __init__(self, *, vocab_size: int, emb_dim: int, share: bool, dropout: float) -> None:
        super().__init__()
        self.source = _make_table(vocab_size, emb_dim)
        self.target = self.source if share else _make_table(vocab_size, emb_dim)
        self.dropout = dropout

    @property
    def shared(self) -> bool:
        """True when source and target use one table."""
        return self.source is self.target

    def embed_source(self, ids: Tensor) -> Tensor:
        """int64 [B, S] -> float [B, S, E], with variational dropout in training."""
        emb: Tensor = self.source(ids)
        return variational_dropout(emb, self.dropout, self.training)

    def embed_target(self, ids: Tensor) -> Tensor:
        """int64 [B, T] -> float [B, T, E], with variational dropout in training.

        A decoder `step` calls it with T == 1, which draws a fresh mask per step; only the
        teacher-forced forward (the training path) gets one mask for the whole sentence.
        """
        emb: Tensor = self.target(ids)
        return variational_dropout(emb, self.dropout, self.training)
