"""`nmt translate INPUT OUTPUT --ray [ADDRESS]`: the line formats (txt, TSV, JSONL) on Ray.

The same chunks as the local run (`stream.CHUNK_LINES` lines from where the run starts or
resumes) become the blocks of a Ray Data dataset: one row per chunk, holding its byte range and
the number of its first line. An actor pool (`ChunkTranslator`, one `Translator` per actor,
`threads` ONNX Runtime threads and as many CPUs reserved per actor) reads each range from the
input file, parses, translates and renders it with the local command's own code
(`stream.chunk_output`), and returns the chunk's output text and counters.

The driver consumes the rows in input order (Ray Data's `preserve_order`) and appends each chunk
to the resumable `.partial` output (`resume.PartialOutput`) exactly as the local command does,
so the output is the local command's byte for byte when the model is deterministic (fp32), and
an interrupted run resumes under either command. Chunk indices are checked to arrive once each
and in order: a chunk that Ray retried after its actor died is written once.

Actors are restarted by Ray when they die (Ray Data's actor pools set `max_restarts=-1` and
`max_task_retries=-1`), and the chunk they held is run again on the new actor.

Every node reads the input file and the bundle at the paths the driver gives: run it on a
shared filesystem (or identical copies at the same paths). Ray is imported here only; nothing
else in `nmt` imports this module unless `--ray` is given.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from nmt.files import stream
from nmt.files.errors import FileInputError
from nmt.files.records import read_lines
from nmt.files.resume import Position
from nmt.files.stream import LineJob, chunk_output
from nmt.files.summary import summary
from nmt.progress import ProgressBar

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class RaySettings:
    """Where and how wide to run: `address` (None: `RAY_ADDRESS` or a new local cluster; "auto":
    the cluster started on this machine; else `host:port` or `ray://host:port`), `actors` (None:
    the cluster's CPUs // threads, at least 1) and `threads` per actor (ONNX Runtime intra-op
    threads; each actor reserves as many CPUs)."""

    address: str | None = None
    actors: int | None = None
    threads: int = 1


@dataclasses.dataclass(frozen=True, slots=True)
class TranslatorSpec:
    """What an actor needs to build the driver's Translator and decoding: picklable values
    only. `load_options` are further keyword arguments of `Translator.load` and
    `translate_options` of `Translator.translate`, so that an option of the local command
    reaches the actors the same way (the local run's settings must match them)."""

    bundle: str
    beam: int
    batch_size: int
    terms: tuple[str, ...] = ()
    load_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    translate_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def chunk_rows(path: Path, start: int, end: int, first: int, size: int) -> list[dict[str, int]]:
    """The chunks of `size` lines that start in `[start, end)` (`start` a line start; `first`
    the number of its line): one row each, `{"index", "start", "end", "first", "lines"}`.
    Reads the range once, line by line; the rows are a few per thousand lines."""
    rows: list[dict[str, int]] = []
    chunk_start, chunk_first, count, last_end = start, first, 0, start
    for line in read_lines(path, start, end, first):
        count += 1
        last_end = line.end
        if count == size:
            rows.append(_row(len(rows), chunk_start, last_end, chunk_first, count))
            chunk_start, chunk_first, count = last_end, line.number + 1, 0
    if count:
        rows.append(_row(len(rows), chunk_start, last_end, chunk_first, count))
    return rows


def _row(index: int, start: int, end: int, first: int, lines: int) -> dict[str, int]:
    return {"index": index, "start": start, "end": end, "first": first, "lines": lines}


class ChunkTranslator:
    """The actor of the pool: one Translator, built once; called with one chunk row at a time.

    Returns the row's `index` and `lines`, its output `data` (str), `segments` translated,
    `counts` (JSON of the chunk's counters) and, for a bad line without `skip_bad`, `error`
    (JSON of the FileInputError's path, message and line; else "") instead of output.
    """

    def __init__(self, job: LineJob, spec: TranslatorSpec, threads: int) -> None:
        from nmt.translator import Translator

        self.job = job
        self.spec = spec
        self.translator = Translator.load(
            Path(spec.bundle), threads=threads, batch_size=spec.batch_size, **spec.load_options
        )
        self.decoding = self.translator.decoding_config(beam_size=spec.beam)

    def translate(self, texts: Sequence[str]) -> Any:
        return self.translator.translate(
            texts,
            self.decoding,
            terms=list(self.spec.terms),
            return_alignment=False,
            **self.spec.translate_options,
        )

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        lines = list(
            read_lines(self.job.input, int(row["start"]), int(row["end"]), int(row["first"]))
        )
        position = Position()
        result: dict[str, Any] = {"index": int(row["index"]), "lines": len(lines)}
        try:
            data, segments = chunk_output(self.job, lines, self.translate, position)
        except FileInputError as err:
            error = {"path": str(err.path), "message": err.message, "line": err.line}
            return {**result, "data": "", "segments": 0, "counts": "{}", "error": json.dumps(error)}
        counts = json.dumps(position.counts)
        return {**result, "data": data, "segments": segments, "counts": counts, "error": ""}


def translate_lines_on_ray(
    job: LineJob,
    spec: TranslatorSpec,
    settings: Mapping[str, Any],
    ray_settings: RaySettings,
    *,
    actor_cls: type[ChunkTranslator] = ChunkTranslator,
) -> dict[str, Any]:
    """`stream.translate_lines` on Ray: the same output, resume state and summary (plus `ray`:
    the actors and threads used). `actor_cls` is the pool's actor class (tests inject failures
    through a subclass). Raises FileInputError for the first bad line in input order (after
    committing the chunks before it), as the local command does."""
    import ray

    # Ray prints its workers' log lines on stdout, which is the summary's: they go to stderr,
    # and a cluster started here is shut down before the summary is printed.
    with contextlib.redirect_stdout(sys.stderr):
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=ray_settings.address, logging_level=logging.WARNING)
        try:
            return _run(ray, job, spec, settings, ray_settings, actor_cls)
        finally:
            if started_here:
                ray.shutdown()


