"""Lazy line reading for the line formats: byte ranges, shards, line numbers and decoding.

A file is read as bytes, one line at a time, so memory never depends on the file's length and
every position is a byte offset that a resumed run can seek back to. Shards are byte ranges cut
at line starts (as Hadoop splits text): shard i of n holds the lines that start in
`[size*i/n, size*(i+1)/n)` rounded forward to line starts, so the shards of a file are disjoint,
in order and together hold every line, and no shard needs to count the lines before it to
know where it starts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from nmt.files.errors import FileInputError

BOM = "\ufeff"
_BLOCK = 1 << 20  # bytes read at a time when counting lines


@dataclasses.dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` (0-based) of `count`; the CLI's `--shard i/n` is 1-based."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`"2/8"` -> Shard(1, 8). ValueError with a readable message otherwise."""
        try:
            i, n = (int(part) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"--shard takes i/n (e.g. 2/8), got {text!r}") from None
        if not 1 <= i <= n:
            raise ValueError(f"--shard i/n needs 1 <= i <= n, got {text!r}")
        return cls(i - 1, n)


@dataclasses.dataclass(frozen=True, slots=True)
class Line:
    """One input line: its 1-based number in the file, its bytes (line end included) and the
    byte offset just after it (where reading resumes)."""

    number: int
    raw: bytes
    end: int


@dataclasses.dataclass(frozen=True, slots=True)
class ShardRange:
    """The byte range `[start, end)` of a shard and its lines: `first` is the number of the
    line at `start`, `lines` how many lines start in the range."""

    start: int
    end: int
    first: int
    lines: int


def _line_start_at(fh: BinaryIO, offset: int) -> int:
    """The first line start at or after `offset`."""
    if offset <= 0:
        return 0
    fh.seek(offset - 1)
    fh.readline()  # to just after the line holding byte offset-1 (an "\n" there ends at once)
    return fh.tell()


def _count_newlines(fh: BinaryIO, start: int, end: int) -> int:
    fh.seek(start)
    count, left = 0, end - start
    while left > 0:
        block = fh.read(min(_BLOCK, left))
        if not block:
            break
        count += block.count(b"\n")
        left -= len(block)
    return count


def shard_range(path: Path, shard: Shard | None) -> ShardRange:
    """Where `shard` (None: the whole file) lies in `path`, and its line numbers and count.

    Counting reads the file once up to the shard's end in 1 MiB blocks (a second per ~GB).
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            if shard is None:
                start, end = 0, size
            else:
                start = _line_start_at(fh, size * shard.index // shard.count)
                end = _line_start_at(fh, size * (shard.index + 1) // shard.count)
            before = _count_newlines(fh, 0, start)
            inside = _count_newlines(fh, start, end)
            if end == size and end > start:  # an unterminated last line still counts
                fh.seek(end - 1)
                inside += fh.read(1) != b"\n"
    except OSError as err:
        raise FileInputError(path, f"cannot read: {err.strerror or err}") from None
    return ShardRange(start, end, before + 1, inside)


def read_lines(path: Path, start: int, end: int, first: int) -> Iterator[Line]:
    """The lines of `path` that start in `[start, end)` (`start` must be a line start), lazily;
    `first` is the number of the line at `start`."""
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            number, pos = first, start
            while pos < end:
                raw = fh.readline()
                if not raw:
                    return
                pos += len(raw)
                yield Line(number, raw, pos)
                number += 1
    except OSError as err:
        raise FileInputError(path, f"cannot read: {err.strerror or err}") from None


def split_line(path: Path, line: Line) -> tuple[str, str]:
    """(content, line end) of a line, decoded as UTF-8; the end is `\\r\\n`, `\\n` or `""` (the
    last line of a file without a final newline). A leading BOM stays in the content.

    Raises FileInputError naming file, line, the bad byte and its column.
    """
    end = line_end(line.raw)
    body = line.raw[: len(line.raw) - len(end)]
    try:
        return body.decode("utf-8"), end
    except UnicodeDecodeError as err:
        bad = body[err.start]
        raise FileInputError(
            path, f"not valid UTF-8 (byte {bad:#04x} at column {err.start + 1})", line.number
        ) from None


def line_end(raw: bytes) -> str:
    """The line end of a raw line: `\\r\\n`, `\\n`, or `""` for an unterminated last line."""
    return "\r\n" if raw.endswith(b"\r\n") else "\n" if raw.endswith(b"\n") else ""
