"""Graph export of every model variant, the graph contract check, and the Gemm rewrite that
lets dynamic int8 quantization reach the decoder's linear layers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from nmt.export.graphs import GRAPHS, GraphError, check_graph, export_graph
from nmt.export.quantize import gemm_to_matmul, quantize_dynamic_graph
from nmt.search.onnx_backend import OnnxStepModel
from nmt.search.torch_backend import TorchStepModel
from nmt.tokenizer import BOS_ID
from tests.model.helpers import VARIANTS, padded_batch, tiny_model, variant_id

# Every graph variant exported to ONNX in fresh processes: seconds, so in the export lane.
pytestmark = pytest.mark.export


def _export(model: torch.nn.Module, out: Path) -> OnnxStepModel:
    # In-process export (the product exports each graph in a fresh process; these graphs are
    # tiny and the contract check below would catch a frozen axis).
    for graph in GRAPHS:
        export_graph(model, graph, out / f"{graph}.onnx")  # type: ignore[arg-type]
        check_graph(out / f"{graph}.onnx", model.cfg, graph)  # type: ignore[arg-type]
    return OnnxStepModel(out / "encoder.onnx", out / "decoder_step.onnx", threads=1)


@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_every_variant_exports_and_matches(variant: dict[str, Any], tmp_path: Path) -> None:
    model = tiny_model(**variant)
    onnx_model = _export(model, tmp_path)
    reference = TorchStepModel(model)
    # Another batch size and width than the trace used (3 x 7), an empty source included.
    src, lengths = padded_batch([9, 4, 1, 0, 6], width=10)
    ref = reference.encode(src.numpy(), lengths.numpy())
    ours = onnx_model.encode(src.numpy(), lengths.numpy())
    assert set(ours) == set(ref)
    for key in ref:
        np.testing.assert_allclose(ours[key], ref[key], atol=1e-5, err_msg=key)
    prev = np.full(5, BOS_ID, dtype=np.int64)
    for _ in range(3):
        ref_lp, ref_att, ref = reference.step(prev, ref)
        lp, att, ours = onnx_model.step(prev, ours)
        np.testing.assert_allclose(lp, ref_lp, atol=1e-5)
        np.testing.assert_allclose(att, ref_att, atol=1e-5)
        prev = ref_lp.argmax(axis=1)


def test_check_graph_refuses_a_frozen_axis(tmp_path: Path) -> None:
    model = tiny_model()
    path = tmp_path / "encoder.onnx"
    export_graph(model, "encoder", path)
    check_graph(path, model.cfg, "encoder")
    proto = onnx.load(str(path))
    proto.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 7  # freeze src_len
    onnx.save(proto, str(path))
    with pytest.raises(GraphError, match="src_ids"):
        check_graph(path, model.cfg, "encoder")


def test_gemm_rewrite_is_exact_and_int8_reaches_the_output_layer(tmp_path: Path) -> None:
    model = tiny_model()
    path = tmp_path / "decoder_step.onnx"
    export_graph(model, "decoder_step", path)
    proto = onnx.load(str(path))
    assert gemm_to_matmul(proto) >= 3  # LSTM input and hidden gates, output projection
    assert not [n for n in proto.graph.node if n.op_type == "Gemm"]
    rewritten = tmp_path / "matmul.onnx"
    onnx.save(proto, str(rewritten))
    state = TorchStepModel(model).encode(*(t.numpy() for t in padded_batch([4, 2])))
    feed = {k: state[k] for k in ("memory", "memory_proj", "src_mask", "h", "c", "feed")}
    feed["prev_tokens"] = np.full(2, BOS_ID, dtype=np.int64)
    before = ort.InferenceSession(str(path)).run(None, feed)
    after = ort.InferenceSession(str(rewritten)).run(None, feed)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)

    int8 = quantize_dynamic_graph(path, tmp_path / "int8.onnx")
    ops = [n.op_type for n in onnx.load(str(int8)).graph.node]
    assert "Gemm" not in ops and ops.count("MatMulInteger") == 4  # gates x2, combine, output
