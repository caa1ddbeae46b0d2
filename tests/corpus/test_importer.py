"""`nmt data import` end to end through the CLI: layout, manifest, leakage, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nmt.cli import main


def _write_tsv(path: Path, n: int, start: int = 0) -> None:
    lines = [
        f"This is sentence number {i}.\tDas ist Satz Nummer {i}." for i in range(start, start + n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_import_tsv_writes_the_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_tsv(tmp_path / "data.tsv", 5000)
    out = tmp_path / "corpus"
    assert main(["data", "import", str(tmp_path / "data.tsv"), "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    counts = {k: v["count"] for k, v in manifest["splits"].items()}
    assert counts["test"] == 2000 and 1900 <= counts["valid"] <= 2100
    assert sum(counts.values()) == 5000
    for split in ("train", "valid", "test"):
        lines = (out / f"{split}.tsv").read_text(encoding="utf-8").splitlines()
        assert len(lines) == counts[split] and all(line.count("\t") == 1 for line in lines)
    train = {line.split("\t")[0] for line in (out / "train.tsv").read_text().splitlines()}
    test = {line.split("\t")[0] for line in (out / "test.tsv").read_text().splitlines()}
    assert not train & test
    from datasets import load_from_disk

    ds = load_from_disk(str(out / "dataset"))
    assert set(ds) == {"train", "valid", "test"}
    assert ds["train"].column_names == ["source", "target", "origin"]
    assert json.loads(capsys.readouterr().out)["splits"]["test"] == 2000


def test_import_with_own_test_and_skip_bad(tmp_path: Path) -> None:
    _write_tsv(tmp_path / "train.tsv", 50)
    with (tmp_path / "train.tsv").open("a", encoding="utf-8") as fh:
        fh.write("no tab\n")
    _write_tsv(tmp_path / "test.tsv", 5, start=45)  # overlaps train: removed from train
    out = tmp_path / "c"
    args = ["data", "import", str(tmp_path / "train.tsv"), "--out", str(out)]
    args += ["--test", str(tmp_path / "test.tsv"), "--skip-bad"]
    assert main(args) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["splits"]["test"]["count"] == 5
    assert manifest["skipped"]["tsv/missing-column"] == 1
    assert manifest["skipped"]["test-overlap"] == 5


def test_import_errors_are_one_line_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "s.txt").write_text("a\nb\n", encoding="utf-8")
    (tmp_path / "t.txt").write_text("x\n", encoding="utf-8")
    out = tmp_path / "c"
    code = main(
        ["data", "import", str(tmp_path / "s.txt"), str(tmp_path / "t.txt"), "--out", str(out)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "line 2" in err[0] and "Traceback" not in err[0]
    assert not out.exists()  # nothing half-written
    assert main(["data", "import", str(tmp_path / "missing.tsv"), "--out", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["data", "import", str(tmp_path / "s.txt"), "--out", str(out)]) == 2
    assert "--format" in capsys.readouterr().err
