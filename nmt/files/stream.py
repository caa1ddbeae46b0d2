"""Line formats (txt, TSV, JSONL): streamed in chunks, in order, resumable, shardable.

Memory is bounded by the chunk size: lines are read lazily (`records.read_lines`), a chunk's
texts go to the translate function in one call (the Translator deduplicates them and sorts
them by length into batches) and the chunk's output, in input order, is appended to the
`.partial` file (`resume.PartialOutput`) and committed before the next chunk is read.

Bad lines (not UTF-8, a missing column or field, not JSON) stop the run with an error naming
file and line; with `skip_bad` they are counted by reason and left out (TSV, JSONL) or written
as an empty line (txt, so that output line n still belongs to input line n).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from nmt.files.codecs import LineCodec, Parsed, RecordError, TsvCodec
from nmt.files.errors import FileInputError
from nmt.files.records import (
    BOM,
    Line,
    Shard,
    ShardRange,
    line_end,
    read_lines,
    shard_range,
    split_line,
)
from nmt.files.resume import PartialOutput, Position, input_identity
from nmt.files.summary import TranslateFn, summary
from nmt.progress import ProgressBar

logger = logging.getLogger(__name__)

CHUNK_LINES = 2000  # lines read, translated and committed together
_LOGGED_SKIPS = 20  # skipped lines logged one by one; the rest are only counted


@dataclasses.dataclass(frozen=True, slots=True)
class LineJob:
    """One line-format translation: `input` -> `output` through `codec`."""

    input: Path
    output: Path
    fmt: str
    codec: LineCodec
    shard: Shard | None = None
    skip_bad: bool = False
    chunk_lines: int | None = None  # None: CHUNK_LINES


@dataclasses.dataclass(frozen=True, slots=True)
class _Slot:
    """One line's output: fixed text, or a parsed record awaiting its translation."""

    fixed: str | None
    parsed: Parsed | None = None
    prefix: str = ""  # a BOM the text was read without
    end: str = ""


def translate_lines(
    job: LineJob, translate: TranslateFn, settings: Mapping[str, Any]
) -> dict[str, Any]:
    """Translate `job.input` (or its shard) into `job.output`, resuming a run of the same
    `settings` (the model and decoding; the input identity and job options are added here).
    Returns the summary (see `summary.summary`)."""
    span, resume, out, position = open_run(job, settings)
    start = position.in_offset if position.done else span.start
    lines = read_lines(job.input, start, span.end, span.first + position.done)
    started, translated = time.perf_counter(), 0
    try:
        with ProgressBar(
            span.lines, initial=position.done, desc=job.output.name, unit="seg", smoothing=0.1
        ) as bar:
            for chunk in _chunks(lines, job.chunk_lines or CHUNK_LINES):
                data, segments = chunk_output(job, chunk, translate, position)
                out.write(data.encode("utf-8"))
                position.done += len(chunk)
                position.in_offset = chunk[-1].end
                resume.commit(position)
                translated += segments
                bar.update(len(chunk))
    finally:
        resume.close()
    resume.finish()
    counts = {"lines": position.done, **position.counts}
    return summary(job.output, job.fmt, counts, translated, time.perf_counter() - started)


def open_run(
    job: LineJob, settings: Mapping[str, Any]
) -> tuple[ShardRange, PartialOutput, BinaryIO, Position]:
    """Start or resume `job` (locally or on Ray): its shard's range (a TSV header resolved),
    its resumable output open at the committed position, and that position (`done` lines from
    the range's start; `in_offset` where the next chunk starts when `done` > 0)."""
    span = shard_range(job.input, job.shard)
    if job.codec.header:
        _read_header(job)
    shard = f"{job.shard.index + 1}/{job.shard.count}" if job.shard else None
    options = {"format": job.fmt, "codec": vars(job.codec), "shard": shard}
    resume = PartialOutput(job.output, {**settings, **options, **input_identity(job.input)})
    out, position = resume.open()
    return span, resume, out, position


def _chunks(lines: Iterable[Line], size: int) -> Iterator[list[Line]]:
    it = iter(lines)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _read_header(job: LineJob) -> None:
    """Resolve a named TSV column from line 1 (every shard reads it; only shard 1 writes it)."""
    first = next(read_lines(job.input, 0, 1, 1), None)
    if first is None:
        raise FileInputError(job.input, "empty file: no header line to find the column in", 1)
    content, _ = split_line(job.input, first)
    assert isinstance(job.codec, TsvCodec)
    try:
        job.codec.read_header(content)
    except RecordError as err:
        raise FileInputError(job.input, str(err), 1) from None


def _slot(job: LineJob, line: Line, counts: dict[str, int]) -> _Slot:
    """Read one line into a slot; a bad line raises or (skip_bad) becomes a counted skip."""
    try:
        content, end = split_line(job.input, line)
        if line.number == 1 and job.codec.header:
            return _Slot(content + end)
        prefix = BOM if line.number == 1 and content.startswith(BOM) else ""
        return _Slot(None, job.codec.parse(content[len(prefix) :]), prefix, end)
    except (FileInputError, RecordError) as err:
        reason = err.reason if isinstance(err, RecordError) else "not utf-8"
        error = err if isinstance(err, FileInputError) else None
        error = error or FileInputError(job.input, str(err), line.number)
        if not job.skip_bad:
            raise error from None
        counts[f"skipped: {reason}"] = counts.get(f"skipped: {reason}", 0) + 1
        if sum(v for k, v in counts.items() if k.startswith("skipped")) <= _LOGGED_SKIPS:
            logger.warning("skipped %s", error)
        return _Slot(line_end(line.raw) if job.codec.skip_keeps_line else "")


def chunk_output(
    job: LineJob, chunk: list[Line], translate: TranslateFn, position: Position
) -> tuple[str, int]:
    """The chunk's output text in input order, and the number of texts translated."""
    counts = position.counts
    slots = [_slot(job, line, counts) for line in chunk]
    texts = [s.parsed.text for s in slots if s.parsed is not None and s.parsed.text.strip()]
    results = iter(translate(texts) if texts else [])
    parts: list[str] = []
    for slot in slots:
        if slot.parsed is None:
            parts.append(slot.fixed or "")
            continue
        text = slot.parsed.text
        if text.strip():
            result = next(results)
            text = result.text
            counts["inserted_placeholders"] = counts.get("inserted_placeholders", 0) + (
                result.inserted
            )
        parts.append(slot.prefix + slot.parsed.render(text) + slot.end)
    counts["translated"] = counts.get("translated", 0) + len(texts)
    return "".join(parts), len(texts)
