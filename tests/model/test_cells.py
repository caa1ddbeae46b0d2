"""The hand-written decoder cells compute exactly what nn.LSTM / nn.GRU compute."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nmt.model.cells import StackedCell


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_stacked_cell_matches_torch_rnn(cell: str) -> None:
    torch.manual_seed(0)
    batch, steps, in_size, hidden, layers = 3, 5, 6, 7, 2
    ref = (nn.LSTM if cell == "lstm" else nn.GRU)(
        in_size, hidden, num_layers=layers, batch_first=True
    )
    ours = StackedCell(cell=cell, input_size=in_size, hidden=hidden, layers=layers, dropout=0.0)  # type: ignore[arg-type]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    ours.load_state_dict(ref.state_dict())

    x = torch.randn(batch, steps, in_size)
    h0 = torch.randn(layers, batch, hidden)
    c0 = torch.randn(layers, batch, hidden)
    with torch.no_grad():
        if cell == "lstm":
            ref_out, (ref_h, ref_c) = ref(x, (h0, c0))
        else:
            ref_out, ref_h = ref(x, h0)
        h, c = list(h0.unbind(0)), list(c0.unbind(0)) if cell == "lstm" else None
        outs = []
        for t in range(steps):
            h, c = ours(ours.project_input(x[:, t]), h, c)
            outs.append(h[-1])
        fused = ours.run_sequence(
            x, list(h0.unbind(0)), list(c0.unbind(0)) if cell == "lstm" else None
        )
    assert torch.allclose(torch.stack(outs, 1), ref_out, atol=1e-6)
    assert torch.allclose(fused, ref_out, atol=1e-6)
    assert torch.allclose(torch.stack(h), ref_h, atol=1e-6)
    if c is not None:
        assert torch.allclose(torch.stack(c), ref_c, atol=1e-6)


def test_dropout_between_layers_only_in_training() -> None:
    torch.manual_seed(0)
    cell = StackedCell(cell="lstm", input_size=4, hidden=8, layers=2, dropout=0.5)
    x_gates = cell.project_input(torch.randn(2, 4))
    h = [torch.zeros(2, 8), torch.zeros(2, 8)]
    c = [torch.zeros(2, 8), torch.zeros(2, 8)]
    cell.eval()
    clean = cell(x_gates, h, c)[0]
    assert all(torch.equal(a, b) for a, b in zip(clean, cell(x_gates, h, c)[0], strict=True))
    cell.train()
    noisy = [cell(x_gates, h, c)[0] for _ in range(2)]
    assert torch.equal(noisy[0][0], clean[0]) and torch.equal(noisy[1][0], clean[0])  # layer 0
    assert not torch.equal(noisy[0][1], noisy[1][1])  # layer 1's input is dropped out


def test_joint_step_is_the_same_lstm_step() -> None:
    """One product over [input; h] per layer computes what the two products do."""
    torch.manual_seed(1)
    cell = StackedCell(cell="lstm", input_size=6, hidden=5, layers=2, dropout=0.3).eval()
    x = torch.randn(4, 6)
    h, c = [torch.randn(4, 5) for _ in range(2)], [torch.randn(4, 5) for _ in range(2)]
    with torch.no_grad():
        want_h, want_c = cell(cell.project_input(x), h, c)
        got_h, got_c = cell.joint_step(x, h, c)
    assert want_c is not None
    for want, got in zip([*want_h, *want_c], [*got_h, *got_c], strict=True):
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-6)
