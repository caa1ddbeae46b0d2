"""bench/step_compare.py times what both sides have: an export's fp32/ and int8/, or a bundle's
own graphs under its manifest's precision (an old shipped model against a new one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.step_compare import _parity, graph_folders, shared_precisions

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "en-de"


def _export(root: Path, precisions: tuple[str, ...]) -> Path:
    for precision in precisions:
        (root / precision).mkdir(parents=True)
        (root / precision / "decoder_step.onnx").write_bytes(b"")
    return root


def test_an_export_offers_its_precision_folders(tmp_path: Path) -> None:
    export = _export(tmp_path / "e", ("fp32", "int8"))
    assert graph_folders(export) == {"int8": export / "int8", "fp32": export / "fp32"}


def test_a_bundle_offers_its_own_graphs_as_int8() -> None:
    assert graph_folders(SHIPPED) == {"int8": SHIPPED}
    assert _parity(SHIPPED)["fp32_vs_torch"]["greedy"] == 1.0


def test_a_bundle_against_an_export_compares_int8_only(tmp_path: Path) -> None:
    export = _export(tmp_path / "e", ("fp32", "int8"))
    assert shared_precisions(SHIPPED, export) == {
        "int8": {"before": SHIPPED, "after": export / "int8"}
    }


def test_no_shared_int8_is_refused(tmp_path: Path) -> None:
    fp32_only = _export(tmp_path / "e", ("fp32",))
    (tmp_path / "b").mkdir()
    manifest = json.loads((SHIPPED / "manifest.json").read_text(encoding="utf-8"))
    (tmp_path / "b" / "manifest.json").write_text(json.dumps({**manifest, "quantization": "fp32"}))
    with pytest.raises(SystemExit, match="no int8 graphs"):
        shared_precisions(fp32_only, tmp_path / "b")
