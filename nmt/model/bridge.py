"""Bridge: the encoder's final state -> the decoder's initial recurrent state.

Shapes: B batch, M = 2 * encoder hidden, L decoder layers, H decoder hidden.
"""

from __future__ import annotations

import logging
from typing import Literal

import torch
from torch import Tensor, nn

logger = logging.getLogger(__name__)


class Bridge(nn.Module):
    """`linear`: h0 = tanh(W_h [fwd; bwd] + b_h) for every decoder layer (one Linear M -> L*H),
    and likewise c0 with its own W_c for an LSTM (tanh keeps c0 in the range a cell state starts
    from). `zero`: h0 = c0 = 0. The output is batch-first, [B, L, H], like the decoder state.
    """

    def __init__(
        self,
        *,
        kind: Literal["linear", "zero"],
        enc_size: int,
        dec_hidden: int,
        dec_layers: int,
        has_cell: bool,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.dec_hidden = dec_hidden
        self.dec_layers = dec_layers
        self.has_cell = has_cell
        out = dec_layers * dec_hidden
        linear = kind == "linear"
        self.h_proj = nn.Linear(enc_size, out) if linear else None
        self.c_proj = nn.Linear(enc_size, out) if linear and has_cell else None

    def _init(self, proj: nn.Linear | None, final: Tensor) -> Tensor:
        if proj is None:
            return final.new_zeros((final.size(0), self.dec_layers, self.dec_hidden))
        # reshape(-1, ...) rather than view(B, ...): no batch size baked into an export.
        return torch.tanh(proj(final)).reshape(-1, self.dec_layers, self.dec_hidden)

    def forward(self, final_h: Tensor, final_c: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """final_h [B, M], final_c [B, M] or None -> (h0 [B, L, H], c0 [B, L, H] or None).

        c0 is None exactly when the decoder is a GRU (`has_cell=False`).
        """
        h0 = self._init(self.h_proj, final_h)
        if not self.has_cell:
            return h0, None
        # The zero bridge and a GRU encoder feeding an LSTM decoder have no cell state to map.
        c_source = final_h if final_c is None else final_c
        return h0, self._init(self.c_proj, c_source)
