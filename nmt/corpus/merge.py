"""`nmt data merge FILE.tsv --into CORPUS`: users' corrections (e.g. `nmt suggestions export`)
added to an existing corpus's train split, never to valid or test, never a corpus of their own.

The pairs get the corpus's own treatment: normalisation, the train/valid filter the corpus was
built with (from its manifest), and the leakage rule: a pair whose source (case-folded) is in
valid or test is dropped, so a correction of a test sentence can never leak into training. Exact
duplicates of train pairs are dropped. The corpus is rewritten atomically (TSVs, dataset,
manifest with a `merged` entry counting what was added and dropped), so `make train` picks the
corrections up as they are.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from nmt.config import FilterConfig
from nmt.corpus.build import clean_pairs
from nmt.corpus.clean import leakage_key
from nmt.corpus.output import SPLITS, read_manifest, write_corpus
from nmt.corpus.readers import read_tsv
from nmt.corpus.split import filtered, without_sources
from nmt.corpus.types import RawPair

ORIGIN = "suggestions"


def _splits(corpus: Path) -> dict[str, list[RawPair]]:
    from datasets import load_from_disk

    dataset = load_from_disk(str(corpus / "dataset"))
    return {
        name: [
            RawPair(row["source"], row["target"], row["origin"], "")
            for row in dataset[name].to_list()
        ]
        for name in SPLITS
    }


def merge_into_train(pairs_tsv: Path, corpus: Path, *, skip_bad: bool = False) -> dict[str, Any]:
    """Add the pairs of `pairs_tsv` to `corpus`'s train split; returns the `merged` entry."""
    started = time.monotonic()
    manifest = read_manifest(corpus)
    filters = FilterConfig(**manifest.get("filters", {}).get("train_valid", {}))
    skipped: Counter[str] = Counter()
    raw = read_tsv(pairs_tsv, skip_bad=skip_bad, skipped=skipped)
    pairs = [
        RawPair(p.source, p.target, f"{ORIGIN}/{pairs_tsv.name}", "", ORIGIN)
        for p in clean_pairs(raw, ORIGIN, skipped)
    ]
    pairs = filtered(pairs, filters, skipped)
    splits = _splits(corpus)
    held_out = {leakage_key(p.source) for name in ("valid", "test") for p in splits[name]}
    pairs = without_sources(pairs, held_out, "leakage/valid-or-test", skipped)
    known = {(p.source, p.target) for p in splits["train"]}
    added = []
    for pair in pairs:
        if (pair.source, pair.target) in known:
            skipped["duplicate-of-train"] += 1
            continue
        known.add((pair.source, pair.target))
        added.append(pair)
    splits["train"] += added
    entry = {
        "file": pairs_tsv.name,
        "added": len(added),
        "skipped": dict(sorted(skipped.items())),
        "wall_time_s": round(time.monotonic() - started, 1),
    }
    manifest.setdefault("merged", []).append(entry)
    write_corpus(corpus, splits, manifest)
    return entry
