"""The top-k head of decoder_step.onnx: the k best tokens of each row, computed in the graph.

The traced step ends in `log_probs` [B, V] (LogSoftmax). `add_topk_head` rewrites the graph so
that `log_probs` stays inside ONNX Runtime: a new input `k` (int64 [1]) and, in place of the
`log_probs` output, `top_log_probs` float32 [B, k] and `top_ids` int64 [B, k], best first,
equal values ordered by the lower token id (the order `argmax` and the NumPy beam search use).

ONNX Runtime's TopK over a whole 8,000-entry row costs about 8 us a row on one core (more than
the row's LogSoftmax), so when V splits into blocks of W tokens (W a divisor of V in
`_BLOCK_WIDTHS`) the head is blocked and exact:

```
block maxima   ReduceMax over [B, V/W, W]                  -> [B, V/W]
best blocks    TopK(min(k, V/W)) of the maxima, then those  -> [B, k'] block ids, ascending
               block ids sorted ascending
candidates     GatherND of those blocks                     -> [B, k' * W], in token id order
top k          TopK(k) of the candidates                    -> values, positions
token ids      the same blocks of a constant id table [V/W, W], read at those positions
```

Exact: each of the row's k best tokens lies in a block whose maximum ranks among the k best
block maxima (blocks are contiguous id ranges, so ties between blocks and between tokens both
go to the lower id), and the candidates stay in token id order for the final TopK's ties.
With no suitable W the head is one TopK over the row. The graph records V in its metadata
(`vocab_size`), since no output carries it any more.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnx

logger = logging.getLogger(__name__)

LOG_PROBS = "log_probs"
K_INPUT = "k"
TOP_VALUES, TOP_IDS = "top_log_probs", "top_ids"
VOCAB_METADATA = "vocab_size"
_BLOCK_WIDTHS = (64, 50, 40, 32, 25, 20, 16)  # tried in order; the first divisor of V wins
_MIN_BLOCKS = 16  # fewer blocks than this: one TopK over the row is as cheap
_PREFIX = "topk_head/"


def block_width(vocab: int) -> int | None:
    """W for a blocked head over `vocab` tokens, or None for one TopK over the row."""
    return next((w for w in _BLOCK_WIDTHS if vocab % w == 0 and vocab // w >= _MIN_BLOCKS), None)


def _const(model: onnx.ModelProto, name: str, value: list[int] | np.ndarray) -> str:
    from onnx import numpy_helper

    full = _PREFIX + name
    model.graph.initializer.append(numpy_helper.from_array(np.asarray(value, np.int64), full))
    return full


def _blocked_nodes(model: onnx.ModelProto, vocab: int, width: int) -> list[onnx.NodeProto]:
    """Nodes from LOG_PROBS and K_INPUT to TOP_VALUES and TOP_IDS, blocked (module docstring)."""
    from onnx import helper

    p = _PREFIX
    shape = _const(model, "blocks_shape", [-1, vocab // width, width])
    flat = _const(model, "flat_shape", [0, -1])
    nblocks = _const(model, "num_blocks", [vocab // width])
    table = _const(model, "token_ids", np.arange(vocab).reshape(vocab // width, width))
    last = _const(model, "last_axis", [-1])
    node = helper.make_node
    return [
        node("Reshape", [LOG_PROBS, shape], [p + "blocks"]),
        node("ReduceMax", [p + "blocks"], [p + "maxima"], axes=[2], keepdims=0),
        node("Min", [K_INPUT, nblocks], [p + "kb"]),
        node("TopK", [p + "maxima", p + "kb"], [p + "best_max", p + "best"], axis=-1),
        node("TopK", [p + "best", p + "kb"], [p + "sorted", p + "order"], axis=-1, largest=0),
        node("Unsqueeze", [p + "sorted", last], [p + "gather_at"]),
        node("GatherND", [p + "blocks", p + "gather_at"], [p + "chosen"], batch_dims=1),
        node("Reshape", [p + "chosen", flat], [p + "candidates"]),
        node("TopK", [p + "candidates", K_INPUT], [TOP_VALUES, p + "pos"], axis=-1),
        node("Gather", [table, p + "sorted"], [p + "block_ids"], axis=0),
        node("Reshape", [p + "block_ids", flat], [p + "candidate_ids"]),
        node("GatherElements", [p + "candidate_ids", p + "pos"], [TOP_IDS], axis=1),
    ]


def add_topk_head(model: onnx.ModelProto, vocab: int) -> None:
    """Rewrite a traced decoder step (outputs log_probs, attention, new_...) in place: input
    `k` last, outputs top_log_probs, top_ids, attention, new_..., metadata vocab_size = V."""
    from onnx import TensorProto, helper

    outputs = list(model.graph.output)
    if not outputs or outputs[0].name != LOG_PROBS:
        raise ValueError(f"expected {LOG_PROBS} as the first output, got {outputs[:1]}")
    width = block_width(vocab)
    if width is None:
        nodes = [helper.make_node("TopK", [LOG_PROBS, K_INPUT], [TOP_VALUES, TOP_IDS], axis=-1)]
    else:
        nodes = _blocked_nodes(model, vocab, width)
    model.graph.node.extend(nodes)
    model.graph.input.append(helper.make_tensor_value_info(K_INPUT, TensorProto.INT64, [1]))
    heads = [
        helper.make_tensor_value_info(TOP_VALUES, TensorProto.FLOAT, ["batch", "k"]),
        helper.make_tensor_value_info(TOP_IDS, TensorProto.INT64, ["batch", "k"]),
    ]
    del model.graph.output[:]
    model.graph.output.extend([*heads, *outputs[1:]])
    entry = model.metadata_props.add()
    entry.key, entry.value = VOCAB_METADATA, str(vocab)
    logger.debug("top-k head: %s", f"blocks of {width}" if width else "one TopK")
