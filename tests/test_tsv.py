"""nmt.tsv: the corpus TSV files, read in one place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nmt.errors import NmtError
from nmt.tsv import TsvError, read_pairs, read_sources


def test_pairs_keep_everything_but_the_line_end(tmp_path: Path) -> None:
    path = tmp_path / "test.tsv"
    path.write_text(" Open\tÖffnen \nSave\tSpeichern\n", encoding="utf-8")
    assert read_pairs(path) == ([" Open", "Save"], ["Öffnen ", "Speichern"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a\tb\nno tab here\n", "test.tsv:2: expected source TAB reference, got 1 field(s)"),
        (b"a\tb\tc\n", "test.tsv:1: expected source TAB reference, got 3 field(s)"),
        (b"caf\xe9\tb\n", "test.tsv: not UTF-8"),
    ],
)
def test_a_bad_file_is_a_refusal_naming_file_and_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "test.tsv"
    path.write_bytes(content)
    with pytest.raises(TsvError, match=re.escape(message)) as caught:
        read_pairs(path)
    assert isinstance(caught.value, NmtError) and caught.value.exit_code == 2


def test_sources_are_the_first_column_of_non_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "valid.tsv"
    path.write_text("Open\tÖffnen\n\n   \nPlain line\nSave\tSpeichern\textra\n", encoding="utf-8")
    assert read_sources(path) == ["Open", "Plain line", "Save"]
    with pytest.raises(TsvError, match=r"cannot read .*missing\.tsv"):
        read_sources(tmp_path / "missing.tsv")
