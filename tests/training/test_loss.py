"""The fused label-smoothed loss against the autograd reference it replaces."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from nmt.tokenizer import PAD_ID
from training.loss import smoothed_ce


def reference(logits: Tensor, target: Tensor, eps: float) -> tuple[Tensor, Tensor]:
    """log_softmax + gather + mean: the textbook label-smoothed NLL, summed over non-PAD."""
    log_probs = torch.log_softmax(logits, dim=-1)
    nll = -log_probs.gather(2, target.unsqueeze(2)).squeeze(2)
    loss = (1.0 - eps) * nll - eps * log_probs.mean(dim=2)
    mask = target.ne(PAD_ID).to(logits.dtype)
    return (loss * mask).sum(), (nll * mask).sum()


def batch(seed: int) -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(3, 5, 11, generator=gen, dtype=torch.float64) * 3
    target = torch.randint(4, 11, (3, 5), generator=gen)
    target[0, 3:] = PAD_ID
    target[2, 1:] = PAD_ID
    return logits, target


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5])
def test_loss_and_gradient_match_the_reference(eps: float) -> None:
    logits, target = batch(0)
    mine = logits.clone().requires_grad_(True)
    ref = logits.clone().requires_grad_(True)
    loss, nll, ntok = smoothed_ce(mine, target, eps)
    ref_loss, ref_nll = reference(ref, target, eps)
    assert int(ntok) == 15 - 2 - 4
    torch.testing.assert_close(loss, ref_loss)
    torch.testing.assert_close(nll, ref_nll)
    (loss * 0.7).backward()
    (ref_loss * 0.7).backward()
    assert mine.grad is not None and ref.grad is not None
    torch.testing.assert_close(mine.grad, ref.grad)
    assert mine.grad[2, 1:].abs().max() == 0.0  # PAD positions get no gradient


def test_gradcheck_and_bad_eps() -> None:
    logits, target = batch(1)
    flat = logits.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda z: smoothed_ce(z, target, 0.2)[0], (flat,))
    with pytest.raises(ValueError, match="label smoothing"):
        smoothed_ce(logits, target, 1.0)


def test_bf16_logits_are_scored_in_float32() -> None:
    logits, target = batch(2)
    low = logits.to(torch.bfloat16).requires_grad_(True)
    loss, _, _ = smoothed_ce(low, target, 0.1)
    ref_loss, _ = reference(low.detach().double(), target, 0.1)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss.double(), ref_loss, rtol=1e-5, atol=1e-5)
    loss.backward()
    assert low.grad is not None and low.grad.dtype == torch.bfloat16
