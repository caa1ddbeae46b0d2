"""Masked attention: exact zeros on padding, rows summing to 1, precomputed memory projection."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from nmt.model.attention import Bahdanau, LuongDot, LuongGeneral, build_attention, masked_softmax
from nmt.tokenizer import BOS_ID
from tests.model.helpers import ATTENTIONS, padded_batch, target_input, tiny_model


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_weights_are_exactly_zero_on_padding_and_sum_to_one(attention: str) -> None:
    model = tiny_model(attention=attention)
    src, lengths = padded_batch([6, 1, 3, 8], width=10)
    pad = ~(torch.arange(10).unsqueeze(0) < lengths.unsqueeze(1))

    state = model.encode(src, lengths)
    prev = torch.full((4,), BOS_ID)
    for token in range(4, 9):
        _, weights, state = model.step(prev, state)
        assert torch.all(weights[pad] == 0.0)
        assert torch.all(weights[~pad] > 0.0)
        assert torch.allclose(weights.sum(-1), torch.ones(4), atol=1e-6)
        prev = torch.full((4,), token)

    _, all_weights = model.teacher_forced(src, lengths, target_input(4, 5))
    assert torch.all(all_weights.masked_select(pad.unsqueeze(1)) == 0.0)
    assert torch.allclose(all_weights.sum(-1), torch.ones(4, 5), atol=1e-6)


def test_masked_softmax_handles_extreme_scores_and_empty_rows() -> None:
    scores = torch.tensor([[[50.0, -50.0, 1e4]], [[3.0, 2.0, 1.0]]])
    mask = torch.tensor([[True, True, False], [False, False, False]])
    weights = masked_softmax(scores, mask)
    assert weights[0, 0, 2] == 0.0  # a huge score on padding still gets no weight
    assert torch.allclose(weights[0, 0, :2], torch.softmax(torch.tensor([50.0, -50.0]), -1))
    assert torch.equal(weights[1], torch.zeros(1, 3))  # empty source: zero, not NaN


def test_score_formulas() -> None:
    """The three scores against their textbook formulas for one query and one memory."""
    torch.manual_seed(0)
    memory = torch.randn(1, 3, 4)
    query = torch.randn(1, 1, 4)

    general = LuongGeneral(memory_size=4, query_size=4)
    w = general.memory_layer.weight  # [H, M]
    expected = torch.stack([query[0, 0] @ (w @ memory[0, s]) for s in range(3)])
    assert torch.allclose(general.score(query, general.project_memory(memory))[0, 0], expected)

    dot = LuongDot()
    assert torch.allclose(
        dot.score(query, dot.project_memory(memory))[0, 0], memory[0] @ query[0, 0]
    )

    add = Bahdanau(memory_size=4, query_size=4, attn_size=5)
    W, b = add.memory_layer.weight, add.memory_layer.bias  # noqa: N806
    U, v = add.query_layer.weight, add.v.weight[0]  # noqa: N806
    expected = torch.stack(
        [v @ torch.tanh(W @ memory[0, s] + b + U @ query[0, 0]) for s in range(3)]
    )
    assert torch.allclose(add.score(query, add.project_memory(memory))[0, 0], expected, atol=1e-6)


@pytest.mark.parametrize("attention", ["luong_general", "bahdanau"])
def test_step_reuses_the_precomputed_memory_projection(
    attention: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tiny_model(attention=attention)
    state = model.encode(*padded_batch([3, 5]))

    def forbidden(memory: Tensor) -> Tensor:
        raise AssertionError("step must not re-project the memory")

    monkeypatch.setattr(model.decoder.attention, "project_memory", forbidden)
    log_probs, _, _ = model.step(torch.full((2,), BOS_ID), state)
    assert torch.isfinite(log_probs).all()


def test_build_attention_checks_sizes() -> None:
    assert isinstance(build_attention("luong_general", memory_size=8, query_size=6), LuongGeneral)
    assert isinstance(build_attention("bahdanau", memory_size=8, query_size=6), Bahdanau)
    assert isinstance(build_attention("luong_dot", memory_size=8, query_size=8), LuongDot)
    with pytest.raises(ValueError, match="luong_dot"):
        build_attention("luong_dot", memory_size=8, query_size=6)
