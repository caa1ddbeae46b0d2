"""Near-duplicate detection of forked help paragraphs (word 3-gram Jaccard)."""

from __future__ import annotations

from nmt.corpus.neardup import NearDuplicateIndex, shingles, words

TEST = [
    "Click the Activities button at the top left of the screen to open the overview.",
    "Introduction",
]


def test_a_forked_paragraph_with_a_few_words_changed_is_a_near_duplicate() -> None:
    index = NearDuplicateIndex(TEST)
    assert index.matches(
        "Click the Applications button at the top left of the screen to open the overview."
    )
    assert index.matches(TEST[0].upper())  # case and punctuation do not hide a copy


def test_unrelated_and_short_texts_are_not() -> None:
    index = NearDuplicateIndex(TEST)
    assert not index.matches("Press the power button to turn the computer on or off.")
    assert index.matches("introduction.")  # short: exact word sequence
    assert not index.matches("Introduction to printing")
    assert not index.matches("")


def test_shingles() -> None:
    assert words("Hello, <b>World</b>!") == ("hello", "b", "world", "b")
    assert shingles(("a", "b", "c", "d")) == {("a", "b", "c"), ("b", "c", "d")}
    assert shingles(("a", "b")) == frozenset()
