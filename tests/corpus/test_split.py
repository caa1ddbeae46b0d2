from __future__ import annotations

from collections import Counter

import pytest

from nmt.config import FilterConfig, SplitConfig
from nmt.corpus.clean import leakage_key
from nmt.corpus.split import dedupe_pairs, make_splits, part_runs, pick_units, stable_hash
from nmt.corpus.types import RawPair


def _pool() -> list[RawPair]:
    pairs = []
    for doc in range(60):
        for i in range(10):
            pairs.append(
                RawPair(
                    f"Sentence {i} of doc {doc}.",
                    f"Satz {i} von Dok {doc}.",
                    f"pkg/d{doc}",
                    corpus="gettext",
                )
            )
    for i in range(300):
        src = f"Ding example number {i} here."
        pairs.append(RawPair(src, f"Ding Beispiel Nummer {i} hier.", "trans-de-en", src, "ding"))
    # Leakage bait: the same source sentence in a gettext doc as in test-only material.
    pairs.append(RawPair("Click the button.", "Klicke den Knopf.", "pkg/bait", corpus="gettext"))
    # Filter bait: too long for train/valid.
    pairs.append(RawPair("word " * 90, "Wort " * 90, "pkg/long", corpus="gettext"))
    return pairs


def test_splits_have_no_leakage_and_test_is_untouched_by_filters() -> None:
    fixed = [
        RawPair("CLICK THE BUTTON.", "Klicken Sie auf den Knopf.", "gnome/a", corpus="gnome"),
        RawPair("x " * 120, "y " * 120, "gnome/b", corpus="gnome"),  # would fail the filter
        RawPair("x " * 120, "y " * 120, "gnome/b", corpus="gnome"),  # duplicate
    ]
    cfg = SplitConfig(valid_size=100, valid_tolerance=10, test_size=50)
    out = make_splits(_pool(), fixed, lambda p: p.corpus == "ding", cfg, FilterConfig())
    train_keys = {leakage_key(p.source) for p in out.train}
    assert not train_keys & {leakage_key(p.source) for p in out.test}
    assert not train_keys & {leakage_key(p.source) for p in out.valid}
    assert sum(p.corpus == "ding" for p in out.test) == 50
    assert any(p.source.startswith("x x") for p in out.test)  # long test pair kept
    assert out.test_dropped == Counter({"duplicate-source": 1})
    assert out.skipped["test-overlap"] == 1  # the bait, case-insensitively
    assert out.skipped["filter/too-long"] == 1
    assert 90 <= len(out.valid) <= 110
    # sentence units (Ding) reach valid too: test and valid hash with different salts
    assert any(p.corpus == "ding" for p in out.valid)
    # valid is made of whole units: every doc in valid has all of its 10 sentences there
    docs = Counter(p.origin for p in out.valid if p.corpus == "gettext")
    assert set(docs.values()) <= {10}


def test_splits_are_deterministic() -> None:
    cfg = SplitConfig(valid_size=100, test_size=20)
    a = make_splits(_pool(), [], lambda p: p.corpus == "ding", cfg, FilterConfig())
    b = make_splits(list(reversed(_pool())), [], lambda p: p.corpus == "ding", cfg, FilterConfig())
    assert {p.source for p in a.test} == {p.source for p in b.test}
    assert {p.source for p in a.valid} == {p.source for p in b.valid}
    assert stable_hash("s", "x") == stable_hash("s", "x") != stable_hash("t", "x")


def test_big_units_do_not_swallow_valid() -> None:
    pairs = [RawPair(f"s{i}", f"t{i}", "big/doc") for i in range(5000)]
    pairs += [RawPair(f"u{i}", f"v{i}", f"small/{i % 50}") for i in range(500)]
    units = pick_units(pairs, SplitConfig(valid_size=200, valid_tolerance=20))
    assert "big/doc" not in units
    assert 180 <= sum(p.split_unit in units for p in pairs) <= 220


def test_global_dedupe_keeps_first() -> None:
    skipped: Counter[str] = Counter()
    pairs = [RawPair("a", "b", "one"), RawPair("a", "b", "two"), RawPair("a", "c", "three")]
    kept = dedupe_pairs(pairs, skipped)
    assert [p.origin for p in kept] == ["one", "three"]
    assert skipped["duplicate"] == 1


