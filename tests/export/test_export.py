"""`export_run` on a tiny trained run: graph contract, parity with PyTorch, batch invariance,
int8 graphs, a failing parity check, and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nmt.cli import main
from nmt.config import DecodingConfig
from nmt.export import ExportError, ExportReport, export_run
from nmt.export import run as export_module
from nmt.export.graphs import GRAPHS, contract_shapes, export_graph, graph_axes
from nmt.export.parity import TOLERANCE, decode_all
from nmt.search import search
from nmt.search.onnx_backend import OnnxStepModel
from nmt.search.torch_backend import TorchStepModel
from nmt.tokenizer import BOS_ID, EOS_ID, Tokenizer
from nmt.translator import pad_batch
from tests.trained import PARITY_SENTENCES
from training.checkpoint import load_checkpoint

GREEDY = DecodingConfig(mode="greedy")
BEAM = DecodingConfig(mode="beam", beam_size=5)


def _onnx(folder: Path) -> OnnxStepModel:
    return OnnxStepModel(folder / "encoder.onnx", folder / "decoder_step.onnx", threads=1)


def _rows(run_dir: Path, corpus: Path, count: int) -> list[list[int]]:
    texts = export_module.valid_sources(corpus, count)
    _, model = load_checkpoint(run_dir / "best.ckpt")
    return export_module.encode_sources(model, Tokenizer.load(run_dir / "spm.model"), texts)


def test_layout_and_report(exported: tuple[Path, ExportReport]) -> None:
    out, report = exported
    for folder in ("fp32", "int8"):
        for name in ("encoder.onnx", "decoder_step.onnx"):
            assert (out / folder / name).stat().st_size > 0
    assert report.passed and not report.failures
    saved = json.loads((out / "export_report.json").read_text())
    assert saved["passed"] is True and saved["files"] == report.files
    assert report.fp32_vs_torch is not None and report.fp32_vs_torch.sentences == PARITY_SENTENCES
    # int8 is smaller: weights are stored in 8 bits.
    assert report.files["int8/decoder_step.onnx"] < report.files["fp32/decoder_step.onnx"] / 2


@pytest.mark.parametrize("folder", ["fp32", "int8"])
def test_every_input_keeps_its_dynamic_axes(
    exported: tuple[Path, ExportReport], run_dir: Path, folder: str
) -> None:
    cfg, _ = load_checkpoint(run_dir / "best.ckpt")
    for graph in GRAPHS:
        axes = graph_axes(exported[0] / folder / f"{graph}.onnx")
        want = contract_shapes(cfg.model, graph)
        assert list(axes) == list(want)  # names and order of inputs then outputs
        for name, dims in want.items():
            assert axes[name] == dims, name
        assert axes["memory" if graph == "encoder" else "prev_tokens"][0] == "batch"
        for name in ("src_ids", "memory", "src_mask"):
            if name in axes:
                assert axes[name][:2] == ["batch", "src_len"]  # dim_param, not dim_value


def test_fp32_matches_pytorch_token_for_token(
    exported: tuple[Path, ExportReport], run_dir: Path, corpus: Path
) -> None:
    report = exported[1]
    assert report.numeric is not None and report.numeric.worst <= TOLERANCE
    assert report.fp32_vs_torch is not None
    assert (report.fp32_vs_torch.greedy, report.fp32_vs_torch.beam) == (1.0, 1.0)
    # And independently of the report: scores too, on a batch with padding.
    _, model = load_checkpoint(run_dir / "best.ckpt")
    reference, onnx = TorchStepModel(model), _onnx(exported[0] / "fp32")
    src, lengths = pad_batch(_rows(run_dir, corpus, 24))
    for cfg in (GREEDY, BEAM):
        ours = search(onnx, src, lengths, bos_id=BOS_ID, eos_id=EOS_ID, cfg=cfg)
        ref = search(reference, src, lengths, bos_id=BOS_ID, eos_id=EOS_ID, cfg=cfg)
        for a, b in zip(ours, ref, strict=True):
            assert a[0].tokens == b[0].tokens
            assert abs(a[0].log_prob - b[0].log_prob) <= 1e-3
            np.testing.assert_allclose(a[0].attention, b[0].attention, atol=TOLERANCE)
    assert any(len(h[0].tokens) > 3 for h in ours)  # a trained model, not instant EOS


def test_fp32_outputs_do_not_depend_on_batch_composition(
    exported: tuple[Path, ExportReport], run_dir: Path, corpus: Path
) -> None:
    onnx = _onnx(exported[0] / "fp32")
    rows = _rows(run_dir, corpus, 32)
    shuffled = [rows[i] for i in np.random.default_rng(0).permutation(len(rows))]
    for cfg in (GREEDY, BEAM):
        by_size = {b: decode_all(onnx, shuffled, cfg, batch_size=b) for b in (1, 7, 32)}
        assert by_size[1] == by_size[7] == by_size[32]
    report = exported[1]
    assert report.fp32_batch1_vs_32 is not None
    assert (report.fp32_batch1_vs_32.greedy, report.fp32_batch1_vs_32.beam) == (1.0, 1.0)


def test_int8_graphs_load_and_decode(
    exported: tuple[Path, ExportReport], run_dir: Path, corpus: Path
) -> None:
    int8 = _onnx(exported[0] / "int8")
    src, lengths = pad_batch(_rows(run_dir, corpus, 8))
    for cfg in (GREEDY, BEAM):
        nbest = search(int8, src, lengths, bos_id=BOS_ID, eos_id=EOS_ID, cfg=cfg)
        assert all(h[0].tokens and max(h[0].tokens) < int8.vocab_size for h in nbest)
    report = exported[1]
    for agreement in (report.int8_vs_fp32, report.int8_batch1_vs_32):
        assert agreement is not None and agreement.sentences == PARITY_SENTENCES
        assert 0.5 <= agreement.greedy <= 1.0 and 0.5 <= agreement.beam <= 1.0


def test_parity_check_fails_on_graphs_of_another_model(
    run_dir: Path, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Graphs exported from a different model (same shape, other weights) must fail."""
    _, model = load_checkpoint(run_dir / "best.ckpt")
    with torch.no_grad():
        for param in model.output.parameters():
            param.add_(0.05 * torch.randn_like(param))

    def tampered(_: object, out: Path) -> dict[str, Path]:
        out.mkdir(parents=True, exist_ok=True)
        for graph in GRAPHS:
            export_graph(model, graph, out / f"{graph}.onnx")
        return {g: out / f"{g}.onnx" for g in GRAPHS}

    monkeypatch.setattr(export_module, "export_graphs", tampered)
    with pytest.raises(ExportError, match="parity check failed") as caught:
        export_run(
            run_dir,
            tmp_path,
            load_checkpoint=load_checkpoint,
            parity_sentences=16,
            corpus_dir=corpus,
            quantize=False,
        )
    assert caught.value.report is not None and not caught.value.report.passed
    assert json.loads((tmp_path / "export_report.json").read_text())["passed"] is False


def test_cli_refuses_a_missing_run_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(tmp_path / "none"), str(tmp_path / "out")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
