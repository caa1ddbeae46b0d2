"""nmt.atomic.swap_folder: a folder is replaced whole, and nothing is left beside it."""

from __future__ import annotations

from pathlib import Path

from nmt.atomic import swap_folder
from nmt.hashing import sha256_file


def _folder(path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def test_a_new_folder_is_renamed_into_place(tmp_path: Path) -> None:
    swap_folder(_folder(tmp_path / ".tmp", {"a": "1"}), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (tmp_path / "out" / "a").read_text() == "1"


def test_an_old_folder_is_replaced_whole_and_removed(tmp_path: Path) -> None:
    _folder(tmp_path / "out", {"a": "old", "stale": "x"})
    swap_folder(_folder(tmp_path / ".tmp", {"a": "new"}), tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no .old folder left
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a"]
    assert (tmp_path / "out" / "a").read_text() == "new"


def test_sha256_file_is_the_hex_digest_of_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256_file(path) == expected
