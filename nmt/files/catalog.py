"""Catalogs (gettext `.po`/`.pot`, XLIFF): read whole, their texts translated in resumable
chunks, then written at once.

A catalog is small next to the line formats (the largest Debian `.po` files are a few MB), so
it is parsed whole by translate-toolkit; what must survive a crash is the translation work.
The distinct texts of the catalog go to the model in chunks; each chunk's results are appended
to `OUTPUT.partial` as JSON lines and committed (`resume.PartialOutput`), so a rerun of the
same command reuses them. The catalog itself is written through a temporary file and a rename.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from nmt.files.resume import PartialOutput, atomic_write, input_identity
from nmt.files.summary import TranslateFn, summary
from nmt.progress import ProgressBar
from nmt.translator import Translation

CHUNK_TEXTS = 500  # texts translated and committed together


class Catalog(Protocol):
    """A parsed catalog. `texts()`: the distinct texts to translate, in a deterministic order
    (the same input and options give the same list); `apply(results, counts)`: fill the
    entries from `results` (text -> Translation), counting what it did; `serialize()`: the
    catalog's bytes."""

    fmt: str

    def texts(self) -> list[str]: ...

    def apply(self, results: Mapping[str, Translation], counts: dict[str, int]) -> None: ...

    def serialize(self) -> bytes: ...


def translate_catalog(
    catalog: Catalog,
    source: Path,
    output: Path,
    translate: TranslateFn,
    settings: Mapping[str, Any],
    *,
    chunk_texts: int | None = None,
) -> dict[str, Any]:
    """Translate `catalog` (read from `source`) into `output`; returns the run's summary."""
    texts = catalog.texts()
    chunk_texts = chunk_texts or CHUNK_TEXTS
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()
    identity = {**settings, **input_identity(source), "format": catalog.fmt, "texts": digest}
    resume = PartialOutput(output, identity)
    out, position = resume.open()
    results = _committed(resume.partial, position.out_offset)
    started, translated = time.perf_counter(), 0
    try:
        with ProgressBar(
            len(texts), initial=len(results), desc=output.name, unit="seg", smoothing=0.1
        ) as bar:
            for start in range(len(results), len(texts), chunk_texts):
                chunk = texts[start : start + chunk_texts]
                done = list(translate(chunk))
                out.write(b"".join(_record(t) for t in done))
                results += done
                position.done = len(results)
                resume.commit(position)
                translated += len(chunk)
                bar.update(len(chunk))
    finally:
        resume.close()
    counts: dict[str, int] = {"texts": len(texts)}
    catalog.apply(dict(zip(texts, results, strict=True)), counts)
    atomic_write(output, catalog.serialize())
    resume.discard()
    return summary(output, catalog.fmt, counts, translated, time.perf_counter() - started)


def _record(result: Translation) -> bytes:
    line = {"text": result.text, "placed": result.placed, "inserted": result.inserted}
    return (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")


def _committed(partial: Path, size: int) -> list[Translation]:
    """The results committed by an earlier run (the first `size` bytes of `partial`)."""
    if size == 0:
        return []
    with partial.open("rb") as fh:
        data = fh.read(size)
    return [
        Translation(text=r["text"], score=0.0, placed=r["placed"], inserted=r["inserted"])
        for r in map(json.loads, data.splitlines())
    ]


def count(counts: dict[str, int], key: str, n: int = 1) -> None:
    counts[key] = counts.get(key, 0) + n


def translated_forms(
    forms: Sequence[str], results: Mapping[str, Translation], counts: dict[str, int]
) -> list[str]:
    """The translations of `forms` (texts given to `texts()`), counting fallback insertions."""
    out = []
    for form in forms:
        result = results[form]
        count(counts, "inserted_placeholders", result.inserted)
        out.append(result.text)
    return out
