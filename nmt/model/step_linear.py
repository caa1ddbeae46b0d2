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
as one sum). The values are those of plain autograd up to float summation order.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 (the conventional name)
from torch import Tensor

logger = logging.getLogger(__name__)


class StepLinears:
    """One teacher-forced pass: `linear(x, weight, bias, step=t)` for t = T-1 .. 0 in any order
    in the forward, as long as step 0 is the first step (the one every other step depends on).
    Use a fresh instance per forward pass."""

    def __init__(self) -> None:
        self._kept: dict[int, list[tuple[Tensor, Tensor]]] = {}

    def linear(self, x: Tensor, weight: Tensor, bias: Tensor | None, *, step: int) -> Tensor:
        """x [..., In], weight [Out, In], bias [Out] or None -> x W^T + b [..., Out], as
        F.linear; without autograd (evaluation, export) it is F.linear itself."""
        if not torch.is_grad_enabled() or not weight.requires_grad:
            return F.linear(x, weight, bias)
        flat = x.reshape(-1, x.size(-1))
        out: Tensor = _StepLinear.apply(flat, weight, bias, self, step == 0)  # type: ignore[no-untyped-call]
        return out.view(*x.shape[:-1], out.size(-1))

    def keep(self, key: int, x: Tensor, grad: Tensor) -> None:
        self._kept.setdefault(key, []).append((x, grad))

    def take(self, key: int) -> tuple[Tensor, Tensor]:
        """(X [N, In], G [N, Out]) of every step of one weight whose backward ran."""
        kept = self._kept.pop(key)
        return torch.cat([x for x, _ in kept]), torch.cat([g for _, g in kept])


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
