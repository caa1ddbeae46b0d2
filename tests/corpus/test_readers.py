from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from nmt.corpus.readers import (
    CorpusInputError,
    read_hf_dataset,
    read_jsonl,
    read_text_pair,
    read_tsv,
)


def test_tsv_reads_and_names_line_of_a_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "a.tsv"
    path.write_bytes(b"Open\t\xc3\x96ffnen\nno tab here\nSave\tSpeichern\n")
    with pytest.raises(CorpusInputError, match=r"a\.tsv:2: 1 column"):
        list(read_tsv(path))
    skipped: Counter[str] = Counter()
    pairs = list(read_tsv(path, skip_bad=True, skipped=skipped))
    assert [(p.source, p.target) for p in pairs] == [("Open", "Öffnen"), ("Save", "Speichern")]
    assert skipped == Counter({"missing-column": 1})


def test_undecodable_bytes_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "b.tsv"
    path.write_bytes(b"ok\tgut\nbad \xff\tschlecht\n")
    with pytest.raises(CorpusInputError, match=r"b\.tsv:2: not UTF-8"):
        list(read_tsv(path))
    skipped: Counter[str] = Counter()
    assert len(list(read_tsv(path, skip_bad=True, skipped=skipped))) == 1
    assert skipped["undecodable"] == 1


def test_text_pair_with_different_line_counts_is_an_error(tmp_path: Path) -> None:
    src, tgt = tmp_path / "s.txt", tmp_path / "t.txt"
    src.write_text("a\nb\nc\n", encoding="utf-8")
    tgt.write_text("x\ny\n", encoding="utf-8")
    with pytest.raises(CorpusInputError, match=r"t\.txt ends before .*s\.txt: line 3"):
        list(read_text_pair(src, tgt))
    tgt.write_text("x\ny\nz\n", encoding="utf-8")
    assert [p.target for p in read_text_pair(src, tgt)] == ["x", "y", "z"]


def test_jsonl_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    rows = [json.dumps({"source": "Hi", "target": "Hallo"}), "{broken", json.dumps({"source": "x"})]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(CorpusInputError, match=r"c\.jsonl:2: invalid JSON"):
        list(read_jsonl(path))
    skipped: Counter[str] = Counter()
    assert [p.target for p in read_jsonl(path, skip_bad=True, skipped=skipped)] == ["Hallo"]
    assert skipped == Counter({"bad-json": 1, "missing-field": 1})


def test_hf_dataset_and_missing_column(tmp_path: Path) -> None:
    from datasets import Dataset, DatasetDict

    DatasetDict({"train": Dataset.from_dict({"source": ["a"], "target": ["b"]})}).save_to_disk(
        str(tmp_path / "ds")
    )
    assert [(p.source, p.target) for p in read_hf_dataset(tmp_path / "ds")] == [("a", "b")]
    Dataset.from_dict({"en": ["a"], "de": ["b"]}).save_to_disk(str(tmp_path / "ds2"))
    with pytest.raises(CorpusInputError, match=r"missing column\(s\) \['source', 'target'\]"):
        list(read_hf_dataset(tmp_path / "ds2"))
    with pytest.raises(CorpusInputError, match="not a saved HF dataset"):
        list(read_hf_dataset(tmp_path))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusInputError, match="cannot read"):
        list(read_tsv(tmp_path / "nope.tsv"))
