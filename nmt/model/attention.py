"""Attention over the encoder memory: Luong general, Luong dot, Bahdanau (additive).

Shapes: B batch, T query steps (1 in a decoder step), S source length, M memory size
(2 * encoder hidden), H decoder hidden, K the projected-memory size (H, or M for dot).

Every variant splits its score into a memory part computed ONCE per source batch
(`project_memory`, carried in the decoder state as "memory_proj") and a cheap per-step part
(`score`), so a decoder step never re-projects the whole memory.
"""

from __future__ import annotations

import logging
from typing import Literal

import torch
from torch import Tensor, nn

logger = logging.getLogger(__name__)


def masked_softmax(scores: Tensor, src_mask: Tensor) -> Tensor:
    """scores [B, T, S], src_mask bool [B, S] (True = real token) -> weights [B, T, S].

    Padding gets the most negative finite value before the softmax: exp() of it minus a real
    score underflows to exactly 0, so padding weighs exactly 0 and real tokens sum to 1, as
    with -inf. Unlike -inf, an all-padding row (an empty source) does not turn into NaN: it
    comes out uniform and the final multiply by the mask zeroes it (a zero context), which is
    exact (x * 1.0) for every other row. No data-dependent branch, so it exports as is.
    """
    mask = src_mask.unsqueeze(1)
    scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    return torch.softmax(scores, dim=-1) * mask


class Attention(nn.Module):
    """Base class: subclasses define `project_memory` and `score`."""

    # score = bmm(query, memory_proj^T): the teacher-forced loop may then use
    # `StepLinears.dot_attention`, the same function with batched memory gradients.
    dot_product_score = False

    def project_memory(self, memory: Tensor) -> Tensor:
        """memory [B, S, M] -> memory_proj [B, S, K], the step-independent part of the score."""
        raise NotImplementedError

    def score(self, query: Tensor, memory_proj: Tensor) -> Tensor:
        """query [B, T, H], memory_proj [B, S, K] -> unnormalised scores [B, T, S]."""
        raise NotImplementedError

    def forward(
        self, query: Tensor, memory: Tensor, memory_proj: Tensor, src_mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        """query [B, T, H], memory [B, S, M], memory_proj [B, S, K], src_mask bool [B, S]
        -> (context [B, T, M], weights [B, T, S]); weights are 0 on padding, rows sum to 1."""
        weights = masked_softmax(self.score(query, memory_proj), src_mask)
        context = torch.bmm(weights, memory)
        return context, weights


class LuongGeneral(Attention):
    """score(h_t, m_s) = h_t^T W m_s; W m_s is precomputed (K = H)."""

    dot_product_score = True

    def __init__(self, *, memory_size: int, query_size: int) -> None:
        super().__init__()
        self.memory_layer = nn.Linear(memory_size, query_size, bias=False)

    def project_memory(self, memory: Tensor) -> Tensor:
        proj: Tensor = self.memory_layer(memory)
        return proj

    def score(self, query: Tensor, memory_proj: Tensor) -> Tensor:
        return torch.bmm(query, memory_proj.transpose(1, 2))


class LuongDot(Attention):
    """score(h_t, m_s) = h_t^T m_s (needs H == M); memory_proj is the memory itself (K = M).

    The state then carries the memory twice (same tensor in PyTorch, two inputs in an export);
    kept so that every attention type has the same state keys.
    """

    dot_product_score = True

    def project_memory(self, memory: Tensor) -> Tensor:
        return memory

    def score(self, query: Tensor, memory_proj: Tensor) -> Tensor:
        return torch.bmm(query, memory_proj.transpose(1, 2))


class Bahdanau(Attention):
    """score(h_t, m_s) = v^T tanh(W m_s + b + U h_t); W m_s + b is precomputed (K = A = H).

    Bahdanau's query here is the decoder's current output h_t (Luong's placement, as in
    Joey NMT), so all variants share one decoder. Scoring T queries at once builds a
    [B, T, S, A] tensor: the teacher-forced path without input feeding pays that memory.
    """

    def __init__(self, *, memory_size: int, query_size: int, attn_size: int) -> None:
        super().__init__()
        self.memory_layer = nn.Linear(memory_size, attn_size, bias=True)
        self.query_layer = nn.Linear(query_size, attn_size, bias=False)
        self.v = nn.Linear(attn_size, 1, bias=False)

    def project_memory(self, memory: Tensor) -> Tensor:
        proj: Tensor = self.memory_layer(memory)
        return proj

    def score(self, query: Tensor, memory_proj: Tensor) -> Tensor:
        q: Tensor = self.query_layer(query)  # [B, T, A]
        hidden = torch.tanh(memory_proj.unsqueeze(1) + q.unsqueeze(2))  # [B, T, S, A]
        scores: Tensor = self.v(hidden)
        return scores.squeeze(-1)


def build_attention(
    kind: Literal["luong_general", "luong_dot", "bahdanau"], *, memory_size: int, query_size: int
) -> Attention:
    """The attention module named by `ModelConfig.attention`."""
    if kind == "luong_general":
        return LuongGeneral(memory_size=memory_size, query_size=query_size)
    if kind == "luong_dot":
        if memory_size != query_size:
            raise ValueError(
                f"luong_dot needs equal sizes, got memory {memory_size}, query {query_size}"
            )
        return LuongDot()
    if kind == "bahdanau":
        return Bahdanau(memory_size=memory_size, query_size=query_size, attn_size=query_size)
    raise ValueError(f"unknown attention {kind!r}")
