"""Parity of the exported graphs with PyTorch, and agreement rates of the int8 graphs.

- `numeric_parity`: max |difference| of every encoder output and of the step log-probs and
  attention, PyTorch vs ONNX Runtime, over a batch of real sentences, both backends fed the same
  tokens (PyTorch's greedy choice) for a number of steps, each carrying its own state;
- `decode_all` + `agreement`: the tokens of greedy / beam search over many sentences, compared
  sentence by sentence (fp32 must be identical; int8 is reported as a share).

Run these with one thread in each framework (`torch.set_num_threads(1)`, ORT `threads=1`): the
two thread pools in one process starve each other. Timing is never done here.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nmt.config import DecodingConfig
from nmt.search import StepModel, search
from nmt.search.protocol import ArrayState, FloatArray, IntArray, TopK
from nmt.tokenizer import BOS_ID, EOS_ID
from nmt.translator import pad_batch

if TYPE_CHECKING:
    from nmt.search.onnx_backend import OnnxStepModel
    from nmt.search.torch_backend import TorchStepModel

logger = logging.getLogger(__name__)

TOLERANCE = 1e-4
"""Max |fp32 ONNX - PyTorch| allowed on encoder outputs, step log-probs and attention."""

PARITY_K = 11
"""Top-k graphs: how many best values per row the numeric check compares (2 x beam 5 + 1)."""

GREEDY = DecodingConfig(mode="greedy")
BEAM5 = DecodingConfig(mode="beam", beam_size=5)


@dataclasses.dataclass(frozen=True, kw_only=True)
class NumericParity:
    """Largest absolute differences found (fp32 ONNX vs PyTorch)."""

    sentences: int
    steps: int
    encoder: dict[str, float]  # state key -> max |diff| of the encoder output
    log_probs: float  # max |diff| over all steps, rows and vocabulary entries (top-k graphs:
    # over each row's PARITY_K best values, which must also rank the same best token)
    attention: float
    state: float  # max |diff| of the recurrent state after the last step

    @property
    def worst(self) -> float:
        return max([*self.encoder.values(), self.log_probs, self.attention, self.state])


@dataclasses.dataclass(frozen=True, kw_only=True)
class Agreement:
    """Share of sentences whose greedy / beam-5 tokens are identical in two decodings."""

    sentences: int
    greedy: float
    beam: float


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return float("inf")
    if a.dtype == np.bool_:
        return float(np.count_nonzero(a != b))
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))


def numeric_parity(
    reference: TorchStepModel,
    onnx: OnnxStepModel,
    rows: Sequence[Sequence[int]],
    *,
    steps: int = 10,
) -> NumericParity:
    """Compare encoder outputs, then `steps` decoder steps fed the same tokens (PyTorch's
    argmax; BOS first), on the padded batch of `rows` (source ids, EOS included). Top-k graphs
    are compared on each row's PARITY_K best values (the reference: `step_topk`)."""
    src, lengths = pad_batch(rows)
    ref_state, ort_state = reference.encode(src, lengths), onnx.encode(src, lengths)
    keys = onnx.state_keys
    encoder = {k: _max_diff(ref_state[k], ort_state[k]) for k in keys}
    prev: IntArray = np.full(len(rows), BOS_ID, dtype=np.int64)
    worst_lp = worst_att = 0.0
    for _ in range(steps):
        if onnx.returns_topk:
            ref_top, ref_att, ref_state = reference.step_topk(prev, ref_state, PARITY_K)
            ort_top, ort_att, ort_state = onnx.step_topk(prev, ort_state, PARITY_K)
            same_best = np.array_equal(ref_top.ids[:, 0], ort_top.ids[:, 0])
            diff = _max_diff(ref_top.values, ort_top.values) if same_best else float("inf")
            worst_lp = max(worst_lp, diff)
            prev = ref_top.ids[:, 0].astype(np.int64)
        else:
            ref_lp, ref_att, ref_state = reference.step(prev, ref_state)
            ort_lp, ort_att, ort_state = onnx.step(prev, ort_state)
            worst_lp = max(worst_lp, _max_diff(ref_lp, ort_lp))
            prev = ref_lp.argmax(axis=1).astype(np.int64)
        worst_att = max(worst_att, _max_diff(ref_att, ort_att))
    state = max(_max_diff(ref_state[k], ort_state[k]) for k in onnx.recurrent_keys)
    return NumericParity(
        sentences=len(rows),
        steps=steps,
        encoder=encoder,
        log_probs=worst_lp,
        attention=worst_att,
        state=state,
    )


