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
