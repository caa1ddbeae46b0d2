"""Weight initialisation for the seq2seq model.

- Recurrent matrices (weight_hh): orthogonal per gate block when `orthogonal=True` (keeps the
  recurrence's singular values near 1 early in training), else Xavier-uniform per block.
- Input matrices (weight_ih) and every nn.Linear: Xavier-uniform; biases 0.
- LSTM forget gate: bias 1 (on bias_ih; bias_hh stays 0, their sum is what counts), so cells
  remember by default at the start (Jozefowicz et al. 2015).
- Embeddings: N(0, 1/E), PAD row 0 (and, tied, the output logits start small too).
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn

from nmt.model.cells import StackedCell

logger = logging.getLogger(__name__)


def _per_gate(param: Tensor, hidden: int, orthogonal: bool) -> None:
    # PyTorch stacks the gates ([i, f, g, o] for LSTM, [r, z, n] for GRU) along dim 0: each
    # block [H, In] gets its own init, so each gate's matrix is orthogonal, not just the stack.
    for start in range(0, param.size(0), hidden):
        block = param[start : start + hidden]
        if orthogonal:
            nn.init.orthogonal_(block)
        else:
            nn.init.xavier_uniform_(block)


def init_rnn(rnn: nn.LSTM | nn.GRU | StackedCell, *, orthogonal: bool) -> None:
    """Initialise an nn.LSTM / nn.GRU / StackedCell in place (see the module docstring)."""
    hidden = rnn.hidden_size
    is_lstm = rnn.is_lstm if isinstance(rnn, StackedCell) else isinstance(rnn, nn.LSTM)
    for name, param in rnn.named_parameters():
        if name.startswith("weight_hh"):
            _per_gate(param, hidden, orthogonal)
        elif name.startswith("weight_ih"):
            _per_gate(param, hidden, orthogonal=False)
        elif name.startswith("bias"):
            nn.init.zeros_(param)
            if is_lstm and name.startswith("bias_ih"):
                nn.init.ones_(param[hidden : 2 * hidden])  # gate order i, f, g, o


@torch.no_grad()
def init_weights(model: nn.Module, *, orthogonal: bool) -> None:
    """Initialise every RNN, Linear and Embedding under `model` in place."""
    for module in model.modules():
        if isinstance(module, nn.LSTM | nn.GRU | StackedCell):
            init_rnn(module, orthogonal=orthogonal)
        elif isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=module.embedding_dim**-0.5)
            if module.padding_idx is not None:
                module.weight[module.padding_idx].zero_()
