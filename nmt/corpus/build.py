"""`nmt data build`: the Debian localization corpus of a language pair, end to end.

download (apt, own state) -> discover (Contents indexes) -> extract (.deb) -> per-source
extraction -> normalise -> drop empty and untranslated -> route the frozen UI domains and the
test-only sources -> near-duplicate filter -> global dedupe -> leakage-free splits -> filter
train/valid -> write.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nmt.config import DataConfig
from nmt.corpus.apt import AptCache, DebInfo, extract_deb, extract_members
from nmt.corpus.discover import Selection, contents_lines, scan_contents, select
from nmt.corpus.licences import package_licence
from nmt.corpus.manifest import make_manifest, test_part_hashes, ui_summary
from nmt.corpus.neardup import NearDuplicateIndex
from nmt.corpus.output import read_manifest, write_corpus
from nmt.corpus.recipes import (
    FROZEN_TEST_PARTS,
    SUPPORTED_PAIRS,
    Source,
    parse_pair,
    recipe,
    ui_domains,
)
from nmt.corpus.split import UI_PART, UiParts, dedupe_pairs, make_splits, unit_support
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


def previous_manifest(out: Path) -> dict[str, Any]:
    """The manifest of an earlier build in `out` (empty when there is none)."""
    return read_manifest(out) if (out / "manifest.json").exists() else {}


def previous_versions(out: Path) -> dict[str, str]:
    """Package versions recorded by an earlier build in `out` (empty when there is none)."""
    manifest = previous_manifest(out)
    return {
        pkg: info["version"]
        for src in manifest.get("sources", {}).values()
        for pkg, info in src.get("packages", {}).items()
    }


def discover(apt: AptCache, lang: str, cfg: DataConfig, exclude: Iterable[str]) -> Selection:
    """The broad recipe's packages, from the Contents indexes of the builder's apt state."""
    found = scan_contents(contents_lines(apt.contents_files()), lang)
    known = apt.known_records(sorted({*found.catalogs, *found.help_docs}))
    sizes = {pkg: int(rec.get("Size", "0")) for pkg, rec in known.items()}
    return select(found, sizes, cfg.discovery, exclude=exclude)


def pinned_selection(manifest: Mapping[str, Any]) -> Selection:
    """The discovery recorded by an earlier build (`--pin`: same packages, same versions)."""
    recorded = manifest.get("discovery", {})
    return Selection(
        {p: tuple(d) for p, d in recorded.get("catalogs", {}).items()},
        {p: tuple(d) for p, d in recorded.get("help", {}).items()},
        dict(recorded.get("left_out", {})),
    )


def l10n_files(lang: str) -> Callable[[str], bool]:
    """What a discovered package's extraction keeps: `lang` catalogs, help pages in English and
    `lang`, and the package's copyright file (for its licence)."""
    locale = f"usr/share/locale/{lang}/LC_MESSAGES/"
    helps = ("usr/share/help/C/", f"usr/share/help/{lang}/")

    def wanted(name: str) -> bool:
        if name.startswith(locale):
            return name.endswith(".mo") and "/" not in name[len(locale) :]
        if name.startswith(helps):
            return name.endswith(".page")
        return name.startswith("usr/share/doc/") and name.endswith("/copyright")

    return wanted


@dataclass(slots=True)
class Fetched:
    """The downloaded packages and where each was extracted."""

    debs: dict[str, DebInfo] = field(default_factory=dict)
    trees: dict[str, Path] = field(default_factory=dict)


def fetch_packages(
    apt: AptCache,
    static: list[str],
    discovered: list[str],
    pins: Mapping[str, str],
    *,
    lang: str,
    allow_current: bool,
) -> Fetched:
    """Download (cached, in batches) and extract every package of the recipe.

    The recipe's named packages are extracted whole; discovered ones only for their catalogs,
    help pages and copyright (into a folder of their own, so the two never mix).
    """
    names = sorted({*static, *discovered})
    pinned = {p: v for p, v in pins.items() if p in names}
    records = apt.lookup(names, pinned, allow_current=allow_current)
    got = Fetched(apt.download_many(records))
    wanted = l10n_files(lang)
    whole, partial = apt.root / "extracted", apt.root / "extracted-l10n"

    def unpack(pkg: str) -> tuple[str, Path]:
        if pkg in static:
            return pkg, extract_deb(got.debs[pkg], whole)
        return pkg, extract_members(got.debs[pkg], partial, wanted)

    # dpkg-deb decompresses in its own process, so two threads use both cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for pkg, tree in progress(pool.map(unpack, names), total=len(names), desc="extract"):
            got.trees[pkg] = tree
    return got


