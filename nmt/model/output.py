"""Output layer: attentional vectors -> vocabulary logits, optionally tied to the embedding.

Shapes: H decoder hidden, E embedding size, V vocabulary size; any leading dims pass through.
"""

from __future__ import annotations

import logging

import torch.nn.functional as F  # noqa: N812 (the conventional name)
from torch import Tensor, nn

logger = logging.getLogger(__name__)


class OutputLayer(nn.Module):
    """logits = W a + b, W [V, H]; or, tied, logits = E_tgt (P a) + b with P [E, H].

    Tying reuses the target embedding table [V, E] as the output matrix (Press & Wolf 2017):
    it saves V * H parameters. The attentional vector has H units and the table E columns, so
    a bias-free projection P: H -> E comes first; it is left out when H == E. With a shared
    embedding, tying makes source, target and output one matrix. The bias stays per-word.
    """

    def __init__(self, *, hidden: int, vocab_size: int, tied: nn.Embedding | None) -> None:
        super().__init__()
        self.tied = tied
        if tied is None:
            self.proj: nn.Linear | None = nn.Linear(hidden, vocab_size)
            self.pre: nn.Linear | None = None
            self.bias: nn.Parameter | None = None
        else:
            emb_dim = tied.embedding_dim
            self.proj = None
            self.pre = nn.Linear(hidden, emb_dim, bias=False) if hidden != emb_dim else None
            self.bias = nn.Parameter(tied.weight.new_zeros(vocab_size))

    @property
    def weight(self) -> Tensor:
        """The output matrix [V, H] (untied) or [V, E] (tied: the embedding table itself)."""
        if self.tied is not None:
            return self.tied.weight
        assert self.proj is not None
        return self.proj.weight

    def forward(self, vec: Tensor) -> Tensor:
        """vec [..., H] -> logits [..., V]."""
        if self.proj is not None:
            logits: Tensor = self.proj(vec)
            return logits
        assert self.tied is not None
        x: Tensor = vec if self.pre is None else self.pre(vec)
        return F.linear(x, self.tied.weight, self.bias)
