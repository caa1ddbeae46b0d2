"""ONNX Runtime backend of the step-model protocol: the serving path. Never imports torch.

It runs the two graphs written by `nmt.export` (see `nmt.export.graphs` for the contract):

```
encoder.onnx       src_ids [B, S], src_lengths [B]          -> the state keys (memory, ...)
decoder_step.onnx  prev_tokens [B], every state key, k [1]   -> top_log_probs [B, k],
                                                                top_ids [B, k],
                                                                attention [B, S], new_<key>...
```

Graphs exported before the top-k step have no `k` input and return `log_probs` [B, V] in place
of the two top-k outputs; they still load (`returns_topk` False: the search then takes its
choices from the full log-probabilities, exactly as before). Which kind a graph is comes from
its own inputs and outputs; a top-k graph names V in its metadata (`vocab_size`).

The state keys and which of them are recurrent are read from the graphs themselves (the
decoder's `new_<key>` outputs are the recurrent ones; its other state inputs are static and pass
through unchanged), so this module needs no model config and fits fp32 and int8 graphs alike.

Per-step cost beyond the graph itself is kept small: the input and output names are bound once,
the state arrays go into `InferenceSession.run` as they are (C-contiguous NumPy arrays are used
in place, not copied), the outputs come back as fresh arrays that the state keeps, and a beam
step that only follows back-pointers within each sentence reuses the static arrays (memory and
mask, the bulk of the state) instead of copying them (`reorder_state(per_sentence=...)`).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from nmt.errors import NmtError
from nmt.search.lanes import Lanes
from nmt.search.protocol import (
    SENTENCE_KEY,
    ArrayState,
    FloatArray,
    IntArray,
    TopK,
    reorder_state,
)

logger = logging.getLogger(__name__)

NEW_PREFIX = "new_"
ENCODER_INPUTS = ("src_ids", "src_lengths")
STEP_OUTPUTS = ("log_probs", "attention")
TOPK_OUTPUTS = ("top_log_probs", "top_ids", "attention")
TOPK_INPUT = "k"
VOCAB_METADATA = "vocab_size"


class OnnxModelError(NmtError, ValueError):
    """Graphs that do not follow the encoder / decoder_step contract; the message says how."""


def session_options(threads: int | None = None) -> ort.SessionOptions:
    """CPU settings measured best for this model (docs/performance.md, "Measuring right").

    intra-op threads = `threads` (None: all cores), inter-op 1 (the graphs are chains with
    little parallel branching), no spinning: on a few cores a spinning pool steals the core that
    the search's NumPy work and the other pool need (20-40% faster, far less jitter on 2 cores).
    """
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or os.cpu_count() or 1
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    opts.log_severity_level = 3  # errors only: ORT's warnings are about its own optimizer
    return opts


def _session(model: str | bytes, opts: ort.SessionOptions) -> ort.InferenceSession:
    try:
        return ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as err:  # ORT raises its own exception types, not exported by name
        raise OnnxModelError(f"cannot load ONNX graph: {err}") from err


class OnnxStepModel:
    """`StepModel` over encoder.onnx + decoder_step.onnx with ONNX Runtime on the CPU.

    `OnnxStepModel(encoder_path, decoder_path, threads=None)`; `threads` None = all cores
    (`os.cpu_count()`). Use `from_bytes` for graphs already in memory (a verified bundle).
    Sessions are safe to run from several threads, but one instance's calls are meant for one
    search at a time (the serving batcher runs one batch at a time per model).
    """

    def __init__(
        self,
        encoder_path: Path,
        decoder_path: Path,
        *,
        threads: int | None = None,
        options: ort.SessionOptions | None = None,
    ) -> None:
        """`options` replaces `session_options(threads)` (to profile, say)."""
        opts = options or session_options(threads)
        self._init(
            _session(str(encoder_path), opts), _session(str(decoder_path), opts), threads=threads
        )

    @classmethod
    def from_bytes(
        cls, encoder: bytes, decoder: bytes, *, threads: int | None = None
    ) -> OnnxStepModel:
        """Build from the serialized graphs (the bytes of the two .onnx files)."""
        self = cls.__new__(cls)
        opts = session_options(threads)
        self._init(_session(encoder, opts), _session(decoder, opts), threads=threads)
        return self

    def _init(
        self, encoder: ort.InferenceSession, decoder: ort.InferenceSession, *, threads: int | None
    ) -> None:
        self.threads = threads or os.cpu_count() or 1
        self.encoder, self.decoder = encoder, decoder
        enc_in = [i.name for i in encoder.get_inputs()]
        self.state_keys: tuple[str, ...] = tuple(o.name for o in encoder.get_outputs())
        dec_in = [i.name for i in decoder.get_inputs()]
        dec_out = [o.name for o in decoder.get_outputs()]
        self.returns_topk = dec_in[-1:] == [TOPK_INPUT]
        heads = TOPK_OUTPUTS if self.returns_topk else STEP_OUTPUTS
        want_in = ["prev_tokens", *self.state_keys, *([TOPK_INPUT] if self.returns_topk else [])]
        if enc_in != list(ENCODER_INPUTS) or dec_in != want_in:
            raise OnnxModelError(
                f"graph inputs do not match: encoder {enc_in}, decoder {dec_in}; expected "
                f"{list(ENCODER_INPUTS)} and prev_tokens + the encoder outputs {self.state_keys}"
                " (+ k)"
            )
        recurrent = [name.removeprefix(NEW_PREFIX) for name in dec_out[len(heads) :]]
        if tuple(dec_out[: len(heads)]) != heads or not set(recurrent) <= set(self.state_keys):
            raise OnnxModelError(
                f"decoder outputs {dec_out}: expected {', '.join(heads)}, new_<state key>..."
            )
        self.recurrent_keys: tuple[str, ...] = tuple(recurrent)
        self.static_keys: tuple[str, ...] = tuple(
            k for k in self.state_keys if k not in self.recurrent_keys
        )
        self._step_outputs = dec_out
        self.vocab_size = _vocab_size(decoder, topk=self.returns_topk)

    def encode(self, src_ids: IntArray, src_lengths: IntArray) -> ArrayState:
        """int64 [B, S], int64 [B] (each in 0..S) -> the initial state: the encoder's outputs
        (memory [B, S, M], memory_proj, src_mask bool [B, S], h, c, feed) and SENTENCE_KEY."""
        feed = {
            "src_ids": np.ascontiguousarray(src_ids, dtype=np.int64),
            "src_lengths": np.ascontiguousarray(src_lengths, dtype=np.int64),
        }
        values = self.encoder.run(None, feed)
        state: ArrayState = dict(zip(self.state_keys, values, strict=True))
        # Lets `reorder` keep the per-sentence arrays when beams only move within a sentence.
        state[SENTENCE_KEY] = np.arange(feed["src_ids"].shape[0], dtype=np.int64)
        return state

    def step(
        self, prev_tokens: IntArray, state: ArrayState
    ) -> tuple[FloatArray, FloatArray, ArrayState]:
        """int64 [N], state -> (log_probs float32 [N, V], attention float32 [N, S], state).

        Entries other than the recurrent ones (the static arrays, SENTENCE_KEY, anything the
        search adds) are handed back as the caller's own arrays.
        """
        if self.returns_topk:
            raise OnnxModelError("this decoder graph returns top-k candidates: use step_topk")
        log_probs, attention, out = self._run(self._feed(prev_tokens, state), state)
        return log_probs, attention, out

    def step_topk(
        self, prev_tokens: IntArray, state: ArrayState, k: int
    ) -> tuple[TopK, FloatArray, ArrayState]:
        """int64 [N], state, k -> (the min(k, V) best tokens of each row: TopK values float32
        [N, k'], ids int64 [N, k'], best first, ties to the lower id; attention float32 [N, S];
        state). Only for a top-k graph (`returns_topk`)."""
        if not self.returns_topk:
            raise OnnxModelError("this decoder graph returns log-probabilities: use step")
        feed = self._feed(prev_tokens, state)
        feed[TOPK_INPUT] = np.array([max(1, min(k, self.vocab_size))], dtype=np.int64)
        values, ids, attention, out = self._run(feed, state)
        return TopK(values, ids), attention, out

    def _feed(self, prev_tokens: IntArray, state: ArrayState) -> dict[str, Any]:
        feed: dict[str, Any] = {key: state[key] for key in self.state_keys}
        feed["prev_tokens"] = np.ascontiguousarray(prev_tokens, dtype=np.int64)
        return feed

    def _run(self, feed: dict[str, Any], state: ArrayState) -> list[Any]:
        """The decoder's head outputs, then the next state (`state` with the recurrent
        entries replaced by the graph's new ones)."""
        outputs = self.decoder.run(self._step_outputs, feed)
        heads = len(outputs) - len(self.recurrent_keys)
        out: ArrayState = dict(state)
        out.update(zip(self.recurrent_keys, outputs[heads:], strict=True))
        return [*outputs[:heads], out]

    def reorder(self, state: ArrayState, indices: IntArray) -> ArrayState:
        """Rows `indices` (int64 [N']) of every entry; the static arrays are reused, not
        copied, when every row position stays on its sentence (see `reorder_state`)."""
        rows = np.asarray(indices, dtype=np.int64)
        return reorder_state(state, rows, per_sentence=self.static_keys)


