"""Leakage-free splits chosen by stable hashes.

test: every pair of the test-only sources (GNOME help) plus `test_size` hashed sentences of the
designated sources (Ding for Debian; all units for user imports); only normalisation and dedupe.
valid: whole units (one .mo domain, help file, man page, package description) in hash order
until about `valid_size` pairs. train: the rest, minus every test or valid source sentence.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from nmt.config import FilterConfig, SplitConfig
from nmt.corpus.clean import filter_reason, leakage_key
from nmt.corpus.types import RawPair


def stable_hash(salt: str, text: str) -> str:
    """A hash that is the same on every machine and Python run (unlike `hash()`)."""
    return hashlib.sha1(f"{salt}\x00{text}".encode()).hexdigest()


@dataclass(slots=True)
class Splits:
    """The three splits plus what was dropped, by reason."""

    train: list[RawPair] = field(default_factory=list)
    valid: list[RawPair] = field(default_factory=list)
    test: list[RawPair] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    test_dropped: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, list[RawPair]]:
        return {"train": self.train, "valid": self.valid, "test": self.test}


def dedupe_test(pairs: Iterable[RawPair], dropped: Counter[str]) -> list[RawPair]:
    """Test pairs, first occurrence of each source sentence kept (one reference each)."""
    seen: set[str] = set()
    kept = []
    for pair in pairs:
        if not pair.source or not pair.target:
            dropped["empty"] += 1
        elif pair.source in seen:
            dropped["duplicate-source"] += 1
        else:
            seen.add(pair.source)
            kept.append(pair)
    return kept


def pick_hashed(pairs: Sequence[RawPair], n: int, salt: str) -> tuple[list[RawPair], list[RawPair]]:
    """The `n` distinct source sentences with the lowest hash (all their pairs), and the rest."""
    order = sorted({p.source for p in pairs}, key=lambda s: stable_hash(salt, s))
    chosen = set(order[:n])
    return [p for p in pairs if p.source in chosen], [p for p in pairs if p.source not in chosen]


def pick_units(pairs: Sequence[RawPair], cfg: SplitConfig) -> set[str]:
    """Units filled in hash order until about `valid_size` pairs.

    A unit that would overshoot by more than `valid_tolerance` is passed over (it stays in
    train), so one big catalog cannot swallow the valid split.
    """
    sizes = Counter(p.split_unit for p in pairs)
    chosen: set[str] = set()
    total = 0
    # A salt of its own: with the test's salt, sentence units (Ding) would meet the lowest
    # hashes the test part already took, and valid would never get any of them.
    salt = f"{cfg.salt}/valid"
    for unit in sorted(sizes, key=lambda u: stable_hash(salt, u)):
        if total >= cfg.valid_size - cfg.valid_tolerance:
            break
        if total + sizes[unit] <= cfg.valid_size + cfg.valid_tolerance:
            chosen.add(unit)
            total += sizes[unit]
    return chosen


def without_sources(
    pairs: Iterable[RawPair], banned: set[str], reason: str, skipped: Counter[str]
) -> list[RawPair]:
    kept = []
    for pair in pairs:
        if leakage_key(pair.source) in banned:
            skipped[reason] += 1
        else:
            kept.append(pair)
    return kept


def filtered(pairs: Iterable[RawPair], cfg: FilterConfig, skipped: Counter[str]) -> list[RawPair]:
    kept = []
    for pair in pairs:
        reason = filter_reason(pair.source, pair.target, cfg)
        if reason is None:
            kept.append(pair)
        else:
            skipped[f"filter/{reason}"] += 1
    return kept


def make_splits(
    pool: Sequence[RawPair],
    test_fixed: Sequence[RawPair],
    test_hashed_from: Callable[[RawPair], bool],
    split_cfg: SplitConfig,
    filter_cfg: FilterConfig,
    valid_fixed: Sequence[RawPair] | None = None,
) -> Splits:
    """Split `pool` (deduplicated, normalised) plus the test-only pairs `test_fixed`.

    `test_hashed_from(pair)` marks the pool pairs from which `split_cfg.test_size` sentences are
    hashed into test (Ding). `valid_fixed`, when given, is the valid split as is (a user's own;
    deduplicated only) instead of hashed units. Returns train/valid/test with no test or valid
    source sentence in train, and no test source in valid.
    """
    out = Splits()
    eligible = [p for p in pool if test_hashed_from(p)]
    hashed_test, _ = pick_hashed(eligible, split_cfg.test_size, f"{split_cfg.salt}/test")
    hashed_ids = {id(p) for p in hashed_test}
    out.test = dedupe_test([*test_fixed, *hashed_test], out.test_dropped)
    test_keys = {leakage_key(p.source) for p in out.test}

    rest = [p for p in pool if id(p) not in hashed_ids]
    rest = without_sources(rest, test_keys, "test-overlap", out.skipped)
    rest = filtered(rest, filter_cfg, out.skipped)

    if valid_fixed is not None:
        valid = dedupe_test(valid_fixed, Counter())
        out.valid = without_sources(valid, test_keys, "valid-test-overlap", out.skipped)
        train = rest
    else:
        units = pick_units(rest, split_cfg)
        out.valid = [p for p in rest if p.split_unit in units]
        train = [p for p in rest if p.split_unit not in units]
    valid_keys = {leakage_key(p.source) for p in out.valid}
    out.train = without_sources(train, valid_keys, "valid-overlap", out.skipped)
    return out


def dedupe_pairs(pairs: Iterable[RawPair], skipped: Counter[str]) -> list[RawPair]:
    """Global dedupe on the (source, target) pair; the first occurrence (recipe order) wins."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for pair in pairs:
        key = (pair.source, pair.target)
        if key in seen:
            skipped["duplicate"] += 1
        else:
            seen.add(key)
            kept.append(pair)
    return kept


def part_runs(pairs: Iterable[RawPair]) -> dict[str, int]:
    """{corpus: count} in file order for a split written part after part (test: the test-only
    sources, then the hashed sentences). Readers cut the file by these counts, in this order,
    so a part that is not one contiguous run is an error, not a silent mislabel."""
    runs: dict[str, int] = {}
    last = None
    for pair in pairs:
        if pair.corpus != last and pair.corpus in runs:
            raise ValueError(f"test part {pair.corpus!r} is not contiguous in the split")
        runs[pair.corpus] = runs.get(pair.corpus, 0) + 1
        last = pair.corpus
    return runs


def group_count(pairs: Iterable[RawPair], key: Callable[[RawPair], str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for pair in pairs:
        counts[key(pair)] += 1
    return dict(sorted(counts.items()))
