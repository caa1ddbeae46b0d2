"""Line formats: plain text, TSV and JSONL round-trip line for line, in order, streamed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nmt.files import stream
from nmt.files.records import Shard, read_lines, shard_range
from tests.files.conftest import Run, summary, write
from tests.files.fake import FakeTranslator, german


def test_text_lines_keep_blank_lines_crlf_and_a_missing_final_newline(
    tmp_path: Path, run: Run
) -> None:
    lines = ["Open the file.\n", "\n", "   \n", "Save %s files\r\n", "\ufeff\n", "Quit"]
    source = write(tmp_path / "in.txt", "\ufeffClick here.\n" + "".join(lines))
    status, out, err = run(source, tmp_path / "out.txt")
    assert status == 0, err
    expected = (
        "\ufeffKlicken hier.\nÖffnen die Datei.\n\n   \nSpeichern %s Dateien\r\n\ufeff\nBeenden"
    )
    assert (tmp_path / "out.txt").read_bytes().decode() == expected
    result = summary(out)
    assert result["lines"] == 7 and result["translated"] == 5 and result["skipped"] == {}
    assert not list(tmp_path.glob("*.partial*"))  # the checkpoint is gone after the rename


def test_tsv_column_by_number_and_by_header_name(tmp_path: Path, run: Run) -> None:
    source = write(tmp_path / "in.tsv", "id\tsource\tnote\n1\tOpen the file\tx\n2\t\t\n")
    assert run(source, tmp_path / "a.tsv", "--column", "2")[0] == 0
    assert (tmp_path / "a.tsv").read_text() == "id\tsource\tnote\n1\tÖffnen die Datei\tx\n2\t\t\n"
    assert run(source, tmp_path / "b.tsv", "--column", "source")[0] == 0  # header kept as is
    assert (tmp_path / "b.tsv").read_text() == (tmp_path / "a.tsv").read_text()


def test_jsonl_translates_one_field_and_passes_the_others_through(tmp_path: Path, run: Run) -> None:
    records = [{"id": 1, "text": "Save the file", "meta": {"ü": [1, 2]}}, {"text": "", "id": 2}]
    source = write(tmp_path / "in.jsonl", "\n".join(json.dumps(r) for r in records) + "\n\n")
    status, _, err = run(source, tmp_path / "out.jsonl")
    assert status == 0, err
    out = (tmp_path / "out.jsonl").read_text(encoding="utf-8").split("\n")
    assert [json.loads(line) for line in out[:2]] == [
        {"id": 1, "text": "Speichern die Datei", "meta": {"ü": [1, 2]}},
        {"text": "", "id": 2},
    ]
    assert out[2:] == ["", ""]  # the blank line passes through
    source = write(tmp_path / "in2.jsonl", '{"src": "Quit", "text": "Open"}\n')
    assert run(source, tmp_path / "out2.jsonl", "--field", "src")[0] == 0
    assert json.loads((tmp_path / "out2.jsonl").read_text()) == {"src": "Beenden", "text": "Open"}


@pytest.mark.parametrize("n", [1, 3, 7])
def test_shard_outputs_concatenate_to_the_whole(tmp_path: Path, run: Run, n: int) -> None:
    text = "".join(f"Open the file {i}\n" if i % 5 else "\n" for i in range(41)) + "Quit"
    source = write(tmp_path / "in.txt", text)
    assert run(source, tmp_path / "whole.txt")[0] == 0
    parts = []
    for i in range(1, n + 1):
        status, _out, err = run(source, tmp_path / f"part{i}.txt", "--shard", f"{i}/{n}")
        assert status == 0, err
        parts.append((tmp_path / f"part{i}.txt").read_bytes())
    assert b"".join(parts) == (tmp_path / "whole.txt").read_bytes()


def test_tsv_shards_read_the_header_and_only_the_first_writes_it(tmp_path: Path, run: Run) -> None:
    source = write(tmp_path / "in.tsv", "k\tsrc\n" + "".join(f"{i}\tSave\n" for i in range(9)))
    for i in (1, 2):
        assert run(source, tmp_path / f"p{i}.tsv", "--column", "src", "--shard", f"{i}/2")[0] == 0
    joined = (tmp_path / "p1.tsv").read_text() + (tmp_path / "p2.tsv").read_text()
    assert joined == "k\tsrc\n" + "".join(f"{i}\tSpeichern\n" for i in range(9))


def test_shard_spans_partition_the_file_at_line_starts(tmp_path: Path) -> None:
    source = write(tmp_path / "in.txt", "a\n\nbbbbbbbbbbbbbbbbbbbbbbbb\ncc\nd")  # 5 lines
    spans = [shard_range(source, Shard(i, 4)) for i in range(4)]
    assert [s.start for s in spans[1:]] == [s.end for s in spans[:-1]]
    assert spans[0].start == 0 and spans[-1].end == source.stat().st_size
    assert sum(s.lines for s in spans) == 5
    numbers = [line.number for s in spans for line in read_lines(source, s.start, s.end, s.first)]
    assert numbers == [1, 2, 3, 4, 5]


def test_reading_is_lazy_and_chunks_are_bounded(
    tmp_path: Path, run: Run, fake: FakeTranslator, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write(tmp_path / "in.txt", "Open the file\n" * 1000)
    lines = read_lines(source, 0, source.stat().st_size, 1)
    assert next(lines).number == 1  # a generator: nothing read beyond what is asked for
    monkeypatch.setattr(stream, "CHUNK_LINES", 64)
    assert run(source, tmp_path / "out.txt")[0] == 0
    assert max(len(call) for call in fake.calls) <= 64 and len(fake.calls) == 16
    assert (tmp_path / "out.txt").read_text() == f"{german('Open the file')}\n" * 1000