def index_files(apt: AptCache, lang: str) -> dict[str, str]:
    """sha256 of the index files the corpus depends on (Translation-*, Contents-*)."""
    files = (
        sorted(apt.lists.glob("*_i18n_Translation-en*"))
        + sorted(apt.lists.glob(f"*_i18n_Translation-{lang}*"))
        + apt.contents_files()
    )
    return {f.name: sha256_file(f) for f in files}


@dataclass(slots=True)
class Extracted:
    """Every source's cleaned pairs, routed: the training pool, the test-only pairs, the UI
    domains held out for test and valid, and the counts for the manifest."""

    pool: list[RawPair] = field(default_factory=list)
    test_fixed: list[RawPair] = field(default_factory=list)
    ui_test: list[RawPair] = field(default_factory=list)
    ui_valid: list[RawPair] = field(default_factory=list)
    ui_test_domains: frozenset[str] = frozenset()
    ui_valid_domains: frozenset[str] = frozenset()
    near_test: list[RawPair] = field(default_factory=list)  # filtered once test_fixed is known
    extracted: dict[str, int] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)


def domain_of(pair: RawPair) -> str:
    """The text domain of a gettext pair (origin `<package>/<domain>`)."""
    return pair.origin.split("/", 1)[-1]


def route(source: Source, kept: list[RawPair], into: Extracted) -> None:
    """Send a source's pairs where they belong (see `Extracted`)."""
    if source.test_only:
        into.test_fixed.extend(kept)
    elif source.near_test_filter:
        into.near_test.extend(kept)
    elif source.ui_domains:
        for pair in kept:
            domain = domain_of(pair)
            if domain in into.ui_test_domains:
                into.ui_test.append(RawPair(pair.source, pair.target, pair.origin, "", UI_PART))
            elif domain in into.ui_valid_domains:
                into.ui_valid.append(pair)
            else:
                into.pool.append(pair)
    else:
        into.pool.extend(kept)


def extract_sources(
    sources: list[Source],
    pair: str,
    fetched: Fetched,
    selection: Selection,
    apt_lists: Path,
) -> Extracted:
    """Run every source's extractor, clean its pairs and route them."""
    _, lang = parse_pair(pair)
    test_domains, valid_domains = ui_domains(pair)
    out = Extracted(
        ui_test_domains=frozenset(test_domains), ui_valid_domains=frozenset(valid_domains)
    )
    for source in progress(sources, desc="sources", unit="src"):
        items = selection.catalogs if source.discover == "catalogs" else selection.help_docs
        names = list(items) if source.discover else list(source.packages)
        ctx = SourceContext(lang, {p: fetched.trees[p] for p in names}, apt_lists, items=items)
        raw = list(source.extract(ctx))
        out.skipped.update(ctx.skipped)
        out.extracted[source.name] = len(raw)
        kept = clean_pairs(
            raw,
            source.name,
            out.skipped,
            keep_identical=source.test_only,
            sentence_units=source.sentence_units,
        )
        route(source, kept, out)
        logger.info("%s: %d extracted, %d kept", source.name, len(raw), len(kept))
    near = NearDuplicateIndex(p.source for p in out.test_fixed)
    for candidate in out.near_test:
        if near.matches(candidate.source):
            out.skipped[f"{candidate.corpus}/near-test-duplicate"] += 1
        else:
            out.pool.append(candidate)
    return out


def static_packages(sources: list[Source]) -> list[str]:
    return [pkg for src in sources for pkg in src.packages]


