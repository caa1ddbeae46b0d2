"""Readers for a user's own parallel data: TSV, two aligned text files, JSONL, a saved HF dataset.

Bad input never crashes and is never dropped silently: by default the first bad line raises
`CorpusInputError` naming the file and line; with `skip_bad` the line is skipped and counted by
reason in `skipped` (which lands in the manifest).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path

from nmt.corpus.types import RawPair
from nmt.errors import NmtError


class CorpusInputError(NmtError, ValueError):
    """A user file that cannot be read as parallel data; the message names file and line."""


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        with path.open("rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                yield lineno, raw.rstrip(b"\r\n")
    except OSError as err:
        raise CorpusInputError(f"{path}: cannot read: {err.strerror or err}") from None


def _decode(path: Path, lineno: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CorpusInputError(
            f"{path}:{lineno}: not UTF-8 (byte {raw[err.start]:#04x} at column {err.start + 1})"
        ) from None


class _Reader:
    """Shared bad-line policy: raise, or count and skip."""

    def __init__(self, skip_bad: bool, skipped: Counter[str]) -> None:
        self.skip_bad = skip_bad
        self.skipped = skipped

    def bad(self, reason: str, err: CorpusInputError) -> None:
        if not self.skip_bad:
            raise err
        self.skipped[reason] += 1


def read_tsv(
    path: Path,
    *,
    source_col: int = 0,
    target_col: int = 1,
    skip_bad: bool = False,
    skipped: Counter[str] | None = None,
) -> Iterator[RawPair]:
    """Pairs from a TSV file (columns counted from 0); origin is the file name."""
    reader = _Reader(skip_bad, skipped if skipped is not None else Counter())
    need = max(source_col, target_col) + 1
    for lineno, raw in _lines(path):
        try:
            cols = _decode(path, lineno, raw).split("\t")
            if len(cols) < need:
                raise CorpusInputError(
                    f"{path}:{lineno}: {len(cols)} column(s), need column {need - 1} (0-based)"
                )
        except CorpusInputError as err:
            reader.bad("undecodable" if "UTF-8" in str(err) else "missing-column", err)
            continue
        yield RawPair(cols[source_col], cols[target_col], path.name, "")


def read_text_pair(
    source_path: Path,
    target_path: Path,
    *,
    skip_bad: bool = False,
    skipped: Counter[str] | None = None,
) -> Iterator[RawPair]:
    """Pairs from two line-aligned files; different line counts are always an error."""
    reader = _Reader(skip_bad, skipped if skipped is not None else Counter())
    for left, right in zip_longest(_lines(source_path), _lines(target_path)):
        if left is None or right is None:
            longer, shorter = (
                (target_path, source_path) if left is None else (source_path, target_path)
            )
            lineno = (right if left is None else left)[0]
            raise CorpusInputError(
                f"{shorter} ends before {longer}: line {lineno} of {longer} has no counterpart "
                "(the two files must have the same number of lines)"
            )
        try:
            src = _decode(source_path, left[0], left[1])
            tgt = _decode(target_path, right[0], right[1])
        except CorpusInputError as err:
            reader.bad("undecodable", err)
            continue
        yield RawPair(src, tgt, source_path.name, "")


def read_jsonl(
    path: Path,
    *,
    source_field: str = "source",
    target_field: str = "target",
    skip_bad: bool = False,
    skipped: Counter[str] | None = None,
) -> Iterator[RawPair]:
    """Pairs from JSON lines with string fields `source_field` and `target_field`."""
    reader = _Reader(skip_bad, skipped if skipped is not None else Counter())
    for lineno, raw in _lines(path):
        if not raw.strip():
            continue
        try:
            record = json.loads(_decode(path, lineno, raw))
            if not isinstance(record, dict):
                raise CorpusInputError(f"{path}:{lineno}: a JSON object is needed")
            src, tgt = record.get(source_field), record.get(target_field)
            for name, value in ((source_field, src), (target_field, tgt)):
                if not isinstance(value, str):
                    raise CorpusInputError(f"{path}:{lineno}: field {name!r} missing or not text")
        except json.JSONDecodeError as err:
            reader.bad("bad-json", CorpusInputError(f"{path}:{lineno}: invalid JSON: {err.msg}"))
            continue
        except CorpusInputError as err:
            reader.bad("missing-field" if "field" in str(err) else "bad-record", err)
            continue
        assert isinstance(src, str) and isinstance(tgt, str)  # checked above
        yield RawPair(src, tgt, path.name, "")


def read_hf_dataset(
    path: Path, *, source_field: str = "source", target_field: str = "target"
) -> Iterator[RawPair]:
    """Pairs from a `save_to_disk` folder (a Dataset, or every split of a DatasetDict)."""
    from datasets import Dataset, DatasetDict, load_from_disk

    try:
        loaded = load_from_disk(str(path))
    except (FileNotFoundError, ValueError, OSError) as err:
        raise CorpusInputError(f"{path}: not a saved HF dataset ({err})") from None
    parts: dict[str, Dataset] = dict(loaded) if isinstance(loaded, DatasetDict) else {"": loaded}
    for split, ds in parts.items():
        missing = [c for c in (source_field, target_field) if c not in ds.column_names]
        if missing:
            raise CorpusInputError(
                f"{path}{'/' + split if split else ''}: missing column(s) {missing}; "
                f"it has {ds.column_names}"
            )
        for row in ds.select_columns([source_field, target_field]):
            yield RawPair(str(row[source_field]), str(row[target_field]), path.name, "")
