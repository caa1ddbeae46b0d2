"""The step-model protocol that every decoding backend implements, and what a search returns.

The search (greedy, beam) is written once, in NumPy, against three calls:

```
encode(src_ids, src_lengths)  -> state
step(prev_tokens, state)      -> (log_probs [N, V], attention [N, S], state)
reorder(state, indices)       -> state
```

A model may instead (or as well) offer the top-k step (`TopKStepModel`, `returns_topk` True):

```
step_topk(prev_tokens, state, k) -> (TopK(values [N, k], ids [N, k]), attention [N, S], state)
```

so that the [N, V] log-probabilities never leave the model (the ONNX graphs exported since the
top-k step compute the top k inside ONNX Runtime). The search asks each step for exactly what it
needs (`nmt.search.candidates`): greedy the best token, beam the 2K best of every row.

An `ArrayState` is a flat dict of NumPy arrays whose FIRST axis is the row axis (a sentence in
greedy search, a sentence x beam slot in beam search). Everything a step needs travels in it, the
encoder's outputs included (by convention `"memory"` [N, S, H] and `"src_mask"` [N, S] bool, plus
whatever recurrent state the decoder has), so that expanding a batch to beams, following beam
back-pointers and dropping finished sentences are all one generic take along axis 0
(`reorder_state`). (The PyTorch model's own state is `nmt.model.TensorState`.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from typing import Any, Protocol, TypeAlias

import numpy as np
from numpy.typing import NDArray

IntArray: TypeAlias = NDArray[np.int64]
FloatArray: TypeAlias = NDArray[np.float32]
ScoreArray: TypeAlias = NDArray[np.float64]
BoolArray: TypeAlias = NDArray[np.bool_]

ArrayState: TypeAlias = dict[str, NDArray[Any]]
"""Decoder state: every array has the row axis (batch, or batch * beam) first."""


StopCheck: TypeAlias = Callable[[], bool]
"""Asked between decoder steps: True when the caller no longer wants the result (a deadline
passed, the client left). The search then raises `SearchCancelledError`."""


class SearchCancelledError(Exception):
    """The search stopped before its end because its `should_stop` said so; no result."""


def check_stop(should_stop: StopCheck | None) -> None:
    """Raise SearchCancelledError if `should_stop` (None: never) says the caller gave up."""
    if should_stop is not None and should_stop():
        raise SearchCancelledError("search cancelled by its caller")


SENTENCE_KEY = "sentence"
"""Optional state key: int64 [N], the batch index of the source sentence of each row."""


def reorder_state(
    state: ArrayState, indices: IntArray, *, per_sentence: Collection[str] = ()
) -> ArrayState:
    """Take rows `indices` (int64 [N'], any order, repeats allowed) of every array in `state`.

    This is the whole of beam bookkeeping on the model side: beam expansion is
    `reorder_state(state, np.repeat(np.arange(B), K))`, following back-pointers is a take with the
    parent rows, dropping finished sentences is a take that leaves their rows out. The result
    holds fresh arrays (NumPy fancy indexing copies), except as below; states are never written
    in place, so an array may be shared between states.

    per_sentence: keys whose rows depend only on the row's source sentence (the encoder memory
    and the source mask). When the state carries `SENTENCE_KEY` and the reorder keeps every row
    position on the same sentence (a beam step that only follows back-pointers within each
    sentence), those arrays are reused instead of copied: copying a [320, 30, 512] float32
    memory (64 sentences x 5 beams) costs more than the rest of the search step.
    """
    if per_sentence and SENTENCE_KEY in state:
        sentence = state[SENTENCE_KEY]
        if indices.shape == sentence.shape and np.array_equal(sentence[indices], sentence):
            return {k: v if k in per_sentence else v[indices] for k, v in state.items()}
    return {key: value[indices] for key, value in state.items()}


class StepModel(Protocol):
    """What the search needs from a model. Backends (PyTorch, ONNX Runtime) implement this.

    Contracts the search relies on:
    - rows are independent: a row's outputs depend on that row's inputs only, never on batch
      composition or padding (mask padded source positions); this is what batch invariance means;
    - `log_probs` are normalised log-probabilities (log-softmax, so every value is <= 0): the
      beam search's early stop bounds future scores by the score so far;
    - returned arrays may be kept by the search but are never written to.
    """

    def encode(self, src_ids: IntArray, src_lengths: IntArray) -> ArrayState:
        """Encode a padded batch.

        src_ids: int64 [B, S], padded after each sentence's `src_lengths[i]` tokens.
        src_lengths: int64 [B], each in 0..S.
        Returns the initial decoder state with B rows (encoder memory and mask included).
        """
        ...

    def step(
        self, prev_tokens: IntArray, state: ArrayState
    ) -> tuple[FloatArray, FloatArray, ArrayState]:
        """Advance every row by one target token.

        prev_tokens: int64 [N], the previous output token of each row (BOS at the first step).
        Returns (log_probs float32 [N, V], attention float32 [N, S] with zeros on padded source
        positions, the next state with N rows).
        """
        ...

    def reorder(self, state: ArrayState, indices: IntArray) -> ArrayState:
        """Take rows `indices` (int64 [N']) of `state`; `reorder_state` is the reference."""
        ...


@dataclasses.dataclass(frozen=True, slots=True)
class TopK:
    """The k best next tokens of every row, best first; equal values rank the lower id first.

    values: float32 [N, k], normalised log-probabilities (log-softmax values, <= 0).
    ids: int64 [N, k], the token ids of those values.
    """

    values: FloatArray
    ids: IntArray


class TopKStepModel(StepModel, Protocol):
    """A `StepModel` whose step can return the k best tokens of each row instead of all V.

    `returns_topk` True: the search calls `step_topk` (and never `step`); False: `step`.
    """

    @property
    def returns_topk(self) -> bool:
        """True when the search should use `step_topk`."""
        ...

    @property
    def vocab_size(self) -> int:
        """V: the number of token ids a step scores."""
        ...

    def step_topk(
        self, prev_tokens: IntArray, state: ArrayState, k: int
    ) -> tuple[TopK, FloatArray, ArrayState]:
        """Advance every row by one target token, as `step`, but return only the min(k, V)
        best tokens of each row (`TopK`, best first, ties to the lower id), the attention
        float32 [N, S] and the next state."""
        ...


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Hypothesis:
    """One output of the search for one sentence.

    tokens: output token ids, without BOS and without EOS.
    score: the ranking score: `log_prob` divided by the length penalty of the hypothesis (see
        `nmt.search.length_penalty`; the length counts EOS when `finished`).
    log_prob: sum of the log-probabilities of the tokens, EOS included when `finished`.
    attention: float32 [len(tokens), S_i]: for each output token, the attention over the source
        positions of this sentence only (trimmed to its true length S_i).
    finished: True when the hypothesis ended with EOS; False when it was cut at the maximum
        output length.
    """

    tokens: list[int]
    score: float
    log_prob: float
    attention: FloatArray
    finished: bool
