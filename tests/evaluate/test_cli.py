"""`nmt evaluate` on a tiny exported bundle: the report's files and keys, recording test scores
in the bundle, and the paired comparison of two bundles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nmt.bundle import MODEL_CARD, load_bundle
from nmt.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report_dir(bundles: Path, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    args = [
        "evaluate",
        str(bundles / "int8"),
        "--corpus",
        str(corpus),
        "--out",
        str(out),
        "--beams",
        "1,2",
        "--bootstrap",
        "50",
        "--max-sentences",
        "30",
        "--threads",
        "1",
    ]
    assert main(args) == 0
    return out


def test_the_report_has_scores_by_decoding_part_and_length(report_dir: Path) -> None:
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert [run["label"] for run in report["decodings"]][:3] == ["greedy", "beam 1", "beam 2"]
    greedy, beam1 = report["decodings"][0], report["decodings"][1]
    assert greedy["parts"] == beam1["parts"]  # beam 1 is greedy
    (part,) = report["testset"]["parts"]  # an imported corpus has one test part, "user"
    assert part == "user"
    scores = greedy["parts"][part]
    assert set(scores) == {"bleu", "chrf", "ter", "bleu_lc", "exact"}
    assert scores["bleu"]["signature"].startswith("nrefs:1|bs:50|")
    assert 0 <= scores["bleu"]["score"] <= 100 and scores["bleu"]["ci"] >= 0
    assert sum(b["sentences"] for b in report["length_buckets"]) == report["testset"]["sentences"]
    assert set(report["placeholders"]) >= {"placed_by_model", "inserted_by_fallback"}
    assert report["attention"] and len(report["attention"][0]["weights"]) == len(
        report["attention"][0]["tgt_tokens"]
    )
    hyps = (report_dir / "hypotheses.default.txt").read_text(encoding="utf-8").splitlines()
    assert len(hyps) == report["testset"]["sentences"]


def test_the_report_writes_markdown_and_real_pngs(report_dir: Path) -> None:
    markdown = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "## Scores by decoding" in markdown and "nrefs:1" in markdown
    for name in ("bleu_by_beam.png", "bleu_by_length.png", "attention_1.png"):
        assert (report_dir / name).read_bytes()[:8] == PNG, name
        assert f"]({name})" in markdown


def test_record_writes_test_scores_into_the_bundle(
    bundles: Path, corpus: Path, tmp_path: Path
) -> None:
    import shutil

    bundle_dir = tmp_path / "bundle"
    shutil.copytree(bundles / "int8", bundle_dir)
    args = [
        "evaluate",
        str(bundle_dir),
        "--corpus",
        str(corpus),
        "--out",
        str(tmp_path / "r"),
        "--beams",
        "2",
        "--bootstrap",
        "20",
        "--max-sentences",
        "10",
        "--no-plots",
        "--record",
    ]
    assert main(args) == 0
    bundle = load_bundle(bundle_dir)  # still verifies: the manifest was re-hashed properly
    test = bundle.manifest.scores["test"]
    assert test["parts"]["user"]["bleu"]["signature"].startswith("nrefs:1")
    assert "export" in bundle.manifest.scores  # the export's parity summary is kept
    card = (bundle_dir / MODEL_CARD).read_text(encoding="utf-8")
    assert "| user | 10 |" in card and "Not evaluated yet" not in card
    assert "| synthetic" in card or "| source | train |" in card


def test_compare_runs_a_paired_bootstrap(bundles: Path, corpus: Path, tmp_path: Path) -> None:
    args = [
        "evaluate",
        "--compare",
        str(bundles / "fp32"),
        str(bundles / "int8"),
        "--corpus",
        str(corpus),
        "--out",
        str(tmp_path),
        "--bootstrap",
        "30",
        "--max-sentences",
        "20",
    ]
    assert main(args) == 0
    result = json.loads((tmp_path / "compare.json").read_text(encoding="utf-8"))
    names = result["models"]
    assert len(names) == 2 and names[0].endswith("fp32")
    p_value = result["parts"]["user"]["bleu"][names[1]]["p_value"]
    assert 0 < p_value <= 1
    assert "p-value" in (tmp_path / "compare.md").read_text(encoding="utf-8")


def test_a_bad_test_file_is_refused_in_one_line(
    bundles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("one\ttwo\nno tab here\n", encoding="utf-8")
    assert main(["evaluate", str(bundles / "int8"), "--test", str(bad), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err and len(err.strip().splitlines()) == 1
