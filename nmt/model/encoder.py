"""Bidirectional RNN encoder over packed sequences.

Shapes: B batch, S source length (padded), E embedding size, H hidden size per direction.
"""

from __future__ import annotations

import logging
from typing import Literal, NamedTuple

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

logger = logging.getLogger(__name__)


class EncoderOutput(NamedTuple):
    """What the encoder hands to the bridge and the attention.

    memory: [B, S, 2H], forward and backward outputs concatenated, exactly 0 at padding.
    final_h: [B, 2H], the top layer's last forward state (at each sentence's own last token)
        and its backward state at position 0, concatenated.
    final_c: [B, 2H] likewise for the LSTM cell state; None for a GRU.
    """

    memory: Tensor
    final_h: Tensor
    final_c: Tensor | None


def make_rnn(
    cell: Literal["lstm", "gru"],
    input_size: int,
    hidden: int,
    layers: int,
    dropout: float,
    *,
    bidirectional: bool,
) -> nn.LSTM | nn.GRU:
    """A batch-first nn.LSTM or nn.GRU; `dropout` applies between stacked layers only."""
    rnn_cls = nn.LSTM if cell == "lstm" else nn.GRU
    return rnn_cls(
        input_size,
        hidden,
        num_layers=layers,
        batch_first=True,
        bidirectional=bidirectional,
        # nn.LSTM warns (and does nothing) for dropout with one layer.
        dropout=dropout if layers > 1 else 0.0,
    )


class Encoder(nn.Module):
    """A stack of bidirectional LSTM (or GRU) layers.

    Sequences are packed (`enforce_sorted=False`), so a sentence's outputs and final states do
    not depend on how much padding its batch has: batch invariance by construction. Dropout
    between layers is nn.LSTM's own (a fresh mask per time step), not variational: a variational
    mask would need one nn.LSTM per layer and lose the fused multi-layer kernel; the fused
    module also exports to a single ONNX LSTM node per layer.
    """

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
        self.rnn = make_rnn(cell, input_size, hidden, layers, dropout, bidirectional=True)
        self.output_size = 2 * hidden

    def forward(self, emb: Tensor, lengths: Tensor) -> EncoderOutput:
        """emb [B, S, E] float, lengths [B] int64 (each in 1..S) -> EncoderOutput.

        Positions at or beyond a sentence's length are ignored on input and 0 on output.
        """
        # pack_padded_sequence wants lengths on the CPU; .cpu() is a no-op there.
        packed = pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, hidden = self.rnn(packed)
        # total_length keeps S even when every sentence is shorter than the padded width, so
        # memory lines up with src_mask.
        memory, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=emb.size(1))
        if isinstance(hidden, tuple):
            h_n, c_n = hidden
            final_c: Tensor | None = torch.cat([c_n[-2], c_n[-1]], dim=-1)
        else:
            h_n, final_c = hidden, None
        # h_n: [layers * 2, B, H]; the last two rows are the top layer's fwd and bwd states,
        # already put back in the original batch order by the packed RNN.
        final_h = torch.cat([h_n[-2], h_n[-1]], dim=-1)
        return EncoderOutput(memory=memory, final_h=final_h, final_c=final_c)
