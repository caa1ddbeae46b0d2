"""`nmt data merge`: users' corrections join the train split of an existing corpus, through the
corpus's filter and the leakage rule, never valid or test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nmt.cli import main
from nmt.corpus.merge import merge_into_train
from nmt.corpus.output import read_manifest, write_corpus
from nmt.corpus.types import RawPair


def pair(source: str, target: str, origin: str = "pkg") -> RawPair:
    return RawPair(source, target, origin, "")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    out = tmp_path / "corpus"
    splits = {
        "train": [pair("Open the file", "Datei öffnen"), pair("Quit now", "Jetzt beenden")],
        "valid": [pair("Save the document", "Dokument speichern")],
        "test": [pair("Close the window", "Fenster schließen")],
    }
    manifest = {"pair": "en-de", "filters": {"train_valid": {"max_words": 80}}}
    write_corpus(out, splits, manifest)
    return out


def test_corrections_join_train_only_and_never_leak(corpus: Path, tmp_path: Path) -> None:
    exported = tmp_path / "suggestions.tsv"
    exported.write_text(
        "Print the page\tSeite drucken\n"  # new: added
        "close the WINDOW\tDas Fenster schließen\n"  # a test source (case-folded): dropped
        "Save the document\tDas Dokument sichern\n"  # a valid source: dropped
        "Open the file\tDatei öffnen\n"  # already in train: dropped
        "Same\tSame\n",  # untranslated: dropped
        encoding="utf-8",
    )
    entry = merge_into_train(exported, corpus)
    assert entry["added"] == 1
    assert entry["skipped"] == {
        "duplicate-of-train": 1,
        "leakage/valid-or-test": 2,
        "suggestions/untranslated": 1,
    }
    train = (corpus / "train.tsv").read_text(encoding="utf-8").splitlines()
    assert train[-1] == "Print the page\tSeite drucken" and len(train) == 3
    assert (corpus / "test.tsv").read_text(encoding="utf-8") == (
        "Close the window\tFenster schließen\n"
    )
    assert (corpus / "valid.tsv").read_text(encoding="utf-8").count("\n") == 1
    manifest = read_manifest(corpus)
    assert manifest["splits"]["train"]["count"] == 3 and manifest["merged"] == [entry]
    from datasets import load_from_disk

    dataset = load_from_disk(str(corpus / "dataset"))
    assert dataset["train"][-1]["origin"] == "suggestions/suggestions.tsv"


def test_the_merge_command(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / "export.tsv"
    exported.write_text("Print the page\tSeite drucken\n", encoding="utf-8")
    assert main(["data", "merge", str(exported), "--into", str(corpus)]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 1
