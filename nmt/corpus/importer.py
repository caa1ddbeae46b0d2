"""`nmt data import`: a user's own parallel data into the corpus layout `nmt data build` writes.

Same normalisation, dedupe, filters and leakage-free splits; valid and test are chosen by hash
of the source sentence unless the user passes their own.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nmt import __version__
from nmt.config import DataConfig, to_dict
from nmt.corpus.build import clean_pairs
from nmt.corpus.output import write_corpus
from nmt.corpus.readers import (
    CorpusInputError,
    read_hf_dataset,
    read_jsonl,
    read_text_pair,
    read_tsv,
)
from nmt.corpus.split import dedupe_pairs, make_splits
from nmt.corpus.types import RawPair

logger = logging.getLogger(__name__)

FORMATS = ("tsv", "text", "jsonl", "hf")


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One user input: one path (tsv, jsonl, hf) or two (text: source file, target file)."""

    paths: tuple[Path, ...]
    fmt: str


def detect_corpus_format(paths: Sequence[Path], fmt: str | None = None) -> InputSpec:
    """The input's format: given, or from the paths (two files: text; a folder: hf; suffix)."""
    if fmt is None:
        if len(paths) == 2:
            fmt = "text"
        elif paths and paths[0].is_dir():
            fmt = "hf"
        elif paths and paths[0].suffix.lower() in (".tsv", ".tab"):
            fmt = "tsv"
        elif paths and paths[0].suffix.lower() in (".jsonl", ".ndjson"):
            fmt = "jsonl"
        else:
            names = [str(p) for p in paths]
            raise CorpusInputError(
                f"cannot tell the format of {names}; pass --format {'|'.join(FORMATS)}"
            )
    want = 2 if fmt == "text" else 1
    if fmt not in FORMATS or len(paths) != want:
        raise CorpusInputError(f"format {fmt!r} takes {want} path(s), got {len(paths)}")
    for path in paths:
        if not path.exists():
            raise CorpusInputError(f"{path}: no such file or folder")
    return InputSpec(tuple(paths), fmt)


def read_input(spec: InputSpec, *, skip_bad: bool, skipped: Counter[str]) -> Iterator[RawPair]:
    """Pairs of one input; bad lines raise or are counted under `<format>/<reason>`."""
    counts: Counter[str] = Counter()
    if spec.fmt == "tsv":
        yield from read_tsv(spec.paths[0], skip_bad=skip_bad, skipped=counts)
    elif spec.fmt == "text":
        yield from read_text_pair(*spec.paths, skip_bad=skip_bad, skipped=counts)
    elif spec.fmt == "jsonl":
        yield from read_jsonl(spec.paths[0], skip_bad=skip_bad, skipped=counts)
    else:
        yield from read_hf_dataset(spec.paths[0])
    skipped.update({f"{spec.fmt}/{reason}": n for reason, n in counts.items()})


def load_clean(
    specs: Sequence[InputSpec], name: str, skipped: Counter[str], *, skip_bad: bool
) -> list[RawPair]:
    pairs: list[RawPair] = []
    for spec in specs:
        raw = read_input(spec, skip_bad=skip_bad, skipped=skipped)
        pairs += clean_pairs(raw, name, skipped, sentence_units=True, keep_identical=name == "test")
    return pairs


def import_corpus(
    train: Sequence[InputSpec],
    out: Path,
    *,
    cfg: DataConfig,
    valid: Sequence[InputSpec] = (),
    test: Sequence[InputSpec] = (),
    skip_bad: bool = False,
) -> dict[str, Any]:
    """Import user data into `out`; returns the manifest."""
    started = time.monotonic()
    skipped: Counter[str] = Counter()
    pool = dedupe_pairs(load_clean(train, "user", skipped, skip_bad=skip_bad), skipped)
    test_fixed = load_clean(test, "test", skipped, skip_bad=skip_bad)
    valid_fixed = load_clean(valid, "valid", skipped, skip_bad=skip_bad) if valid else None
    hashed = not test  # with no test set of their own, hash one out of the user's data
    splits = make_splits(pool, test_fixed, lambda _: hashed, cfg.split, cfg.filters, valid_fixed)
    skipped.update(splits.skipped)
    manifest: dict[str, Any] = {
        "pair": cfg.pair,
        "builder": f"nmt {__version__}",
        "inputs": {
            role: [{"format": s.fmt, "paths": [p.name for p in s.paths]} for s in specs]
            for role, specs in (("train", train), ("valid", valid), ("test", test))
        },
        "test_parts": {"user": len(splits.test)},
        "sources": {"user": {"packages": {}, "pairs": len(pool)}},
        "filters": {"train_valid": to_dict(cfg.filters), "split": to_dict(cfg.split)},
        "skipped": dict(sorted(skipped.items())),
        "test_dropped": dict(sorted(splits.test_dropped.items())),
        "wall_time_s": round(time.monotonic() - started, 1),
    }
    return write_corpus(out, splits.as_dict(), manifest)