def _vocab_size(decoder: ort.InferenceSession, *, topk: bool) -> int:
    """V: the log_probs output's last axis, or a top-k graph's `vocab_size` metadata."""
    if not topk:
        return int(decoder.get_outputs()[0].shape[1])
    value = decoder.get_modelmeta().custom_metadata_map.get(VOCAB_METADATA)
    if value is None or not value.isdigit():
        raise OnnxModelError(f"top-k decoder graph without its {VOCAB_METADATA} metadata")
    return int(value)


def load_step_model(
    encoder_path: Path, decoder_path: Path, *, threads: int | None = None, lanes: int = 1
) -> OnnxStepModel | Lanes:
    """The graphs on `threads` intra-op threads (None: all cores); with `lanes` >= 2 (at most
    the threads), a `Lanes` of that model for small batches and `lanes` more sessions that share
    the threads out (threads // lanes each, the first ones one more while any are left) for big
    ones (see `nmt.search.lanes`)."""
    if lanes < 1:
        raise ValueError(f"lanes must be >= 1, got {lanes}")
    whole = OnnxStepModel(encoder_path, decoder_path, threads=threads)
    count = min(lanes, whole.threads)
    if count == 1:
        return whole
    shares = [whole.threads // count + (i < whole.threads % count) for i in range(count)]
    models = [OnnxStepModel(encoder_path, decoder_path, threads=share) for share in shares]
    logger.info("%d lanes (threads %s) for big batches", count, shares)
    return Lanes(whole, models)
