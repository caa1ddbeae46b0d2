"""Linear layers reused at every step of a recurrence, with their weight gradient as one GEMM.

Shapes: B batch, T steps, In / Out a layer's input / output size.

Why: in the teacher-forced decoder with input feeding each step is its own small product
([B, In] x [In, Out], B = 64), and autograd's backward of every step computes the step's
weight gradient g_t^T x_t, an [Out, B] x [B, In] product, then adds it into the gradient so
far: T small GEMMs whose inner dimension is the batch, the least efficient shape there is on a
CPU (about a tenth of a training step of the reference model). Here a step's backward computes
only its input gradient and keeps (x_t, g_t); the backward of step 0, which autograd runs last
because every later step depends on it through the recurrence, stacks what was kept and
computes the weight gradient G^T X over all B * T rows in one product (and the bias gradient
as one sum). The dot-product attention of each step gets the same treatment for the gradients
of the encoder memory it reads (`dot_attention`). The values are those of plain autograd up to
float summation order (tests/model/test_step_linear.py compares them with the step path).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 (the conventional name)
from torch import Tensor

from nmt.model.attention import masked_softmax

logger = logging.getLogger(__name__)


class StepLinears:
    """The deferred gradients of one teacher-forced pass: call `linear` / `dot_attention` with
    `step=t` in the loop's step t. Step 0 must be the step that every later one depends on (so
    that its backward runs last). Use a fresh instance per forward pass."""

    def __init__(self) -> None:
        self._kept: dict[Hashable, list[tuple[Tensor, Tensor]]] = {}

    def linear(self, x: Tensor, weight: Tensor, bias: Tensor | None, *, step: int) -> Tensor:
        """x [..., In], weight [Out, In], bias [Out] or None -> x W^T + b [..., Out], as
        F.linear; without autograd (evaluation, export) it is F.linear itself."""
        if not torch.is_grad_enabled() or not weight.requires_grad:
            return F.linear(x, weight, bias)
        flat = x.reshape(-1, x.size(-1))
        out: Tensor = _StepLinear.apply(flat, weight, bias, self, step == 0)  # type: ignore[no-untyped-call]
        return out.view(*x.shape[:-1], out.size(-1))

    def dot_attention(
        self, query: Tensor, memory: Tensor, memory_proj: Tensor, src_mask: Tensor, *, step: int
    ) -> tuple[Tensor, Tensor]:
        """Luong general / dot attention of one step: query [B, H], memory [B, S, M],
        memory_proj [B, S, H], src_mask bool [B, S] -> (context [B, M], weights [B, S]), as
        `Attention.forward` computes them; the memory gradients come as one product."""
        if not torch.is_grad_enabled():
            context, weights = _dot_attention(query, memory, memory_proj, src_mask)
            return context, weights
        out: tuple[Tensor, Tensor] = _StepDotAttention.apply(  # type: ignore[no-untyped-call]
            query, memory, memory_proj, src_mask, self, step == 0
        )
        return out

    def keep(self, key: Hashable, x: Tensor, grad: Tensor) -> None:
        self._kept.setdefault(key, []).append((x, grad))

    def take(self, key: Hashable) -> tuple[Tensor, Tensor]:
        """(X [N, In], G [N, Out]) of every step of one weight whose backward ran."""
        kept = self._kept.pop(key)
        return torch.cat([x for x, _ in kept]), torch.cat([g for _, g in kept])

    def take_steps(self, key: Hashable) -> tuple[Tensor, Tensor]:
        """The kept pairs of one tensor stacked along a new first (step) dim: [T, ...] each."""
        kept = self._kept.pop(key)
        return torch.stack([x for x, _ in kept]), torch.stack([g for _, g in kept])


class _StepLinear(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        x: Tensor,
        weight: Tensor,
        bias: Tensor | None,
        owner: StepLinears,
        last_in_backward: bool,
    ) -> Tensor:
        out = F.linear(x, weight, bias)  # autocast, when on, applies here as usual
        ctx.save_for_backward(x, weight)
        ctx.owner = owner
        ctx.key = id(weight)  # the same weight tensor at every step
        ctx.last = last_in_backward
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, Tensor | None, Tensor | None, None, None]:
        x, weight = ctx.saved_tensors
        # Compute in the dtype the forward produced (bf16 under autocast), as autocast's own
        # linear backward does; autograd casts each gradient back to its input's dtype.
        grad_x = grad.mm(weight.to(grad.dtype))
        owner: StepLinears = ctx.owner
        owner.keep(ctx.key, x.detach().to(grad.dtype), grad)
        if not ctx.last:
            return grad_x, None, None, None, None
        inputs, grads = owner.take(ctx.key)
        grad_w = grads.t().mm(inputs)  # [Out, N] x [N, In]: one product over all steps
        grad_b = grads.sum(dim=0) if ctx.has_bias else None
        return grad_x, grad_w, grad_b, None, None


class _StepDotAttention(torch.autograd.Function):
    """One step of dot-product attention (Luong general / dot) whose memory gradients are
    deferred like the weights of `_StepLinear`: per step the backward computes only the query's
    gradient; step 0's computes d memory = sum_t w_t^T g_t and d memory_proj = sum_t s_t^T q_t
    as two batched products over all steps (B x [S, T] x [T, M])."""

    @staticmethod
    def forward(
        ctx: Any,
        query: Tensor,
        memory: Tensor,
        memory_proj: Tensor,
        src_mask: Tensor,
        owner: StepLinears,
        last_in_backward: bool,
    ) -> tuple[Tensor, Tensor]:
        context, weights = _dot_attention(query, memory, memory_proj, src_mask)
        ctx.save_for_backward(query, memory, memory_proj, weights)
        ctx.owner, ctx.last = owner, last_in_backward
        # Separate keys: with Luong dot, memory and memory_proj are one tensor.
        ctx.key = (("memory", id(memory)), ("memory_proj", id(memory_proj)))
        ctx.dtype = context.dtype  # what autocast, when on, computed the products in
        return context, weights

    @staticmethod
    def backward(
        ctx: Any, grad_context: Tensor, grad_weights: Tensor | None
    ) -> tuple[Tensor, Tensor | None, Tensor | None, None, None, None]:
        query, memory, memory_proj, weights = ctx.saved_tensors
        weights = weights.unsqueeze(1)  # [B, 1, S]
        dt: torch.dtype = ctx.dtype
        g_c = grad_context.to(dt).unsqueeze(1)  # [B, 1, M]
        g_w = torch.bmm(g_c, memory.to(dt).transpose(1, 2)).to(weights.dtype)  # [B, 1, S]
        if grad_weights is not None:
            g_w = g_w + grad_weights.unsqueeze(1)
        # Softmax backward; padding has weight 0, so it gets 0 (as masked_fill gives it).
        g_s = weights * (g_w - (g_w * weights).sum(dim=-1, keepdim=True))
        g_q = torch.bmm(g_s.to(dt), memory_proj.to(dt)).squeeze(1)  # [B, K]
        owner: StepLinears = ctx.owner
        mem_key, proj_key = ctx.key
        owner.keep(mem_key, weights.squeeze(1).to(dt), g_c.squeeze(1))
        owner.keep(proj_key, g_s.squeeze(1).to(dt), query.detach().to(dt))
        if not ctx.last:
            return g_q, None, None, None, None, None
        return (
            g_q,
            _outer_sum(owner.take_steps(mem_key)),
            _outer_sum(owner.take_steps(proj_key)),
            None,
            None,
            None,
        )


def _dot_attention(
    query: Tensor, memory: Tensor, memory_proj: Tensor, src_mask: Tensor
) -> tuple[Tensor, Tensor]:
    """(context [B, M], weights [B, S]) of Luong's dot score: `Attention.forward` at T = 1."""
    scores = torch.bmm(query.unsqueeze(1), memory_proj.transpose(1, 2))
    weights = masked_softmax(scores, src_mask)
    return torch.bmm(weights.to(memory.dtype), memory).squeeze(1), weights.squeeze(1)


def _outer_sum(kept: tuple[Tensor, Tensor]) -> Tensor:
    """(A [T, B, S], C [T, B, D]) -> sum_t A_t[b]^T C_t[b] as [B, S, D], one batched product."""
    left, right = kept
    return torch.bmm(left.permute(1, 2, 0), right.transpose(0, 1))
