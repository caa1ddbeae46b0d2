"""`nmt data build`: the Debian localization corpus of a language pair, end to end.

download (apt, own state) -> extract (.deb) -> per-source extraction -> normalise -> drop empty
and untranslated -> global dedupe -> leakage-free splits -> filter train/valid -> write.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nmt import __version__
from nmt.config import DataConfig, to_dict
from nmt.corpus.apt import AptCache, DebInfo, extract_deb
from nmt.corpus.output import read_manifest, write_corpus
from nmt.corpus.recipes import SUPPORTED_PAIRS, Source, parse_pair, recipe
from nmt.corpus.split import Splits, dedupe_pairs, group_count, make_splits, part_runs
from nmt.corpus.types import RawPair, SourceContext
from nmt.hashing import sha256_file
from nmt.normalize import normalize
from nmt.progress import progress

logger = logging.getLogger(__name__)


def clean_pairs(
    raw: Iterable[RawPair],
    name: str,
    skipped: Counter[str],
    *,
    keep_identical: bool = False,
    sentence_units: bool = False,
) -> list[RawPair]:
    """Normalise both sides; drop empty and untranslated (identical) pairs, counted by reason.

    The test part keeps identical pairs (`keep_identical`): they are real references there (a
    command, a product name), and the test split gets only normalisation and dedupe.
    """
    kept = []
    for pair in raw:
        src, tgt = normalize(pair.source), normalize(pair.target)
        if not src or not tgt:
            skipped[f"{name}/empty"] += 1
        elif src == tgt and not keep_identical:
            skipped[f"{name}/untranslated"] += 1
        else:
            unit = src if sentence_units else pair.unit
            kept.append(RawPair(src, tgt, pair.origin, unit, name))
    return kept


def previous_versions(out: Path) -> dict[str, str]:
    """Package versions recorded by an earlier build in `out` (empty when there is none)."""
    if not (out / "manifest.json").exists():
        return {}
    manifest = read_manifest(out)
    return {
        pkg: info["version"]
        for src in manifest.get("sources", {}).values()
        for pkg, info in src.get("packages", {}).items()
    }


def fetch_packages(
    apt: AptCache, sources: list[Source], pins: Mapping[str, str], extracted: Path
) -> tuple[dict[str, DebInfo], dict[str, Path]]:
    """Download (cached) and extract every package of the recipe."""
    names = [pkg for src in sources for pkg in src.packages]
    records = apt.lookup(names, pins)
    debs: dict[str, DebInfo] = {}
    trees: dict[str, Path] = {}
    for pkg in progress(names, desc="packages", unit="pkg"):
        debs[pkg] = apt.download(pkg, rec=records[pkg])
        trees[pkg] = extract_deb(debs[pkg], extracted)
    return debs, trees


def index_files(apt: AptCache, lang: str) -> dict[str, str]:
    """sha256 of the Translation index files the package descriptions come from."""
    files = sorted(apt.lists.glob("*_i18n_Translation-en*")) + sorted(
        apt.lists.glob(f"*_i18n_Translation-{lang}*")
    )
    return {f.name: sha256_file(f) for f in files}


def build_corpus(
    pair: str,
    out: Path,
    *,
    apt_root: Path,
    cfg: DataConfig | None = None,
    refresh: bool = False,
    pin: bool = False,
) -> dict[str, Any]:
    """Build the corpus of `pair` into `out`; returns the manifest.

    `pin` reuses the package versions recorded in `out/manifest.json` and fails clearly when one
    has left the archive; without it the archive's current versions are taken, and any that
    differ from the previous build are logged.
    """
    started = time.monotonic()
    cfg = cfg or DataConfig(pair=pair)
    _, lang = parse_pair(pair)
    sources = recipe(pair)
    all_langs = sorted({p.split("-")[1] for p in SUPPORTED_PAIRS})
    apt = AptCache(apt_root, all_langs)
    apt.update(force=refresh)
    before = previous_versions(out)
    debs, trees = fetch_packages(apt, sources, before if pin else {}, apt_root / "extracted")
    for pkg, deb in debs.items():
        if pkg in before and before[pkg] != deb.version:
            logger.warning(
                "%s: version %s replaces %s of the previous build", pkg, deb.version, before[pkg]
            )

    skipped: Counter[str] = Counter()
    extracted: dict[str, int] = {}
    test_fixed: list[RawPair] = []
    pool: list[RawPair] = []
    for source in progress(sources, desc="sources", unit="src"):
        ctx = SourceContext(lang, {p: trees[p] for p in source.packages}, apt.lists)
        raw = list(source.extract(ctx))
        skipped.update(ctx.skipped)
        extracted[source.name] = len(raw)
        kept = clean_pairs(
            raw,
            source.name,
            skipped,
            keep_identical=source.test_only,
            sentence_units=source.sentence_units,
        )
        (test_fixed if source.test_only else pool).extend(kept)
        logger.info("%s: %d extracted, %d kept", source.name, len(raw), len(kept))

    pool = dedupe_pairs(pool, skipped)
    hashed = {s.name for s in sources if s.test_hashed}
    splits = make_splits(pool, test_fixed, lambda p: p.corpus in hashed, cfg.split, cfg.filters)
    skipped.update(splits.skipped)
    manifest = make_manifest(cfg, sources, debs, extracted, pool, test_fixed, splits, skipped)
    manifest["apt_indexes"] = index_files(apt, lang)
    manifest["wall_time_s"] = round(time.monotonic() - started, 1)
    return write_corpus(out, splits.as_dict(), manifest)


def make_manifest(
    cfg: DataConfig,
    sources: list[Source],
    debs: Mapping[str, DebInfo],
    extracted: Mapping[str, int],
    pool: list[RawPair],
    test_fixed: list[RawPair],
    splits: Splits,
    skipped: Counter[str],
) -> dict[str, Any]:
    """Everything a reader needs to trust and reproduce the corpus (splits are added on write)."""
    kept = group_count([*pool, *test_fixed], lambda p: p.corpus)
    per_split = {
        name: group_count(pairs, lambda p: p.corpus) for name, pairs in splits.as_dict().items()
    }
    return {
        "pair": cfg.pair,
        "builder": f"nmt {__version__}",
        "test_parts": part_runs(splits.test),  # file order: evaluation cuts test.tsv by it
        "sources": {
            src.name: {
                "packages": {
                    p: {"version": debs[p].version, "sha256": debs[p].sha256} for p in src.packages
                },
                "extracted": extracted.get(src.name, 0),
                "pairs": kept.get(src.name, 0),
                "per_split": {name: counts.get(src.name, 0) for name, counts in per_split.items()},
                "test_only": src.test_only,
            }
            for src in sources
        },
        "filters": {"train_valid": to_dict(cfg.filters), "split": to_dict(cfg.split)},
        "skipped": dict(sorted(skipped.items())),
        "test_dropped": dict(sorted(splits.test_dropped.items())),
    }
