"""Attentional RNN decoder with input feeding (Luong et al. 2015).

Shapes: B batch, T target steps, S source length, E embedding size, M memory size
(2 * encoder hidden), L decoder layers, H decoder hidden.

One step: x_t = [e_t; a_{t-1}] (input feeding; just e_t without it), h_t = RNN(x_t, h_{t-1}),
(c_t, w_t) = attention(h_t, memory), a_t = dropout(tanh(W_c [h_t; c_t] + b)). The module keeps no
state between calls: the caller passes it in and gets it back, so one step exports cleanly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Literal

import torch
import torch.nn.functional as F  # noqa: N812 (the conventional name)
from torch import Tensor, nn

from nmt.model.attention import Attention
from nmt.model.cells import Linear, StackedCell
from nmt.model.dropout import StepDropout
from nmt.model.step_linear import StepLinears

logger = logging.getLogger(__name__)

Attend = Callable[[Tensor, Tensor, Tensor, Tensor], tuple[Tensor, Tensor]]
"""One step's attention: (query [B, H], memory, memory_proj, src_mask) -> (context, weights)."""


class Decoder(nn.Module):
    """Stacked RNN cells + attention + attentional layer; the vocabulary projection lives in
    `output`. Both paths below step the same `StackedCell`, so they compute the same function."""

    def __init__(
        self,
        *,
        cell: Literal["lstm", "gru"],
        emb_dim: int,
        memory_size: int,
        hidden: int,
        layers: int,
        dropout: float,
        input_feeding: bool,
        attention: Attention,
    ) -> None:
        super().__init__()
        in_size = emb_dim + (hidden if input_feeding else 0)
        self.rnn = StackedCell(
            cell=cell, input_size=in_size, hidden=hidden, layers=layers, dropout=dropout
        )
        self.attention = attention
        self.combine = nn.Linear(hidden + memory_size, hidden)
        self.dropout = nn.Dropout(dropout)
        self.is_lstm = cell == "lstm"
        self.input_feeding = input_feeding
        self.emb_dim = emb_dim
        self.hidden = hidden

    def attentional(
        self,
        out: Tensor,
        memory: Tensor,
        memory_proj: Tensor,
        src_mask: Tensor,
        linear: Linear = F.linear,
        attend: Attend | None = None,
        dropout: Callable[[Tensor], Tensor] | None = None,
    ) -> tuple[Tensor, Tensor]:
        """RNN outputs [B, T, H] -> (attentional vectors [B, T, H], weights [B, T, S]).
        `linear`, `attend` and `dropout` replace F.linear, the attention module's forward (the
        latter at T = 1 only) and nn.Dropout in the teacher-forced loop; see `StepLinears`
        and `StepDropout`."""
        if attend is None:
            context, weights = self.attention(out, memory, memory_proj, src_mask)
        else:  # one step, out [B, 1, H]
            context_t, weights_t = attend(out.squeeze(1), memory, memory_proj, src_mask)
            context, weights = context_t.unsqueeze(1), weights_t.unsqueeze(1)
        joint = torch.cat([out, context], dim=-1)
        combined = linear(joint, self.combine.weight, self.combine.bias)
        vec: Tensor = (dropout or self.dropout)(torch.tanh(combined))
        return vec, weights

    def _unstack(self, state: Mapping[str, Tensor]) -> tuple[list[Tensor], list[Tensor] | None]:
        # The state is batch-first [B, L, H]; the cells take one [B, H] tensor per layer.
        h = _layers(state["h"])
        c = _layers(state["c"]) if self.is_lstm else None
        return h, c

    def step(
        self, emb: Tensor, state: Mapping[str, Tensor], *, joint_gates: bool = False
    ) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        """One step. emb [B, E]; state holds memory, memory_proj, src_mask, h, c (LSTM) and
        feed (input feeding). `joint_gates` (an LSTM in eval mode only): each layer's gates as
        one product over [input; h] (`StackedCell.joint_step`), for the graph that int8 is
        quantized from; the same function up to float rounding.

        Returns (attentional vector [B, H], attention weights [B, S], the recurrent part of the
        new state: h [B, L, H], c [B, L, H] for an LSTM, feed [B, H] with input feeding).
        """
        h, c = self._unstack(state)
        x = torch.cat([emb, state["feed"]], dim=-1) if self.input_feeding else emb
        if joint_gates and c is not None and not self.training:
            h, c = self.rnn.joint_step(x, h, c)
        else:
            h, c = self.rnn(self.rnn.project_input(x), h, c)
        vec, weights = self.attentional(
            h[-1].unsqueeze(1), state["memory"], state["memory_proj"], state["src_mask"]
        )
        vec_t = vec.squeeze(1)
        new: dict[str, Tensor] = {"h": _stacked(h)}
        if c is not None:
            new["c"] = _stacked(c)
        if self.input_feeding:
            new["feed"] = vec_t
        return vec_t, weights.squeeze(1), new

    def teacher_forced(self, emb: Tensor, state: Mapping[str, Tensor]) -> tuple[Tensor, Tensor]:
        """All target steps. emb [B, T, E] (the embedded target input) ->
        (attentional vectors [B, T, H], attention weights [B, T, S]).

        Without input feeding nothing flows from step t's output to step t+1's input, so the
        RNN runs over all T in one fused call and the attention scores all T outputs at once.
        With it, step t needs a_{t-1}: the embedding part of layer 0's input projection is one
        matrix product over all T steps, and the loop does only what depends on a_{t-1}.

        The input-feeding loop is `step` rewritten for speed; it computes the same function
        (tests/model/test_teacher_forcing.py: equal to stepping `step` with the gold tokens, in
        eval mode). Line by line, for step t (W_ih = [W_emb | W_feed], split by input columns):

        `step`                                  this loop
        x = [e_t; feed]                         not built: W_ih x = W_emb e_t + W_feed feed
        rnn.project_input(x) = W_ih x + b_ih    emb_gates[t] (W_emb e_t + b_ih, all T at once,
                                                before the loop) + linear(feed, w_feed, None)
        h, c = rnn(gates, h, c)                 the same cells; `linear` records the step's
                                                products so that StepLinears computes each
                                                weight's gradient as one product over all T
        attentional(h[-1], memory, ...)         the same; `attend` (Luong general/dot scores)
                                                is StepLinears' attention over the memory, and
                                                the dropout mask of step t comes from
                                                StepDropout (all T masks drawn at once)
        feed = vec                              feed = vec.squeeze(1)
        return per step                         vecs and weights concatenated over T
        """
        h, c = self._unstack(state)
        memory, memory_proj, src_mask = state["memory"], state["memory_proj"], state["src_mask"]
        if not self.input_feeding:
            out = self.rnn.run_sequence(emb, h, c)
            return self.attentional(out, memory, memory_proj, src_mask)
        w_ih, _, b_ih, _ = self.rnn.weights(0)
        # unbind, not emb_gates[:, t]: each indexing's backward would write its gradient into
        # a fresh zero [B, T, G*H] tensor and add T of those up (a tenth of a training step);
        # unbind's backward stacks the T step gradients once.
        emb_gates = F.linear(emb, w_ih[:, : self.emb_dim], b_ih).unbind(1)  # T x [B, G*H]
        w_feed = w_ih[:, self.emb_dim :]  # [G*H, H], a view: no weight copy
        feed = state["feed"]
        vecs: list[Tensor] = []
        weights: list[Tensor] = []
        steps = StepLinears()  # each weight's gradient as one product over all T steps
        drop = StepDropout(self.dropout.p, len(emb_gates), self.training)  # T masks at once
        dot = self.attention.dot_product_score
        for t, gates_t in enumerate(emb_gates):
            linear = partial(steps.linear, step=t)
            attend = partial(steps.dot_attention, step=t) if dot else None
            h, c = self.rnn(gates_t + linear(feed, w_feed, None), h, c, linear)
            vec, w = self.attentional(
                h[-1].unsqueeze(1),
                memory,
                memory_proj,
                src_mask,
                linear,
                attend,
                partial(drop, step=t),
            )
            feed = vec.squeeze(1)
            vecs.append(vec)
            weights.append(w)
        return torch.cat(vecs, dim=1), torch.cat(weights, dim=1)


def _layers(state: Tensor) -> list[Tensor]:
    """[B, L, H] -> L tensors [B, H]. One layer is a squeeze: one node in an exported step
    (`unbind` exports as a Split and a Squeeze per layer)."""
    if state.size(1) == 1:
        return [state.squeeze(1)]
    return list(state.unbind(1))


def _stacked(layers: list[Tensor]) -> Tensor:
    """L tensors [B, H] -> [B, L, H]; one layer is an unsqueeze (not Unsqueeze + Concat)."""
    if len(layers) == 1:
        return layers[0].unsqueeze(1)
    return torch.stack(layers, dim=1)
