"""PyTorch backend of the step-model protocol: a `Seq2Seq` driven by the NumPy search.

Used for validation during training and for parity tests against ONNX Runtime; the serving
path uses the ONNX Runtime backend instead and never imports this module (it imports torch).

Conversions are zero-copy on the CPU: `torch.from_numpy` wraps the search's arrays and
`Tensor.numpy()` wraps the model's outputs, so keeping the state as NumPy arrays (as the
protocol says) costs a few microseconds of wrapping per step, not copies. On another device
the conversions do copy (host <-> device) every step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from nmt.model.seq2seq import STATIC_KEYS, Seq2Seq
from nmt.search.protocol import SENTENCE_KEY, ArrayState, FloatArray, IntArray, TopK

logger = logging.getLogger(__name__)


def _to_torch(array: NDArray[Any], device: torch.device) -> torch.Tensor:
    """A tensor sharing the array's memory (on the CPU). Two rare cases are copied first:
    read-only arrays (torch.from_numpy warns that torch could write to them; we never do) and
    negative strides (a reversed view, which torch cannot represent)."""
    if not array.flags.writeable or any(stride < 0 for stride in array.strides):
        array = array.copy()
    return torch.from_numpy(array).to(device)


def _to_numpy(tensor: torch.Tensor) -> NDArray[Any]:
    """The tensor's values as an array: a view on the CPU, a copy from another device."""
    return tensor.detach().cpu().numpy()


class TorchStepModel:
    """`StepModel` over a `Seq2Seq`: eval mode, `torch.inference_mode()`, NumPy in and out.

    The model is put in eval mode here and must stay so (dropout would make the search
    non-deterministic): `encode` refuses a model found back in training mode rather than flip
    the mode of a model that someone is training. Thread count is the caller's business
    (`torch.set_num_threads`). The state stays NumPy, as the protocol says: on the CPU the
    conversions share memory (about 50 us a step for the whole state), and the static entries
    (memory, memory_proj, src_mask) are handed back as the caller's own arrays.

    It offers both step protocols: `step` (log-probabilities [N, V]) and `step_topk` (the k
    best tokens of each row, as the exported top-k graphs return them). `topk` (default True)
    says which one the search uses (`returns_topk`).
    """

    def __init__(self, model: Seq2Seq, *, topk: bool = True) -> None:
        self.model = model.eval()
        self.device = next(model.parameters()).device
        self.returns_topk = topk
        self.vocab_size = model.cfg.vocab_size

    def _tensors(self, state: Mapping[str, NDArray[Any]]) -> dict[str, torch.Tensor]:
        return {key: _to_torch(value, self.device) for key, value in state.items()}

    def encode(self, src_ids: IntArray, src_lengths: IntArray) -> ArrayState:
        """int64 [B, S], int64 [B] (each in 0..S) -> the initial state (see `Seq2Seq.encode`).

        Raises RuntimeError when the model has been put back in training mode.
        """
        if self.model.training:
            raise RuntimeError("TorchStepModel needs the model in eval mode; call model.eval()")
        ids = _to_torch(np.asarray(src_ids, dtype=np.int64), self.device)
        lengths = _to_torch(np.asarray(src_lengths, dtype=np.int64), self.device)
        with torch.inference_mode():
            state = self.model.encode(ids, lengths)
        out: ArrayState = {key: _to_numpy(value) for key, value in state.items()}
        # Lets `reorder` keep the per-sentence arrays when beams only move within a sentence.
        out[SENTENCE_KEY] = np.arange(ids.shape[0], dtype=np.int64)
        return out

    def step(
        self, prev_tokens: IntArray, state: ArrayState
    ) -> tuple[FloatArray, FloatArray, ArrayState]:
        """int64 [N], state -> (log_probs float32 [N, V], attention float32 [N, S], state)."""
        log_probs, attention, out = self._step(prev_tokens, state)
        return _to_numpy(log_probs), attention, out

    def step_topk(
        self, prev_tokens: IntArray, state: ArrayState, k: int
    ) -> tuple[TopK, FloatArray, ArrayState]:
        """int64 [N], state, k -> (the min(k, V) best tokens of each row: values float32
        [N, k'] and ids int64 [N, k'], best first; attention float32 [N, S]; state).

        Ties go to the lower id as in the ONNX graphs: k = 1 is `argmax` (the first maximum);
        for k > 1 `torch.topk`'s k are put in (value descending, id ascending) order, which
        matches except when tokens tie exactly at the k-th place.
        """
        log_probs, attention, out = self._step(prev_tokens, state)
        k = max(1, min(k, log_probs.shape[1]))
        with torch.inference_mode():
            if k == 1:
                ids = log_probs.argmax(dim=1, keepdim=True)
                values = log_probs.gather(1, ids)
            else:
                values, ids = torch.topk(log_probs, k, dim=1)
                order = np.lexsort((ids.numpy(), -values.numpy()), axis=-1)
                index = torch.from_numpy(order)
                values, ids = values.gather(1, index), ids.gather(1, index)
        return TopK(_to_numpy(values), _to_numpy(ids)), attention, out

    def _step(
        self, prev_tokens: IntArray, state: ArrayState
    ) -> tuple[torch.Tensor, FloatArray, ArrayState]:
        """(log-probabilities float32 [N, V] on the CPU, attention float32 [N, S], state)."""
        prev = _to_torch(np.asarray(prev_tokens, dtype=np.int64), self.device)
        inputs = {key: state[key] for key in self.model.state_keys}
        with torch.inference_mode():
            log_probs, attention, new_state = self.model.step(prev, self._tensors(inputs))
        # Everything but the recurrent entries passes through as the caller's own arrays: the
        # static entries (the model returns the same tensors) and keys the model does not use
        # (SENTENCE_KEY, or anything a search adds).
        recurrent = self.model.recurrent_keys
        out: ArrayState = {key: value for key, value in state.items() if key not in recurrent}
        out.update((key, _to_numpy(new_state[key])) for key in recurrent)
        # .float() is a no-op for an fp32 model and makes the protocol's float32 otherwise.
        return log_probs.float().cpu(), _to_numpy(attention.float()), out

    def reorder(self, state: ArrayState, indices: IntArray) -> ArrayState:
        """Rows `indices` (int64 [N']) of every entry, by `index_select` on the torch side.

        Same result as `reorder_state(state, indices, per_sentence=STATIC_KEYS)`: when every
        row position stays on its sentence (a beam step following back-pointers within each
        sentence), the per-sentence arrays (memory, memory_proj, src_mask: the bulk of the
        state) are reused instead of copied.
        """
        rows = np.asarray(indices, dtype=np.int64)
        sentence = state.get(SENTENCE_KEY)
        same_sentence = (
            sentence is not None
            and rows.shape == sentence.shape
            and np.array_equal(sentence[rows], sentence)
        )
        index = _to_torch(rows, self.device)
        out: ArrayState = {}
        with torch.inference_mode():
            for key, value in state.items():
                if same_sentence and key in STATIC_KEYS:
                    out[key] = value
                else:
                    taken = torch.index_select(_to_torch(value, self.device), 0, index)
                    out[key] = _to_numpy(taken)
        return out
