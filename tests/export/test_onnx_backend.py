"""OnnxStepModel: the StepModel protocol over the exported graphs, torch-free."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nmt.export import ExportReport
from nmt.search.onnx_backend import OnnxModelError, OnnxStepModel
from nmt.search.protocol import SENTENCE_KEY, StepModel, reorder_state
from nmt.tokenizer import BOS_ID, PAD_ID


def test_importing_the_onnx_backend_imports_no_torch() -> None:
    code = (
        "import sys\nimport nmt.search.onnx_backend, nmt.search\n"
        "print(' '.join(m for m in ('torch', 'onnx', 'pytorch_lightning') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "torch" not in out.stdout.split()


def test_importing_the_export_package_imports_no_torch() -> None:
    """`nmt export` is wired into the torch-free CLI: torch loads only when an export runs."""
    code = (
        "import sys\nimport nmt.export, nmt.export.cli, nmt.export.quantize\n"
        "print(' '.join(m for m in ('torch', 'onnx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


def _model(exported: tuple[Path, ExportReport], folder: str = "fp32") -> OnnxStepModel:
    root = exported[0] / folder
    return OnnxStepModel(root / "encoder.onnx", root / "decoder_step.onnx", threads=1)


def _batch() -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([5, 1, 8, 0], dtype=np.int64)
    ids = np.random.default_rng(0).integers(4, 300, size=(4, 8), dtype=np.int64)
    ids[np.arange(8)[None, :] >= lengths[:, None]] = PAD_ID
    return ids, lengths


def test_state_keys_come_from_the_graphs(exported: tuple[Path, ExportReport]) -> None:
    model = _model(exported)
    assert model.returns_topk  # an export writes the top-k step
    with pytest.raises(OnnxModelError, match="use step_topk"):
        model.step(np.full(1, BOS_ID, dtype=np.int64), {})
    assert model.state_keys == ("memory", "memory_proj", "src_mask", "h", "c", "feed")
    assert model.recurrent_keys == ("h", "c", "feed")
    assert model.static_keys == ("memory", "memory_proj", "src_mask")


def test_step_passes_static_arrays_through_and_reorder_reuses_them(
    exported: tuple[Path, ExportReport],
) -> None:
    model: StepModel = _model(exported)
    ids, lengths = _batch()
    state = model.encode(ids, lengths)
    assert state["src_mask"].dtype == np.bool_ and state[SENTENCE_KEY].tolist() == [0, 1, 2, 3]
    assert not state["src_mask"][3].any()  # the empty source attends nowhere
    found, attention, new = model.step_topk(np.full(4, BOS_ID, dtype=np.int64), state, 3)
    assert found.values.dtype == np.float32 and found.values.shape == (4, 3)
    assert found.ids.dtype == np.int64 and found.ids.shape == (4, 3)
    assert np.all(found.values <= 0) and np.all(np.diff(found.values, axis=1) <= 0)
    assert attention.shape == (4, 8) and np.all(attention[ids == PAD_ID] == 0.0)
    for key in ("memory", "memory_proj", "src_mask", SENTENCE_KEY):
        assert new[key] is state[key]
    assert new["h"] is not state["h"]

    beams = model.reorder(new, np.repeat(np.arange(4), 3))  # expansion: copies
    assert beams["memory"].shape[0] == 12
    within = np.array([2, 1, 0, 3, 3, 5, 6, 8, 8, 9, 11, 10])  # back-pointers, same sentences
    moved = model.reorder(beams, within)
    assert moved["memory"] is beams["memory"]
    ref = reorder_state(beams, within)
    for key, value in ref.items():
        np.testing.assert_array_equal(moved[key], value)


def test_from_bytes_and_non_contiguous_inputs(exported: tuple[Path, ExportReport]) -> None:
    root = exported[0] / "int8"
    model = OnnxStepModel.from_bytes(
        (root / "encoder.onnx").read_bytes(), (root / "decoder_step.onnx").read_bytes(), threads=1
    )
    ids, lengths = _batch()
    state = model.encode(ids[::-1], lengths[::-1])  # reversed views
    ref = model.encode(ids[::-1].copy(), lengths[::-1].copy())
    np.testing.assert_array_equal(state["memory"], ref["memory"])


def test_swapped_graphs_are_refused(exported: tuple[Path, ExportReport]) -> None:
    root = exported[0] / "fp32"
    with pytest.raises(OnnxModelError, match="inputs do not match"):
        OnnxStepModel(root / "decoder_step.onnx", root / "encoder.onnx", threads=1)
    with pytest.raises(OnnxModelError, match="cannot load"):
        OnnxStepModel.from_bytes(b"not onnx", b"not onnx")
