"""How a line of each line format holds its text: the whole line (txt), one column (tsv) or
one field of a JSON object (jsonl).

A codec `parse`s a decoded line (no line end) into the text to translate and a `render`
function that puts a translation back in its place; everything else on the line is kept.
A line the codec cannot read raises `RecordError` (the stream adds file and line).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Protocol


class RecordError(ValueError):
    """A line that does not hold what the codec needs; `reason` is a short key for the counts."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclasses.dataclass(frozen=True, slots=True)
class Parsed:
    """The text to translate and how to write the line back with its translation."""

    text: str
    render: Callable[[str], str]


class LineCodec(Protocol):
    """One line format. `header`: its first line is a header (passed through, untranslated).
    `skip_keeps_line`: a skipped bad line becomes an empty line (keeping line numbers aligned)
    rather than being left out (a TSV or JSONL record stands on its own)."""

    header: bool
    skip_keeps_line: bool

    def parse(self, content: str) -> Parsed: ...


class TextCodec:
    """Plain text: the line is the text. Blank lines come back blank (the Translator returns
    whitespace-only text unchanged)."""

    header = False
    skip_keeps_line = True

    def parse(self, content: str) -> Parsed:
        return Parsed(content, _identity)


def _identity(translation: str) -> str:
    return translation


class TsvCodec:
    """Tab-separated columns, no quoting (as `cut -f`); the translation replaces its column.

    `column`: a 1-based number, or a name looked up in the header line (then the first line
    is a header and passes through). An empty line passes through.
    """

    skip_keeps_line = False

    def __init__(self, column: str) -> None:
        self.name: str | None = None if column.isdigit() else column
        self.index = -1 if self.name else int(column) - 1
        if self.name is None and self.index < 0:
            raise ValueError(f"--column counts from 1, got {column}")
        self.header = self.name is not None

    def read_header(self, content: str) -> None:
        """Find the named column in the header line; RecordError when it is not there."""
        names = content.removeprefix("\ufeff").split("\t")
        if self.name not in names:
            raise RecordError(
                "missing column", f"no column named {self.name!r} in the header {names}"
            )
        self.index = names.index(self.name)

    def parse(self, content: str) -> Parsed:
        if not content:
            return Parsed("", _identity)
        fields = content.split("\t")
        if self.index >= len(fields):
            raise RecordError(
                "missing column",
                f"no column {self.index + 1}{self._named()} (the line has {len(fields)})",
            )
        index = self.index

        def render(translation: str) -> str:
            # a tab in the output would shift every later column
            fields[index] = translation.replace("\t", " ")
            return "\t".join(fields)

        return Parsed(fields[index], render)

    def _named(self) -> str:
        return f" ({self.name!r})" if self.name else ""


class JsonlCodec:
    """One JSON object a line; the translation replaces the string in `field`, every other
    field passes through (in its order; written back compactly, non-ASCII as is). An empty
    line passes through."""

    header = False
    skip_keeps_line = False

    def __init__(self, field: str) -> None:
        self.field = field

    def parse(self, content: str) -> Parsed:
        if not content.strip():
            return Parsed("", lambda _: content)
        try:
            record = json.loads(content)
        except json.JSONDecodeError as err:
            raise RecordError("bad json", f"not JSON: {err.msg} (column {err.colno})") from None
        if not isinstance(record, dict):
            raise RecordError("bad json", f"not a JSON object but {type(record).__name__}")
        value = record.get(self.field)
        if not isinstance(value, str):
            what = "no field" if self.field not in record else "no string in field"
            raise RecordError("missing field", f"{what} {self.field!r}")
        field = self.field

        def render(translation: str) -> str:
            record[field] = translation
            return json.dumps(record, ensure_ascii=False)

        return Parsed(value, render)


def make_codec(fmt: str, *, column: str | None, field: str | None) -> LineCodec:
    """The codec of a line format; ValueError for an option that does not fit it."""
    if fmt == "txt":
        if column is not None or field is not None:
            raise ValueError("--column and --field are for TSV and JSONL files")
        return TextCodec()
    if fmt == "tsv":
        if field is not None:
            raise ValueError("--field is for JSONL files; TSV takes --column")
        return TsvCodec(column or "1")
    if column is not None:
        raise ValueError("--column is for TSV files; JSONL takes --field")
    return JsonlCodec(field or "text")