def build_corpus(
    pair: str,
    out: Path,
    *,
    apt_root: Path,
    cfg: DataConfig | None = None,
    refresh: bool = False,
    pin: bool = False,
    pin_allow_current: bool = False,
) -> dict[str, Any]:
    """Build the corpus of `pair` into `out`; returns the manifest.

    `pin` reuses the packages and versions recorded in `out/manifest.json` (discovery is not run
    again) and fails clearly, naming them all, when some versions have left the archive;
    `pin_allow_current` takes their current versions instead (listed in the manifest). Without
    `pin` the archive's current packages and versions are taken, and versions that differ from
    the previous build are logged.
    """
    started = time.monotonic()
    cfg = cfg or DataConfig(pair=pair)
    _, lang = parse_pair(pair)
    sources = recipe(pair)
    all_langs = sorted({p.split("-")[1] for p in SUPPORTED_PAIRS})
    apt = AptCache(apt_root, all_langs)
    apt.update(force=refresh)
    before = previous_manifest(out)
    versions = previous_versions(out)
    test_only = [p for s in sources if s.test_only for p in s.packages]
    if pin and before.get("discovery"):
        selection = pinned_selection(before)
    else:
        selection = discover(apt, lang, cfg, exclude=test_only)
    fetched = fetch_packages(
        apt,
        static_packages(sources),
        selection.packages,
        versions if pin else {},
        lang=lang,
        allow_current=pin_allow_current,
    )
    for pkg, deb in fetched.debs.items():
        if pkg in versions and versions[pkg] != deb.version:
            logger.info("%s: version %s replaces %s", pkg, deb.version, versions[pkg])

    ex = extract_sources(sources, pair, fetched, selection, apt.lists)
    hashed = {s.name for s in sources if s.test_hashed}
    units, support = unit_support(ex.pool)
    # The hashed source first: its pairs always survive the dedupe, so no other source (a new
    # catalog, say) can take a pair from it and move the hashed test sample.
    ordered = [p for p in ex.pool if p.corpus in hashed] + [
        p for p in ex.pool if p.corpus not in hashed
    ]
    pool = dedupe_pairs(ordered, ex.skipped)
    ui = UiParts(ex.ui_test, ex.ui_valid, units, support)
    splits = make_splits(
        pool, ex.test_fixed, lambda p: p.corpus in hashed, cfg.split, cfg.filters, ui=ui
    )
    ex.skipped.update(splits.skipped)
    read_by = {
        s.name: sorted(selection.catalogs if s.discover == "catalogs" else selection.help_docs)
        if s.discover
        else list(s.packages)
        for s in sources
    }
    manifest = make_manifest(
        cfg, sources, read_by, fetched.debs, ex.extracted, pool, ex.test_fixed, splits, ex.skipped
    )
    manifest["ui"] = ui_summary(splits, ex.ui_valid_domains)
    manifest["discovery"] = {
        "catalogs": {p: list(d) for p, d in selection.catalogs.items()},
        "help": {p: list(d) for p, d in selection.help_docs.items()},
        "left_out": selection.left_out,
        "max_package_mb": cfg.discovery.max_package_mb,
        "download_budget_mb": cfg.discovery.download_budget_mb,
    }
    manifest["licences"] = {pkg: package_licence(fetched.trees[pkg], pkg) for pkg in fetched.trees}
    manifest["pins_replaced"] = {p: list(v) for p, v in apt.replaced_pins.items()}
    manifest["test_part_sha256"] = check_frozen_parts(pair, test_part_hashes(splits.test))
    manifest["apt_indexes"] = index_files(apt, lang)
    manifest["downloaded_bytes"] = apt.downloaded_bytes
    manifest["wall_time_s"] = round(time.monotonic() - started, 1)
    return write_corpus(out, splits.as_dict(), manifest)


def check_frozen_parts(pair: str, hashes: dict[str, str]) -> dict[str, str]:
    """Warn loudly when a test part that scores are compared on has changed (a point release
    of its package, say); the manifest records the hashes either way."""
    for part, want in FROZEN_TEST_PARTS.get(pair, {}).items():
        if hashes.get(part) != want:
            logger.warning(
                "test part %s changed (sha256 %s, frozen %s): scores on it no longer compare "
                "with earlier models; rebuild with --pin to keep the old packages",
                part,
                hashes.get(part),
                want,
            )
    return hashes