def decode_all(
    model: StepModel, rows: Sequence[Sequence[int]], cfg: DecodingConfig, *, batch_size: int
) -> list[tuple[int, ...]]:
    """Best-hypothesis tokens of every row (source ids), in input order. Batches are formed
    as the Translator forms them: sorted by length, `batch_size` rows each."""
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    out: list[tuple[int, ...]] = [() for _ in rows]
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        src, lengths = pad_batch([rows[i] for i in chunk])
        nbest = search(model, src, lengths, bos_id=BOS_ID, eos_id=EOS_ID, cfg=cfg)
        for i, hyps in zip(chunk, nbest, strict=True):
            out[i] = tuple(hyps[0].tokens)
    return out


def share_identical(a: Sequence[tuple[int, ...]], b: Sequence[tuple[int, ...]]) -> float:
    """Share of positions where `a` and `b` hold the same token sequence (1.0 when empty)."""
    if len(a) != len(b):
        raise ValueError(f"{len(a)} vs {len(b)} decodings")
    return sum(x == y for x, y in zip(a, b, strict=True)) / max(1, len(a))


@dataclasses.dataclass(frozen=True, kw_only=True)
class Decodings:
    """Greedy and beam-5 tokens of the same sentences by one model at one batch size."""

    greedy: list[tuple[int, ...]]
    beam: list[tuple[int, ...]]

    @classmethod
    def of(cls, model: StepModel, rows: Sequence[Sequence[int]], *, batch_size: int) -> Decodings:
        return cls(
            greedy=decode_all(model, rows, GREEDY, batch_size=batch_size),
            beam=decode_all(model, rows, BEAM5, batch_size=batch_size),
        )

    def agreement(self, other: Decodings) -> Agreement:
        return Agreement(
            sentences=len(self.greedy),
            greedy=share_identical(self.greedy, other.greedy),
            beam=share_identical(self.beam, other.beam),
        )


class RecordingModel:
    """A StepModel wrapper that keeps the decoder-step feeds it sees (for calibration); it
    steps the way its inner model does (`returns_topk`)."""

    def __init__(self, inner: OnnxStepModel, *, every: int = 1) -> None:
        self.inner = inner
        self.every = every
        self.feeds: list[dict[str, np.ndarray]] = []
        self._count = 0
        self.returns_topk = inner.returns_topk
        self.vocab_size = inner.vocab_size

    def encode(self, src_ids: IntArray, src_lengths: IntArray) -> ArrayState:
        return self.inner.encode(src_ids, src_lengths)

    def step(
        self, prev_tokens: IntArray, state: ArrayState
    ) -> tuple[FloatArray, FloatArray, ArrayState]:
        self._record(prev_tokens, state, None)
        return self.inner.step(prev_tokens, state)

    def step_topk(
        self, prev_tokens: IntArray, state: ArrayState, k: int
    ) -> tuple[TopK, FloatArray, ArrayState]:
        self._record(prev_tokens, state, k)
        return self.inner.step_topk(prev_tokens, state, k)

    def _record(self, prev_tokens: IntArray, state: ArrayState, k: int | None) -> None:
        if self._count % self.every == 0:
            feed = {key: state[key] for key in self.inner.state_keys}
            feed["prev_tokens"] = np.asarray(prev_tokens, dtype=np.int64)
            if k is not None:
                feed["k"] = np.array([max(1, min(k, self.vocab_size))], dtype=np.int64)
            self.feeds.append(feed)
        self._count += 1

    def reorder(self, state: ArrayState, indices: IntArray) -> ArrayState:
        return self.inner.reorder(state, indices)
