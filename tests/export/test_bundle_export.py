"""`nmt export RUN OUT`: graphs under the work folder, a verified bundle at OUT with the
run's training facts, the export's parity summary, a decoding chosen on valid and a model card;
an fp32 bundle on request; OUT is the only folder written outside the work folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nmt.bundle import MODEL_CARD, load_bundle
from nmt.cli import main
from nmt.translator import Translator


def test_the_bundle_records_training_parity_and_decoding(bundles: Path, corpus: Path) -> None:
    bundle = load_bundle(bundles / "int8")
    manifest = bundle.manifest
    assert bundle.quantization == "int8-dynamic"
    assert manifest.training["steps"] > 0 and manifest.training["time_s"] > 0
    assert manifest.training["best_valid_bleu"] >= 0
    assert manifest.scores["export"]["passed"] is True
    assert manifest.scores["export"]["fp32_vs_torch"]["greedy"] == 1.0
    table = manifest.scores["valid_length_penalty"]
    assert [row["length_penalty"]["type"] for row in table] == ["none", "avg", "gnmt", "gnmt"]
    best = max(table, key=lambda row: row["bleu"])
    assert bundle.decoding is not None
    assert bundle.decoding.length_penalty.type == best["length_penalty"]["type"]
    corpus_sha = manifest.corpus_manifest_sha256
    import hashlib

    assert corpus_sha == hashlib.sha256((corpus / "manifest.json").read_bytes()).hexdigest()
    assert set(json.loads((bundles / "work" / "export_report.json").read_text())) >= {"passed"}


def test_the_fp32_bundle_shares_the_choice_and_translates_the_same(bundles: Path) -> None:
    int8, fp32 = load_bundle(bundles / "int8"), load_bundle(bundles / "fp32")
    assert fp32.quantization == "fp32" and fp32.decoding == int8.decoding
    assert fp32.version != int8.version
    assert (bundles / "fp32" / "encoder.onnx").stat().st_size > (
        bundles / "int8" / "encoder.onnx"
    ).stat().st_size
    out = Translator.load(bundles / "fp32").translate(["Open the file menu.", ""])
    assert out[1].text == "" and isinstance(out[0].text, str)


def test_the_static_bundle_is_written_for_comparison(bundles: Path) -> None:
    static, int8 = load_bundle(bundles / "static"), load_bundle(bundles / "int8")
    assert static.quantization == "int8-static" and static.decoding == int8.decoding
    report = json.loads((bundles / "work" / "export_report.json").read_text())
    assert report["static_int8"]["calibration_sentences"] > 0
    (out,) = Translator.load(bundles / "static").translate(["Open the file menu."])
    assert isinstance(out.text, str)


def test_the_model_card_names_sources_licences_and_limits(bundles: Path) -> None:
    card = (bundles / "int8" / MODEL_CARD).read_text(encoding="utf-8")
    for needle in (
        "## Data and licences",
        "## Intended use",
        "## Scores",
        "## Known limits",
        "Sie",
        "parameters",
    ):
        assert needle in card
    assert "Not evaluated yet" in card


def test_export_refuses_to_replace_a_folder_that_is_not_a_bundle(
    run_dir: Path, corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    args = [
        str(run_dir),
        str(precious),
        "--work",
        str(tmp_path / "work"),
        "--corpus",
        str(corpus),
        "--parity-sentences",
        "8",
        "--tune-sentences",
        "0",
    ]
    assert main(["export", *args]) == 2
    assert (precious / "notes.txt").read_text() == "keep me"
    assert "not a bundle" in capsys.readouterr().err