def test_part_runs_keep_file_order_and_refuse_a_split_part() -> None:
    gnome = [RawPair(f"g{i}", f"G{i}", "gnome/a", corpus="gnome") for i in range(2)]
    ding = [RawPair(f"d{i}", f"D{i}", "ding", corpus="ding") for i in range(3)]
    assert list(part_runs([*gnome, *ding]).items()) == [("gnome", 2), ("ding", 3)]
    with pytest.raises(ValueError, match="'gnome' is not contiguous"):
        part_runs([gnome[0], *ding, gnome[1]])


def _ui(source: str, target: str, domain: str, corpus: str = "gettext") -> RawPair:
    return RawPair(source, target, f"app/{domain}", corpus=corpus)


def test_ui_parts_hold_out_whole_domains_but_common_vocabulary_stays_in_train() -> None:
    from nmt.corpus.split import UI_PART, UiParts, cap_targets, unit_support

    pool = _pool()
    # "Cancel" ships in 3 training domains, "Rare label" in 1: only the first is common.
    for dom in ("x1", "x2", "x3"):
        pool.append(RawPair("Cancel", "Abbrechen", f"pkg/{dom}", corpus="gettext"))
    pool.append(RawPair("Rare label", "Seltene Beschriftung", "pkg/x4", corpus="gettext"))
    ui_test = [
        _ui("Cancel", "Abbrechen", "uitest", UI_PART),
        _ui("Rare label", "Seltenes Etikett", "uitest", UI_PART),
        _ui("%d", "%d", "uitest", UI_PART),  # test: identical and letter-free kept
    ]
    ui_valid = [
        _ui(f"Valid label {i} here", f"Gültige Beschriftung {i}", "uivalid") for i in range(5)
    ]
    units, support = unit_support(pool)
    deduped = dedupe_pairs(pool, Counter())
    cfg = SplitConfig(valid_size=60, valid_tolerance=6, test_size=20)
    out = make_splits(
        deduped,
        [],
        lambda p: p.corpus == "ding",
        cfg,
        FilterConfig(),
        ui=UiParts(ui_test, ui_valid, units, support),
    )
    assert [p.source for p in out.test if p.corpus == UI_PART] == ["Cancel", "Rare label", "%d"]
    assert out.valid[:5] == ui_valid  # the UI valid domain first, whole
    train_sources = {p.source for p in out.train}
    assert "Cancel" in train_sources and out.common == ["Cancel"]
    assert "Rare label" not in train_sources
    assert not train_sources & {p.source for p in out.valid}
    assert part_runs(out.test) == {"ding": 20, UI_PART: 3}
    # cap: the translations most units agree on are kept, in file order
    pairs = [
        RawPair("Open", "Offen", "a/1"),
        RawPair("Open", "Öffnen", "a/2"),
        RawPair("Open", "Geöffnet", "a/3"),
        RawPair("Open", "Aufmachen", "a/4"),
    ]
    support = {("Open", "Öffnen"): 9, ("Open", "Offen"): 2, ("Open", "Geöffnet"): 3}
    skipped: Counter[str] = Counter()
    kept = cap_targets(pairs, support, 2, skipped)
    assert [p.target for p in kept] == ["Öffnen", "Geöffnet"]
    assert skipped == Counter({"max-targets-per-source": 2})


def test_common_vocabulary_never_includes_other_test_parts() -> None:
    from nmt.corpus.split import UI_PART, UiParts, unit_support

    pool = [RawPair("Quit", "Beenden", f"pkg/d{i}", corpus="gettext") for i in range(5)]
    pool += [
        RawPair(f"Filler {i} words", f"Füller {i} Wörter", f"pkg/f{i}", corpus="gettext")
        for i in range(30)
    ]
    fixed = [RawPair("quit", "Beenden", "gnome/q", corpus="gnome")]
    ui_test = [_ui("Quit", "Beenden", "uitest", UI_PART)]
    units, support = unit_support(pool)
    out = make_splits(
        dedupe_pairs(pool, Counter()),
        fixed,
        lambda p: False,
        SplitConfig(valid_size=5, valid_tolerance=1, test_size=0),
        FilterConfig(),
        ui=UiParts(ui_test, [], units, support),
    )
    assert out.common == []
    assert "Quit" not in {p.source for p in out.train}
    assert out.test_dropped["duplicate-source"] == 0  # "quit" and "Quit" differ as text
