"""What `manifest.json` says about a Debian corpus build: sources, packages, counts, skips.

Everything a reader needs to trust and reproduce the corpus: every package with its version,
sha256 and pair counts per split; pairs per source and per split; skipped lines by reason; the
test parts in file order with the sha256 of their lines; the UI domains held out.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from nmt import __version__
from nmt.config import DataConfig, to_dict
from nmt.corpus.apt import DebInfo
from nmt.corpus.recipes import Source
from nmt.corpus.split import UI_PART, Splits, group_count, part_runs
from nmt.corpus.types import RawPair


def test_part_hashes(test: list[RawPair]) -> dict[str, str]:
    """sha256 of each test part's `source TAB target` lines, as test.tsv holds them."""
    digests: dict[str, Any] = {}
    for pair in test:
        digest = digests.setdefault(pair.corpus, hashlib.sha256())
        digest.update(f"{pair.source}\t{pair.target}\n".encode())
    return {part: digest.hexdigest() for part, digest in digests.items()}


def package_of(pair: RawPair) -> str:
    """The Debian package a pair came from (origins start `<package>/`), or the origin itself."""
    return pair.origin.split("/", 1)[0]


def per_package(splits: Splits) -> dict[str, dict[str, int]]:
    """{package: {split: pairs}} for every package that gave at least one pair."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for name, pairs in splits.as_dict().items():
        for pkg, n in Counter(package_of(p) for p in pairs).items():
            counts[pkg][name] = n
    return dict(sorted(counts.items()))


def ui_summary(splits: Splits, valid_domains: Iterable[str]) -> dict[str, Any]:
    """The `ui` test part and the UI share of valid: counts, domains, common vocabulary."""
    ui_test = [p for p in splits.test if p.corpus == UI_PART]
    valid_set = set(valid_domains)
    ui_valid = [p for p in splits.valid if p.origin.split("/", 1)[-1] in valid_set]
    train_sources = {p.source for p in splits.train}
    return {
        "test_domains": sorted({p.origin for p in ui_test}),
        "valid_domains": sorted({p.origin for p in ui_valid}),
        "test_msgids": len(ui_test),
        "test_seen_in_train": sum(p.source in train_sources for p in ui_test),
        "valid_msgids": len(ui_valid),
        "valid_share": round(len(ui_valid) / max(1, len(splits.valid)), 4),
        "common_vocabulary": splits.common,
    }


def source_entry(
    src: Source,
    packages: Iterable[str],
    debs: Mapping[str, DebInfo],
    extracted: Mapping[str, int],
    kept: Mapping[str, int],
    per_split: Mapping[str, Mapping[str, int]],
) -> dict[str, Any]:
    return {
        "packages": {p: {"version": debs[p].version, "sha256": debs[p].sha256} for p in packages},
        "extracted": extracted.get(src.name, 0),
        "pairs": kept.get(src.name, 0),
        "per_split": {name: counts.get(src.name, 0) for name, counts in per_split.items()},
        "test_only": src.test_only,
        "discovered": bool(src.discover),
    }


def make_manifest(
    cfg: DataConfig,
    sources: list[Source],
    packages: Mapping[str, Iterable[str]],
    debs: Mapping[str, DebInfo],
    extracted: Mapping[str, int],
    pool: list[RawPair],
    test_fixed: list[RawPair],
    splits: Splits,
    skipped: Counter[str],
) -> dict[str, Any]:
    """Everything a reader needs to trust and reproduce the corpus (splits are added on write).

    `packages[source]` are the packages each source read (the recipe's or discovery's).
    """
    ui_test = [p for p in splits.test if p.corpus == UI_PART]
    kept = group_count([*pool, *test_fixed, *ui_test], lambda p: p.corpus)
    per_split = {
        name: group_count(pairs, lambda p: p.corpus) for name, pairs in splits.as_dict().items()
    }
    return {
        "pair": cfg.pair,
        "builder": f"nmt {__version__}",
        "test_parts": part_runs(splits.test),  # file order: evaluation cuts test.tsv by it
        "sources": {
            src.name: source_entry(src, packages[src.name], debs, extracted, kept, per_split)
            for src in sources
        },
        "packages": per_package(splits),
        "filters": {
            "train_valid": to_dict(cfg.filters),
            "split": to_dict(cfg.split),
            "discovery": to_dict(cfg.discovery),
        },
        "skipped": dict(sorted(skipped.items())),
        "test_dropped": dict(sorted(splits.test_dropped.items())),
    }
