"""Decoding search (greedy, beam), written once in NumPy against the `StepModel` protocol.

Backends (PyTorch for validation and parity tests, ONNX Runtime for serving) implement
`StepModel`; this package imports neither framework.
"""

from nmt.search.beam import beam_search
from nmt.search.dispatch import search
from nmt.search.greedy import greedy_search
from nmt.search.lanes import Lanes
from nmt.search.length_penalty import length_penalty, penalized_score
from nmt.search.limits import max_output_lengths
from nmt.search.protocol import (
    SENTENCE_KEY,
    ArrayState,
    Hypothesis,
    SearchCancelledError,
    StepModel,
    StopCheck,
    reorder_state,
)

__all__ = [
    "SENTENCE_KEY",
    "ArrayState",
    "Hypothesis",
    "Lanes",
    "SearchCancelledError",
    "StepModel",
    "StopCheck",
    "beam_search",
    "greedy_search",
    "length_penalty",
    "max_output_lengths",
    "penalized_score",
    "reorder_state",
    "search",
]
