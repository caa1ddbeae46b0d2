"""The top-k head of the decoder step (`nmt.export.topk_graph`): exact, ties to the lower id,
blocked or not, for every k."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from nmt.export.topk_graph import VOCAB_METADATA, add_topk_head, block_width


def _head(vocab: int) -> ort.InferenceSession:
    """scores [B, V] -> log_probs (LogSoftmax) and a pass-through output, then the head."""
    graph = helper.make_graph(
        [
            helper.make_node("LogSoftmax", ["scores"], ["log_probs"], axis=-1),
            helper.make_node("Identity", ["scores"], ["attention"]),
        ],
        "step",
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", vocab])],
        [
            helper.make_tensor_value_info("log_probs", TensorProto.FLOAT, ["batch", vocab]),
            helper.make_tensor_value_info("attention", TensorProto.FLOAT, ["batch", vocab]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    add_topk_head(model, vocab)
    onnx.checker.check_model(model)
    assert [o.name for o in model.graph.output] == ["top_log_probs", "top_ids", "attention"]
    assert {p.key: p.value for p in model.metadata_props}[VOCAB_METADATA] == str(vocab)
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def test_block_widths() -> None:
    assert block_width(8000) == 64
    assert block_width(320) == 20
    assert block_width(37) is None and block_width(64) is None  # prime; too few blocks


@pytest.mark.parametrize("vocab", [8000, 320, 37])
@pytest.mark.parametrize("k", [1, 2, 11, 20])
def test_the_head_is_the_stable_top_k(vocab: int, k: int) -> None:
    session = _head(vocab)
    rng = np.random.default_rng(vocab + k)
    # Few distinct values: many exact ties, also across blocks and at the k-th place.
    scores = rng.integers(0, 6, size=(9, vocab)).astype(np.float32)
    scores[0] = 0.0  # a row of nothing but ties
    scores[1, -1] = 9.0  # the best token in the last block
    values, ids, _ = session.run(None, {"scores": scores, "k": np.array([k], np.int64)})
    want = np.argsort(-scores, axis=1, kind="stable")[:, :k]  # LogSoftmax keeps the order
    np.testing.assert_array_equal(ids, want)
    shifted = scores.astype(np.float64) - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(values, np.take_along_axis(log_probs, want, 1), atol=1e-5)
