"""The seq2seq model: embeddings -> Bi-RNN encoder -> bridge -> attentional decoder -> output.

Shapes: B batch, S source length, T target length, V vocabulary, M memory size
(2 * enc_hidden), L decoder layers, H dec_hidden.

The decoder state is an explicit, batch-first dict (see `Seq2Seq.encode`), so beam search can
reorder it with one index_select per entry and one step exports to ONNX as a pure function.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import torch
from torch import Tensor, nn

from nmt.config import ModelConfig
from nmt.model.attention import build_attention
from nmt.model.bridge import Bridge
from nmt.model.decoder import Decoder
from nmt.model.embeddings import Embeddings, word_dropout
from nmt.model.encoder import Encoder
from nmt.model.init import init_weights
from nmt.model.output import OutputLayer

logger = logging.getLogger(__name__)

TensorState = dict[str, Tensor]
"""Decoder state: name -> tensor, batch axis first on every entry."""

STATIC_KEYS: tuple[str, str, str] = ("memory", "memory_proj", "src_mask")
"""TensorState entries fixed by `encode` and passed through unchanged by `step`."""


class Seq2Seq(nn.Module):
    """Bi-LSTM/GRU encoder + attentional LSTM/GRU decoder with input feeding.

    API: `encode` once per source batch, `step` once per output token (greedy or beam search),
    `forward` for teacher-forced training. `forward` returns log-probabilities [B, T, V]:
    the loss is `F.nll_loss(log_probs.flatten(0, 1), tgt_out.flatten(), ignore_index=PAD)`,
    or `F.cross_entropy(..., label_smoothing=...)` on the same tensor (log_softmax is
    idempotent, so cross_entropy over log-probs equals it over logits).
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        memory_size = 2 * cfg.enc_hidden
        self.embeddings = Embeddings(
            vocab_size=cfg.vocab_size,
            emb_dim=cfg.emb_dim,
            share=cfg.share_embeddings,
            dropout=cfg.emb_dropout,
        )
        self.encoder = Encoder(
            cell=cfg.cell,
            input_size=cfg.emb_dim,
            hidden=cfg.enc_hidden,
            layers=cfg.enc_layers,
            dropout=cfg.dropout,
        )
        self.bridge = Bridge(
            kind=cfg.bridge,
            enc_size=memory_size,
            dec_hidden=cfg.dec_hidden,
            dec_layers=cfg.dec_layers,
            has_cell=cfg.cell == "lstm",
        )
        attention = build_attention(
            cfg.attention, memory_size=memory_size, query_size=cfg.dec_hidden
        )
        self.decoder = Decoder(
            cell=cfg.cell,
            emb_dim=cfg.emb_dim,
            memory_size=memory_size,
            hidden=cfg.dec_hidden,
            layers=cfg.dec_layers,
            dropout=cfg.dropout,
            input_feeding=cfg.input_feeding,
            attention=attention,
        )
        tied = self.embeddings.target if cfg.tie_output else None
        self.output = OutputLayer(hidden=cfg.dec_hidden, vocab_size=cfg.vocab_size, tied=tied)
        init_weights(self, orthogonal=cfg.orthogonal_init)

    @property
    def recurrent_keys(self) -> tuple[str, ...]:
        """TensorState entries that `step` updates: h, c (LSTM only), feed (input feeding only)."""
        keys = ["h"]
        if self.cfg.cell == "lstm":
            keys.append("c")
        if self.cfg.input_feeding:
            keys.append("feed")
        return tuple(keys)

    @property
    def state_keys(self) -> tuple[str, ...]:
        """Every state entry, in a fixed order (static first): the ONNX input/output order."""
        return STATIC_KEYS + self.recurrent_keys

    def num_parameters(self, *, trainable_only: bool = False) -> int:
        """Parameter count; a shared or tied table counts once (`parameters()` dedupes)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def encode(self, src_ids: Tensor, src_lengths: Tensor) -> TensorState:
        """src_ids int64 [B, S] (PAD after each sentence), src_lengths int64 [B], each in 0..S
        (0: an empty source, decoded from the bridge state alone).

        Returns the initial decoder state, batch-first:
        memory [B, S, M] (0 at padding), memory_proj [B, S, K] (the attention's precomputed
        memory part), src_mask bool [B, S] (True = real token), h [B, L, H], c [B, L, H] (LSTM
        only), feed [B, H] zeros (input feeding only).
        """
        # An empty source (length 0, allowed by the search protocol) is encoded as one PAD
        # token so the packed RNN gets a valid length; its mask stays all False, so it is never
        # attended (zero weights, zero context) and its memory row is zeroed below.
        rnn_lengths = src_lengths.clamp(min=1)
        emb = self.embeddings.embed_source(src_ids)
        enc = self.encoder(emb, rnn_lengths)
        positions = torch.arange(src_ids.size(1), device=src_ids.device)
        src_mask = positions.unsqueeze(0) < src_lengths.to(src_ids.device).unsqueeze(1)
        memory = enc.memory.masked_fill(~src_mask.unsqueeze(-1), 0.0)
        h, c = self.bridge(enc.final_h, enc.final_c)
        state: TensorState = {
            "memory": memory,
            "memory_proj": self.decoder.attention.project_memory(memory),
            "src_mask": src_mask,
            "h": h,
        }
        if c is not None:
            state["c"] = c
        if self.cfg.input_feeding:
            state["feed"] = memory.new_zeros((memory.size(0), self.cfg.dec_hidden))
        return state

    def step(
        self, prev_tokens: Tensor, state: Mapping[str, Tensor], *, joint_gates: bool = False
    ) -> tuple[Tensor, Tensor, TensorState]:
        """prev_tokens int64 [B] (BOS first), state from `encode` or `step` ->
        (log_probs float [B, V], attention float [B, S], new state). `joint_gates`: see
        `Decoder.step` (the int8 export's source graph).

        Pure: no Python branch on tensor values and no in-place change of any input; the
        static entries are passed through as the same tensors.
        """
        if self.training:  # a fresh variational dropout mask for the step
            emb = self.embeddings.embed_target(prev_tokens.unsqueeze(1)).squeeze(1)
        else:  # the same lookup without the [B, 1] round trip (two nodes fewer in the graph)
            emb = self.embeddings.target(prev_tokens)
        vec, weights, recurrent = self.decoder.step(emb, state, joint_gates=joint_gates)
        log_probs = torch.log_softmax(self.output(vec), dim=-1)
        new_state: TensorState = {key: state[key] for key in STATIC_KEYS}
        new_state.update(recurrent)
        return log_probs, weights, new_state

    def teacher_forced_logits(
        self, src_ids: Tensor, src_lengths: Tensor, tgt_in: Tensor
    ) -> tuple[Tensor, Tensor]:
        """src_ids [B, S], src_lengths [B], tgt_in int64 [B, T] (BOS y_1 .. y_{T-1}, PAD after)
        -> (logits [B, T, V], attention [B, T, S]); training's fused loss takes the logits.

        Word dropout (training only) replaces target-input words by UNK; embeddings for all T
        steps are looked up at once with one variational dropout mask.
        """
        state = self.encode(src_ids, src_lengths)
        tokens = word_dropout(tgt_in, self.cfg.word_dropout, self.training)
        emb = self.embeddings.embed_target(tokens)
        vecs, weights = self.decoder.teacher_forced(emb, state)
        logits: Tensor = self.output(vecs)
        return logits, weights

    def teacher_forced(
        self, src_ids: Tensor, src_lengths: Tensor, tgt_in: Tensor
    ) -> tuple[Tensor, Tensor]:
        """`teacher_forced_logits` normalised: (log_probs [B, T, V], attention [B, T, S])."""
        logits, weights = self.teacher_forced_logits(src_ids, src_lengths, tgt_in)
        return torch.log_softmax(logits, dim=-1), weights

    def forward(self, src_ids: Tensor, src_lengths: Tensor, tgt_in: Tensor) -> Tensor:
        """Teacher-forced log-probs [B, T, V]; see `teacher_forced`."""
        log_probs, _ = self.teacher_forced(src_ids, src_lengths, tgt_in)
        return log_probs
