"""Refusals: one line on stderr naming file and line, exit 2, nothing on stdout, no traceback;
`--skip-bad` goes on and counts what it skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.files.conftest import Run, summary, write


def assert_refused(result: tuple[int, str, str], message: str) -> None:
    status, out, err = result
    assert status == 2, err
    assert out == "" and "Traceback" not in err
    assert err.startswith("nmt: error: ") and len(err.splitlines()) == 1, err
    assert message in err, err


def test_an_undecodable_line_names_file_line_and_byte(tmp_path: Path, run: Run) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(b"Open\nSave\nQu\xefit\nHelp\n")
    assert_refused(
        run(source, tmp_path / "out.txt"), f"{source}:3: not valid UTF-8 (byte 0xef at column 3)"
    )
    assert not (tmp_path / "out.txt").exists()


def test_skip_bad_text_keeps_an_empty_line_and_counts(
    tmp_path: Path, run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(b"Open\n\xff\xfe\r\nSave\n")
    status, out, err = run(source, tmp_path / "out.txt", "--skip-bad")
    assert status == 0, err
    assert (tmp_path / "out.txt").read_bytes() == b"\xc3\x96ffnen\n\r\nSpeichern\n"
    assert summary(out)["skipped"] == {"not utf-8": 1}
    assert f"{source}:2: not valid UTF-8" in caplog.text  # the skipped line is logged


@pytest.mark.parametrize(
    ("name", "content", "options", "message"),
    [
        ("in.tsv", "a\tOpen\nb\n", ["--column", "2"], ":2: no column 2 (the line has 1)"),
        ("in.tsv", "id\tsrc\nb\tOpen\n", ["--column", "text"], ":1: no column named 'text'"),
        ("in.jsonl", '{"text": "a"}\n{"txt": "b"}\n', [], ":2: no field 'text'"),
        ("in.jsonl", '{"text": "a"}\n{"text": 3}\n', [], ":2: no string in field 'text'"),
        ("in.jsonl", '{"text": "a"}\n{"text": \n', [], ":2: not JSON: Expecting value"),
        ("in.jsonl", "[1]\n", [], ":1: not a JSON object but list"),
    ],
)
def test_bad_records_are_refused_with_file_and_line(
    tmp_path: Path, run: Run, name: str, content: str, options: list[str], message: str
) -> None:
    source = write(tmp_path / name, content)
    assert_refused(run(source, tmp_path / f"out-{name}", *options), f"{source}{message}")


def test_skip_bad_drops_bad_records_and_counts_them_by_reason(tmp_path: Path, run: Run) -> None:
    lines = ['{"text": "Open"}', '{"txt": "x"}', "nope", '{"text": "Save"}', '{"text": 1}']
    source = write(tmp_path / "in.jsonl", "\n".join(lines) + "\n")
    status, out, err = run(source, tmp_path / "out.jsonl", "--skip-bad")
    assert status == 0, err
    assert (tmp_path / "out.jsonl").read_text() == '{"text": "Öffnen"}\n{"text": "Speichern"}\n'
    assert summary(out)["skipped"] == {"bad json": 1, "missing field": 2}


def test_a_broken_po_names_the_line(tmp_path: Path, run: Run) -> None:
    source = write(tmp_path / "in.po", 'msgid "Open"\nmsgstr ""\n\nmsgid "Save"\nfoo\n')
    assert_refused(run(source, tmp_path / "out.po"), f"{source}:5: not a valid PO file")


def test_a_broken_xliff_names_the_line(tmp_path: Path, run: Run) -> None:
    xml = '<?xml version="1.0"?>\n<xliff version="1.2">\n<file>\n<body></file>\n</xliff>\n'
    source = write(tmp_path / "in.xlf", xml)
    assert_refused(run(source, tmp_path / "out.xlf"), f"{source}:4: not well-formed XML")


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("in.po", ["--shard", "1/2"], "--shard is for line formats (txt, tsv, jsonl)"),
        ("in.po", ["--ray"], "--ray is for line formats (txt, tsv, jsonl); a po catalog is"),
        ("in.xlf", ["--ray", "auto"], "--ray is for line formats (txt, tsv, jsonl); a xliff"),
        ("in.txt", ["--ray-actors", "2"], "--ray-actors needs --ray"),
        ("in.txt", ["--ray", "--ray-actors", "0"], "--ray-actors must be >= 1, got 0"),
        ("in.txt", ["--shard", "3/2"], "--shard i/n needs 1 <= i <= n, got '3/2'"),
        ("in.txt", ["--shard", "x"], "--shard takes i/n (e.g. 2/8), got 'x'"),
        ("in.txt", ["--overwrite"], "--overwrite is for catalogs"),
        ("in.txt", ["--column", "2"], "--column and --field are for TSV and JSONL files"),
        ("in.tsv", ["--column", "0"], "--column counts from 1, got 0"),
        ("in.doc", [], "cannot tell the format from the extension"),
    ],
)
def test_options_that_do_not_fit_the_format_are_refused(
    tmp_path: Path, run: Run, name: str, options: list[str], message: str
) -> None:
    xliff = '<?xml version="1.0"?>\n<xliff version="1.2"></xliff>\n'
    text = {".po": 'msgid "a"\nmsgstr ""\n', ".xlf": xliff}.get(Path(name).suffix, "a\n")
    source = write(tmp_path / name, text)
    assert_refused(run(source, tmp_path / "out", *options), message)


def test_missing_input_output_folder_and_file_options_without_files(
    tmp_path: Path, run: Run
) -> None:
    assert_refused(run(tmp_path / "nope.txt", tmp_path / "out.txt"), "nope.txt: no such file")
    source = write(tmp_path / "in.txt", "a\n")
    assert_refused(run(source, tmp_path / "no" / "out.txt"), "no such folder")
    assert_refused(run("--skip-bad"), "--skip-bad need INPUT and OUTPUT files")
