"""The teacher-forced path's time-batched weight gradients equal plain autograd's.

The reference is the incremental `step()` path, which uses plain F.linear and the attention
module's own forward: with dropout off both compute the same function, so every parameter's
gradient must agree (padded sources included, so the masked softmax's backward is covered).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 (the conventional name)

from nmt.model.step_linear import StepLinears
from tests.model.helpers import padded_batch, target_input, tiny_model

FEEDING = [
    {"cell": "lstm", "dec_layers": 1, "attention": "luong_general"},
    {"cell": "lstm", "dec_layers": 2, "attention": "luong_dot"},
    {"cell": "gru", "dec_layers": 2, "attention": "bahdanau"},
]


def grads(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    out = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    return out


@pytest.mark.parametrize(
    "variant", FEEDING, ids=lambda v: f"{v['cell']}-{v['dec_layers']}-{v['attention']}"
)
def test_teacher_forced_gradients_equal_stepwise_autograd(variant: dict[str, Any]) -> None:
    model = tiny_model(input_feeding=True, **variant).double().train()
    src, lengths = padded_batch([6, 3, 8], width=8)
    tgt_in = target_input(3, 7)
    weights = torch.rand(3, 7, model.cfg.vocab_size, dtype=torch.float64)

    logits, _ = model.teacher_forced_logits(src, lengths, tgt_in)
    (torch.log_softmax(logits, -1) * weights).sum().backward()
    batched = grads(model)

    state = model.encode(src, lengths)
    total = torch.zeros((), dtype=torch.float64)
    for t in range(tgt_in.size(1)):
        log_probs, _, state = model.step(tgt_in[:, t], state)
        total = total + (log_probs * weights[:, t]).sum()
    total.backward()
    stepwise = grads(model)

    assert batched.keys() == stepwise.keys()
    for name, grad in stepwise.items():
        torch.testing.assert_close(batched[name], grad, msg=name)


def test_step_linear_is_f_linear_with_one_weight_gradient_product() -> None:
    gen = torch.Generator().manual_seed(0)
    weight = torch.randn(5, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(5, generator=gen, dtype=torch.float64, requires_grad=True)
    x0 = torch.randn(3, 4, generator=gen, dtype=torch.float64, requires_grad=True)

    def unroll(linear: Any) -> torch.Tensor:
        h = x0
        for t in range(4):  # a recurrence: step t's input is step t-1's output
            h = torch.tanh(linear(h, weight, bias, t))[:, :4]
        return h.sum()

    steps = StepLinears()
    mine = torch.autograd.grad(
        unroll(lambda x, w, b, t: steps.linear(x, w, b, step=t)), (x0, weight, bias)
    )
    ref = torch.autograd.grad(unroll(lambda x, w, b, t: F.linear(x, w, b)), (x0, weight, bias))
    for got, want in zip(mine, ref, strict=True):
        torch.testing.assert_close(got, want)
    with torch.no_grad():  # no autograd: plain F.linear, nothing kept
        torch.testing.assert_close(
            steps.linear(x0, weight, bias, step=0), F.linear(x0, weight, bias)
        )
    assert steps._kept == {}
