"""Stacked LSTM/GRU cells stepped one time step per call, for the decoder.

Why not nn.LSTM: the decoder runs one time step per call (input feeding needs the previous
attentional vector), and nn.LSTM's CPU kernel (oneDNN) pays a large fixed cost per call (it
re-lays out the weights): a single step of the reference decoder measured 10-20x slower than
the same step as two matrix products and the gate nonlinearities. Written out, a step is also
plain MatMul/Gemm + elementwise ops in ONNX, which dynamic int8 quantization handles.

Parameter names and shapes follow nn.LSTM / nn.GRU (`weight_ih_l{k}` [G*H, In],
`weight_hh_l{k}` [G*H, H], `bias_ih_l{k}`, `bias_hh_l{k}` [G*H]; gates stacked as i, f, g, o for
the LSTM and r, z, n for the GRU), so the math and the parameter count are nn.LSTM's exactly.

Shapes: B batch, In input size, H hidden, G gates (4 LSTM, 3 GRU).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F  # noqa: N812 (the conventional name)
from torch import Tensor, nn

logger = logging.getLogger(__name__)

Linear = Callable[[Tensor, Tensor, Tensor | None], Tensor]
"""F.linear's signature: (x [..., In], weight [Out, In], bias [Out] or None) -> [..., Out]."""


def lstm_update(gates: Tensor, c: Tensor, hidden: int) -> tuple[Tensor, Tensor]:
    """gates [B, 4H] = W_ih x + b_ih + W_hh h + b_hh, c [B, H], hidden = H -> (h', c').

    H is passed as a Python int (not read from a tensor's shape) so that a traced step splits
    the gates with one constant-size Split, not Shape, Gather, arithmetic and four Slices.
    """
    i, f, g, o = torch.split(gates, hidden, dim=-1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_new), c_new


