"""The teacher-forced forward equals stepping with the gold previous tokens (eval mode)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tests.model.helpers import VARIANTS, padded_batch, target_input, tiny_model, variant_id


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_forward_equals_stepping(variant: dict[str, Any]) -> None:
    model = tiny_model(**variant)
    src, lengths = padded_batch([6, 3, 8], width=8)
    tgt_in = target_input(3, 7)

    with torch.no_grad():
        forward_lp, forward_att = model.teacher_forced(src, lengths, tgt_in)
        state = model.encode(src, lengths)
        step_lp, step_att = [], []
        for t in range(tgt_in.size(1)):
            lp, att, state = model.step(tgt_in[:, t], state)
            step_lp.append(lp)
            step_att.append(att)

    assert torch.allclose(forward_lp, torch.stack(step_lp, dim=1), atol=1e-5)
    assert torch.allclose(forward_att, torch.stack(step_att, dim=1), atol=1e-5)
    # forward() is teacher_forced() without the attention.
    assert torch.allclose(forward_lp, model(src, lengths, tgt_in).detach(), atol=1e-6)


def test_forward_is_deterministic_in_eval_and_stochastic_in_training() -> None:
    model = tiny_model(dropout=0.3, emb_dropout=0.2, word_dropout=0.3)
    src, lengths = padded_batch([6, 4])
    tgt_in = target_input(2, 5)
    with torch.no_grad():
        first, second = model(src, lengths, tgt_in), model(src, lengths, tgt_in)
        assert torch.equal(first, second)
        model.train()
        torch.manual_seed(1)
        noisy = model(src, lengths, tgt_in)
    assert not torch.allclose(noisy, first)


def test_forward_backward_reaches_every_parameter() -> None:
    model = tiny_model(tie_output=True, dec_layers=2).train()
    src, lengths = padded_batch([6, 4])
    log_probs = model(src, lengths, target_input(2, 5))
    log_probs.sum().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert missing == []
