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

from nmt.config import DecodingConfig, LengthPenaltyConfig
from nmt.export.graphs import GRAPHS, GraphError, check_graph, export_graph
from nmt.export.quantize import gemm_to_matmul, quantize_dynamic_graph
from nmt.search import StepModel, search
from nmt.search.onnx_backend import OnnxStepModel
from nmt.search.torch_backend import TorchStepModel
from nmt.tokenizer import BOS_ID, EOS_ID
from tests.model.helpers import VARIANTS, padded_batch, tiny_model, variant_id

# Every graph variant exported to ONNX in fresh processes: seconds, so in the export lane.
pytestmark = pytest.mark.export


def _export(model: torch.nn.Module, out: Path, *, topk: bool = True) -> OnnxStepModel:
    # In-process export (the product exports each graph in a fresh process; these graphs are
    # tiny and the contract check below would catch a frozen axis).
    out.mkdir(parents=True, exist_ok=True)
    for graph in GRAPHS:
        export_graph(model, graph, out / f"{graph}.onnx", topk=topk)  # type: ignore[arg-type]
        check_graph(out / f"{graph}.onnx", model.cfg, graph, topk=topk)  # type: ignore[arg-type]
    return OnnxStepModel(out / "encoder.onnx", out / "decoder_step.onnx", threads=1)


@pytest.mark.parametrize("topk", [True, False], ids=["topk", "legacy"])
@pytest.mark.parametrize("variant", VARIANTS, ids=variant_id)
def test_every_variant_exports_and_matches(
    variant: dict[str, Any], topk: bool, tmp_path: Path
) -> None:
    model = tiny_model(**variant)
    onnx_model = _export(model, tmp_path, topk=topk)
    assert onnx_model.returns_topk == topk
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
        if topk:
            found, att, ours = onnx_model.step_topk(prev, ours, 4)
            best = np.argsort(-ref_lp, axis=1, kind="stable")[:, :4]
            np.testing.assert_array_equal(found.ids, best)
            np.testing.assert_allclose(found.values, np.take_along_axis(ref_lp, best, 1), atol=1e-5)
        else:
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
    feed["k"] = np.array([3], dtype=np.int64)
    before = ort.InferenceSession(str(path)).run(None, feed)
    after = ort.InferenceSession(str(rewritten)).run(None, feed)
    for a, b in zip(before, after, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)

    int8 = quantize_dynamic_graph(path, tmp_path / "int8.onnx")
    ops = [n.op_type for n in onnx.load(str(int8)).graph.node]
    assert "Gemm" not in ops and ops.count("MatMulInteger") == 4  # gates x2, combine, output


def test_the_joint_gates_step_has_one_gate_product_and_the_same_values(tmp_path: Path) -> None:
    """The int8 source graph: one gate product per layer (not two and an Add), the same
    outputs as the two-product step within float rounding, and one MatMulInteger fewer."""
    model = tiny_model(dec_layers=2)
    two, one = tmp_path / "two.onnx", tmp_path / "one.onnx"
    export_graph(model, "decoder_step", two)
    export_graph(model, "decoder_step", one, joint_gates=True)
    state = TorchStepModel(model).encode(*(t.numpy() for t in padded_batch([4, 2, 3])))
    feed = {k: state[k] for k in ("memory", "memory_proj", "src_mask", "h", "c", "feed")}
    feed["prev_tokens"] = np.full(3, BOS_ID + 5, dtype=np.int64)
    feed["k"] = np.array([3], dtype=np.int64)
    for a, b in zip(
        ort.InferenceSession(str(two)).run(None, feed),
        ort.InferenceSession(str(one)).run(None, feed),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, atol=1e-5)
    products = {}
    for name, path in (("two", two), ("one", one)):
        int8 = quantize_dynamic_graph(path, tmp_path / f"int8-{name}.onnx")
        products[name] = [n.op_type for n in onnx.load(str(int8)).graph.node].count("MatMulInteger")
    assert products["two"] - products["one"] == 2  # one product fewer in each of 2 layers


SEARCHES = [
    DecodingConfig(mode="greedy"),
    DecodingConfig(mode="greedy", min_length=4),
    DecodingConfig(mode="beam", beam_size=5, n_best=3),
    DecodingConfig(mode="beam", beam_size=3, min_length=3, length_penalty=LengthPenaltyConfig()),
]


def _decode(model: StepModel, lengths: list[int], cfg: DecodingConfig) -> list[list[Any]]:
    src, lens = padded_batch(lengths, width=9, seed=3)
    hyps = search(model, src.numpy(), lens.numpy(), bos_id=BOS_ID, eos_id=EOS_ID, cfg=cfg)
    return [[(h.tokens, h.finished) for h in nbest] for nbest in hyps]


def test_the_top_k_step_decodes_as_pytorch_and_the_legacy_step(tmp_path: Path) -> None:
    """V = 320 takes the blocked head (16 blocks of 20). Every step protocol and backend gives
    the same tokens, greedy and beam, with EOS held back by min_length."""
    model = tiny_model(seed=1, vocab_size=320)
    models: dict[str, StepModel] = {
        "onnx top-k": _export(model, tmp_path / "topk"),
        "onnx legacy": _export(model, tmp_path / "legacy", topk=False),
        "torch top-k": TorchStepModel(model),
        "torch log-probs": TorchStepModel(model, topk=False),
    }
    lengths = [9, 4, 1, 0, 6, 7]
    for cfg in SEARCHES:
        want = _decode(models["torch log-probs"], lengths, cfg)
        for name, step_model in models.items():
            assert _decode(step_model, lengths, cfg) == want, (name, cfg)


def test_top_k_graphs_beam_one_is_greedy_and_batching_changes_nothing(tmp_path: Path) -> None:
    onnx_model = _export(tiny_model(seed=2, vocab_size=320), tmp_path)
    lengths = [9, 4, 1, 6, 7]
    greedy = _decode(onnx_model, lengths, DecodingConfig(mode="greedy"))
    beam1 = _decode(onnx_model, lengths, DecodingConfig(mode="beam", beam_size=1))
    assert greedy == beam1
    for cfg in SEARCHES:
        together = _decode(onnx_model, lengths, cfg)
        src, lens = padded_batch(lengths, width=9, seed=3)
        for i in range(len(lengths)):
            alone = search(
                onnx_model,
                src[i : i + 1].numpy(),
                lens[i : i + 1].numpy(),
                bos_id=BOS_ID,
                eos_id=EOS_ID,
                cfg=cfg,
            )
            got = [(h.tokens, h.finished) for h in alone[0]]
            assert got == together[i], (cfg, i)
