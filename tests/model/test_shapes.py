"""encode / step / forward shapes and state keys for every attention type and both cells."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from nmt.tokenizer import BOS_ID
from tests.model.helpers import VARIANTS, VOCAB, padded_batch, target_input, tiny_model, variant_id


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_encode_step_forward_shapes(variant: dict[str, Any]) -> None:
    model = tiny_model(**variant)
    layers = variant["dec_layers"]
    src, lengths = padded_batch([5, 2, 7], width=9)
    batch, width = src.shape

    state = model.encode(src, lengths)
    expected = {
        "memory": (batch, width, 16),
        "memory_proj": (batch, width, 16),
        "src_mask": (batch, width),
        "h": (batch, layers, 16),
    }
    if variant["cell"] == "lstm":
        expected["c"] = (batch, layers, 16)
    if variant["input_feeding"]:
        expected["feed"] = (batch, 16)
    assert {k: tuple(v.shape) for k, v in state.items()} == expected
    assert tuple(state) == model.state_keys
    assert state["src_mask"].dtype == torch.bool
    assert state["src_mask"].sum(1).tolist() == [5, 2, 7]

    log_probs, attention, new_state = model.step(torch.full((batch,), BOS_ID), state)
    assert log_probs.shape == (batch, VOCAB) and log_probs.dtype == torch.float32
    assert attention.shape == (batch, width)
    assert {k: v.shape for k, v in new_state.items()} == {k: v.shape for k, v in state.items()}
    # Normalised log-probabilities: the search relies on it.
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(batch), atol=1e-5)
    for key in ("memory", "memory_proj", "src_mask"):
        assert new_state[key] is state[key]

    out = model(src, lengths, target_input(batch, 6))
    assert out.shape == (batch, 6, VOCAB)
    assert torch.allclose(out.exp().sum(-1), torch.ones(batch, 6), atol=1e-5)


@pytest.mark.parametrize("bridge", ["linear", "zero"])
def test_bridge_initial_state(bridge: str) -> None:
    model = tiny_model(bridge=bridge, dec_layers=2)
    state = model.encode(*padded_batch([4, 3]))
    assert state["h"].shape == (2, 2, 16) and state["c"].shape == (2, 2, 16)
    if bridge == "zero":
        assert not state["h"].any() and not state["c"].any()
    else:
        # tanh output: bounded, and not trivially zero.
        assert state["h"].abs().max() < 1 and state["h"].abs().sum() > 0
        assert not torch.equal(state["h"][:, 0], state["h"][:, 1])  # one map per layer
    assert not state["feed"].any()  # input feeding starts from a zero attentional vector


def test_step_does_not_modify_its_inputs() -> None:
    model = tiny_model()
    state = model.encode(*padded_batch([4, 6]))
    before = {k: v.clone() for k, v in state.items()}
    prev = torch.full((2,), BOS_ID)
    model.step(prev, state)
    assert all(torch.equal(before[k], state[k]) for k in state)
    assert prev.tolist() == [BOS_ID, BOS_ID]


def test_encode_accepts_an_empty_source() -> None:
    """The search protocol allows length 0: no NaN, no attention, a usable state."""
    model = tiny_model()
    src, lengths = padded_batch([0, 3], width=4)
    state = model.encode(src, lengths)
    assert not state["src_mask"][0].any()
    assert not state["memory"][0].any()
    log_probs, attention, _ = model.step(torch.full((2,), BOS_ID), state)
    assert torch.isfinite(log_probs).all()
    assert not attention[0].any()
    assert torch.allclose(attention[1].sum(), torch.tensor(1.0))