def _run(
    ray: Any,
    job: LineJob,
    spec: TranslatorSpec,
    settings: Mapping[str, Any],
    ray_settings: RaySettings,
    actor_cls: type[ChunkTranslator],
) -> dict[str, Any]:
    span, resume, out, position = stream.open_run(job, settings)
    start = position.in_offset if position.done else span.start
    size = job.chunk_lines or stream.CHUNK_LINES
    rows = chunk_rows(job.input, start, span.end, span.first + position.done, size)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    actors = ray_settings.actors or max(1, cpus // ray_settings.threads)
    actors = max(1, min(actors, len(rows)))
    logger.info(
        "%d chunks of %d lines on %d actors x %d threads", len(rows), size, actors,
        ray_settings.threads,
    )  # fmt: skip
    started, translated = time.perf_counter(), 0
    try:
        with ProgressBar(
            span.lines, initial=position.done, desc=job.output.name, unit="seg", smoothing=0.1
        ) as bar:
            for row in _results(ray, rows, job, spec, ray_settings.threads, actors, actor_cls):
                if row["error"]:
                    error = json.loads(row["error"])
                    raise FileInputError(error["path"], error["message"], error["line"])
                out.write(str(row["data"]).encode("utf-8"))
                position.done += int(row["lines"])
                position.in_offset = rows[int(row["index"])]["end"]
                for key, value in json.loads(row["counts"]).items():
                    position.counts[key] = position.counts.get(key, 0) + int(value)
                resume.commit(position)
                translated += int(row["segments"])
                bar.update(int(row["lines"]))
    finally:
        resume.close()
    resume.finish()
    counts = {"lines": position.done, **position.counts}
    result = summary(job.output, job.fmt, counts, translated, time.perf_counter() - started)
    return {**result, "ray": {"actors": actors, "threads": ray_settings.threads}}


def _results(
    ray: Any,
    rows: list[dict[str, int]],
    job: LineJob,
    spec: TranslatorSpec,
    threads: int,
    actors: int,
    actor_cls: type[ChunkTranslator],
) -> Iterator[dict[str, Any]]:
    """The pool's output rows in input order, each chunk exactly once (checked)."""
    if not rows:
        return
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # the driver's own bar counts lines
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its per-run notices, not errors
    dataset = ray.data.from_items(rows, override_num_blocks=len(rows))
    translated = dataset.map(
        actor_cls,
        fn_constructor_kwargs={"job": job, "spec": spec, "threads": threads},
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=threads,
    )
    expected = 0
    for row in translated.iter_rows():
        if int(row["index"]) != expected:
            raise RuntimeError(f"chunk {row['index']} arrived where chunk {expected} belongs")
        expected += 1
        yield row
    if expected != len(rows):
        raise RuntimeError(f"{expected} of {len(rows)} chunks came back")
