"""Leakage-free splits chosen by stable hashes.

test: every pair of the test-only sources (GNOME help) plus `test_size` hashed sentences of the
designated sources (Ding for Debian; all units for user imports), then the `ui` part (whole UI
text domains frozen by name in the recipe); only normalisation and dedupe.
valid: the frozen valid UI domains, then whole units (one .mo domain, help file, man page,
package description) in hash order until about `valid_size` pairs.
train: the rest, minus every test or valid source sentence, except the common UI vocabulary: a
UI test or valid source that at least `common_min_units` training units ship too ("Cancel",
"Save") stays in train, as a translation memory would hold it. Then at most
`max_targets_per_source` translations of one source sentence, those most units agree on.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from nmt.config import FilterConfig, SplitConfig
from nmt.corpus.clean import filter_reason, leakage_key
from nmt.corpus.types import RawPair

UI_PART = "ui"  # the name of the test part made of whole UI text domains


def stable_hash(salt: str, text: str) -> str:
    """A hash that is the same on every machine and Python run (unlike `hash()`)."""
    return hashlib.sha1(f"{salt}\x00{text}".encode()).hexdigest()


@dataclass(slots=True)
class Splits:
    """The three splits plus what was dropped, by reason, and the common UI vocabulary kept in
    train (`common`: sources of UI test or valid strings that train holds too)."""

    train: list[RawPair] = field(default_factory=list)
    valid: list[RawPair] = field(default_factory=list)
    test: list[RawPair] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    test_dropped: Counter[str] = field(default_factory=Counter)
    common: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[RawPair]]:
        return {"train": self.train, "valid": self.valid, "test": self.test}


@dataclass(frozen=True, slots=True)
class UiParts:
    """Whole UI text domains held out by name: `test` becomes the test part `ui`, `valid` is
    prepended to the valid split (filtered like it).

    `units_by_source[source]` are the units (text domain, help page, ...) that ship `source`
    among the training candidates, counted before the global dedupe (which keeps one copy);
    `support[(source, target)]` is how many units ship that exact pair.
    """

    test: Sequence[RawPair] = ()
    valid: Sequence[RawPair] = ()
    units_by_source: Mapping[str, frozenset[str]] = field(default_factory=dict)
    support: Mapping[tuple[str, str], int] = field(default_factory=dict)
    common_min_units: int = 3


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
    ui: UiParts | None = None,
) -> Splits:
    """Split `pool` (deduplicated, normalised) plus the test-only pairs `test_fixed`.

    `test_hashed_from(pair)` marks the pool pairs from which `split_cfg.test_size` sentences are
    hashed into test (Ding). `valid_fixed`, when given, is the valid split as is (a user's own;
    deduplicated only) instead of hashed units. `ui` holds the frozen UI domains (see the module
    doc). Returns train/valid/test with no test or valid source sentence in train but the common
    UI vocabulary, and no test source in valid.
    """
    ui = ui or UiParts()
    out = Splits()
    eligible = [p for p in pool if test_hashed_from(p)]
    hashed_test, _ = pick_hashed(eligible, split_cfg.test_size, f"{split_cfg.salt}/test")
    hashed_ids = {id(p) for p in hashed_test}
    out.test = dedupe_test([*test_fixed, *hashed_test, *ui.test], out.test_dropped)
    test_keys = {leakage_key(p.source) for p in out.test}

    rest = filtered((p for p in pool if id(p) not in hashed_ids), filter_cfg, out.skipped)
    if valid_fixed is not None:
        valid = dedupe_test(valid_fixed, Counter())
        out.valid = without_sources(valid, test_keys, "valid-test-overlap", out.skipped)
        train, units = rest, set()
    else:
        ui_valid = dedupe_test(filtered(ui.valid, filter_cfg, out.skipped), Counter())
        ui_valid = without_sources(ui_valid, test_keys, "valid-test-overlap", out.skipped)
        held_out = test_keys | {leakage_key(p.source) for p in ui_valid}
        candidates = [p for p in rest if leakage_key(p.source) not in held_out]
        units = pick_units(candidates, split_cfg)
        out.valid = [*ui_valid, *(p for p in candidates if p.split_unit in units)]
        train = [p for p in rest if p.split_unit not in units]
    common = common_vocabulary(out, ui, units)
    train = without_sources(train, test_keys - common, "test-overlap", out.skipped)
    valid_keys = {leakage_key(p.source) for p in out.valid} - common
    out.train = without_sources(train, valid_keys, "valid-overlap", out.skipped)
    out.train = cap_targets(out.train, ui.support, filter_cfg.max_targets_per_source, out.skipped)
    out.common = sorted({p.source for p in out.train if leakage_key(p.source) in common})
    return out


def common_vocabulary(out: Splits, ui: UiParts, valid_units: set[str]) -> set[str]:
    """Leakage keys of the UI test/valid sources that at least `ui.common_min_units` training
    units ship (units that went to valid do not count). Never a source of another test part or
    of the hashed valid units: those are held out whatever they are."""
    ui_sources = {p.source for p in out.test if p.corpus == UI_PART} | {
        p.source for p in out.valid if p.split_unit not in valid_units
    }
    others = {leakage_key(p.source) for p in out.test if p.corpus != UI_PART} | {
        leakage_key(p.source) for p in out.valid if p.split_unit in valid_units
    }
    common = set()
    for source in ui_sources:
        units = ui.units_by_source.get(source, frozenset()) - valid_units
        if len(units) >= ui.common_min_units:
            common.add(leakage_key(source))
    return common - others


def cap_targets(
    pairs: Sequence[RawPair],
    support: Mapping[tuple[str, str], int],
    cap: int,
    skipped: Counter[str],
) -> list[RawPair]:
    """At most `cap` distinct targets of one source: those most units ship, ties to the first.

    The file order of the kept pairs is unchanged. Counted as `max-targets-per-source`.
    """
    by_source: dict[str, list[int]] = defaultdict(list)
    for index, pair in enumerate(pairs):
        by_source[pair.source].append(index)
    dropped: set[int] = set()
    for indices in by_source.values():
        if len(indices) > cap:
            ranked = sorted(indices, key=lambda i: -support.get(_key(pairs[i]), 1))
            dropped.update(ranked[cap:])
    skipped["max-targets-per-source"] += len(dropped)
    return [pair for index, pair in enumerate(pairs) if index not in dropped]


def _key(pair: RawPair) -> tuple[str, str]:
    return pair.source, pair.target


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


def unit_support(
    pairs: Iterable[RawPair],
) -> tuple[dict[str, frozenset[str]], dict[tuple[str, str], int]]:
    """Before the dedupe: the units that ship each source, and how many ship each pair."""
    by_source: dict[str, set[str]] = defaultdict(set)
    by_pair: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pair in pairs:
        by_source[pair.source].add(pair.split_unit)
        by_pair[_key(pair)].add(pair.split_unit)
    return (
        {source: frozenset(units) for source, units in by_source.items()},
        {key: len(units) for key, units in by_pair.items()},
    )


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