def gru_update(x_gates: Tensor, h_gates: Tensor, h: Tensor, hidden: int) -> Tensor:
    """x_gates = W_ih x + b_ih, h_gates = W_hh h + b_hh (both [B, 3H]), h [B, H], hidden = H
    -> h' (nn.GRU's formula: the reset gate scales the recurrent part of n, bias included)."""
    x_r, x_z, x_n = torch.split(x_gates, hidden, dim=-1)
    h_r, h_z, h_n = torch.split(h_gates, hidden, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    return n + z * (h - n)


class StackedCell(nn.Module):
    """L stacked LSTM (or GRU) cells; `dropout` between layers in training (fresh mask per
    step, like nn.LSTM's). The caller computes layer 0's input projection, so it can do it for
    all time steps at once (teacher forcing) or split it over concatenated inputs."""

    def __init__(
        self,
        *,
        cell: Literal["lstm", "gru"],
        input_size: int,
        hidden: int,
        layers: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.is_lstm = cell == "lstm"
        self.input_size = input_size
        self.hidden_size = hidden
        self.num_layers = layers
        self.dropout = dropout
        gates = (4 if self.is_lstm else 3) * hidden
        for k in range(layers):
            in_k = input_size if k == 0 else hidden
            self.register_parameter(f"weight_ih_l{k}", nn.Parameter(torch.empty(gates, in_k)))
            self.register_parameter(f"weight_hh_l{k}", nn.Parameter(torch.empty(gates, hidden)))
            self.register_parameter(f"bias_ih_l{k}", nn.Parameter(torch.zeros(gates)))
            self.register_parameter(f"bias_hh_l{k}", nn.Parameter(torch.zeros(gates)))
        bound = hidden**-0.5  # nn.LSTM's default; Seq2Seq re-initialises (see `init`)
        for param in self.parameters():
            nn.init.uniform_(param, -bound, bound)

    def weights(self, layer: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(weight_ih [G*H, In], weight_hh [G*H, H], bias_ih [G*H], bias_hh [G*H]) of a layer."""
        w_ih: Tensor = getattr(self, f"weight_ih_l{layer}")
        w_hh: Tensor = getattr(self, f"weight_hh_l{layer}")
        b_ih: Tensor = getattr(self, f"bias_ih_l{layer}")
        b_hh: Tensor = getattr(self, f"bias_hh_l{layer}")
        return w_ih, w_hh, b_ih, b_hh

    def project_input(self, x: Tensor) -> Tensor:
        """Layer 0's input part of the gates: x [..., In] -> W_ih x + b_ih [..., G*H]."""
        w_ih, _, b_ih, _ = self.weights(0)
        return F.linear(x, w_ih, b_ih)

    def run_sequence(self, x: Tensor, h: list[Tensor], c: list[Tensor] | None) -> Tensor:
        """All T steps through the whole stack in one fused call (nn.LSTM's own kernel, fed
        these weights): x [B, T, In], initial h (and c) per layer [B, H] -> top-layer outputs
        [B, T, H]. The same function as T calls of `forward`; usable only when no step's input
        depends on the previous step's output (no input feeding). About 1.8x faster in
        training than the step loop (forward + backward of the reference decoder, 1 thread).
        """
        weights = [w for k in range(self.num_layers) for w in self.weights(k)]
        h0 = torch.stack(h, dim=0)  # [L, B, H]
        args = (weights, True, self.num_layers, self.dropout, self.training, False, True)
        if c is None:
            out, _ = torch.gru(x, h0, *args)
        else:
            out, _, _ = torch.lstm(x, (h0, torch.stack(c, dim=0)), *args)
        return out

    def joint_step(
        self, x: Tensor, h: list[Tensor], c: list[Tensor]
    ) -> tuple[list[Tensor], list[Tensor]]:
        """One LSTM time step without dropout, one matrix product per layer: x [B, In], h and c
        one [B, H] tensor per layer -> the new per-layer h and c.

        gates_k = [in_k; h_k] [W_ih | W_hh]^T + (b_ih + b_hh): the same function as
        `forward(project_input(x), h, c)` in eval mode, up to float rounding. The int8 export
        traces it: the weight concatenation and the bias sum are constant-folded into one
        initializer each, so the quantized step runs one product per layer (one dynamic
        quantization of its input) instead of two products and an Add. Eager PyTorch keeps
        `forward`, which would copy the weights on every call here; the fp32 graph keeps it too,
        since one product over a longer row rounds differently with the batch's row count in
        ONNX Runtime's SGEMM on small shapes (the fp32 graph must be batch-invariant bit for
        bit; the int8 one is not anyway, its input scales are per batch).
        """
        if not self.is_lstm or self.training:
            raise ValueError(
                "joint_step is an LSTM's step in eval mode (no dropout between layers)"
            )
        new_h: list[Tensor] = []
        new_c: list[Tensor] = []
        below = x
        for k in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self.weights(k)
            joint = torch.cat([below, h[k]], dim=-1)
            gates = F.linear(joint, torch.cat([w_ih, w_hh], dim=1), b_ih + b_hh)
            h_k, c_k = lstm_update(gates, c[k], self.hidden_size)
            new_h.append(h_k)
            new_c.append(c_k)
            below = h_k
        return new_h, new_c

    def forward(
        self,
        x_gates: Tensor,
        h: list[Tensor],
        c: list[Tensor] | None,
        linear: Linear = F.linear,
    ) -> tuple[list[Tensor], list[Tensor] | None]:
        """One time step. x_gates [B, G*H] (layer 0's `project_input`), h (and c for an LSTM):
        one [B, H] tensor per layer -> the new per-layer h (and c); h[-1] is the output.
        `linear` computes the step's products (the teacher-forced loop passes
        `StepLinears.linear` for one weight-gradient product over all steps)."""
        new_h: list[Tensor] = []
        new_c: list[Tensor] = []
        for k in range(self.num_layers):
            w_ih, w_hh, b_ih, b_hh = self.weights(k)
            if k > 0:
                below = F.dropout(new_h[-1], self.dropout, self.training)
                x_gates = linear(below, w_ih, b_ih)
            h_gates = linear(h[k], w_hh, b_hh)
            if c is None:
                new_h.append(gru_update(x_gates, h_gates, h[k], self.hidden_size))
            else:
                h_k, c_k = lstm_update(x_gates + h_gates, c[k], self.hidden_size)
                new_h.append(h_k)
                new_c.append(c_k)
        return new_h, (new_c if c is not None else None)
