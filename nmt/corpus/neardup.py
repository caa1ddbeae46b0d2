"""Near-duplicate paragraphs: word 3-gram shingles and their Jaccard overlap.

Used to keep forks of the test documents out of train: MATE's and others' help copies GNOME's
pages with a few words changed, which the exact-source leakage rule cannot see. A candidate is a
near duplicate of a reference when their sets of word 3-grams (case-folded, letters and digits
only) overlap with Jaccard >= `threshold`; texts too short for 3-grams compare their word
sequences exactly. An inverted index over the references' shingles keeps the cost linear in the
candidates' shingles instead of candidates x references.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

_WORD = re.compile(r"\w+")
SHINGLE = 3
THRESHOLD = 0.5


def words(text: str) -> tuple[str, ...]:
    """The case-folded words of `text` (punctuation, markup symbols and spacing ignored)."""
    return tuple(_WORD.findall(text.casefold()))


def shingles(tokens: Sequence[str]) -> frozenset[tuple[str, ...]]:
    """The set of word `SHINGLE`-grams; empty when there are fewer words than that."""
    return frozenset(tuple(tokens[i : i + SHINGLE]) for i in range(len(tokens) - SHINGLE + 1))


class NearDuplicateIndex:
    """The reference paragraphs, indexed for `matches`."""

    def __init__(self, references: Iterable[str], threshold: float = THRESHOLD) -> None:
        self.threshold = threshold
        self.short: set[tuple[str, ...]] = set()
        self.sizes: list[int] = []
        self.postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for text in references:
            tokens = words(text)
            grams = shingles(tokens)
            if not grams:
                self.short.add(tokens)
                continue
            ref_id = len(self.sizes)
            self.sizes.append(len(grams))
            for gram in grams:
                self.postings[gram].append(ref_id)

    def matches(self, text: str) -> bool:
        """Whether `text` nearly duplicates a reference (Jaccard of 3-grams >= threshold)."""
        tokens = words(text)
        grams = shingles(tokens)
        if not grams:
            return bool(tokens) and tokens in self.short
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self.postings.get(gram, ()))
        for ref_id, common in shared.items():
            union = len(grams) + self.sizes[ref_id] - common
            if common / union >= self.threshold:
                return True
        return False
