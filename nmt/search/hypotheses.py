"""Building and ranking `Hypothesis` objects (shared by greedy and beam search)."""

from __future__ import annotations

import heapq

import numpy as np

from nmt.search.protocol import FloatArray, Hypothesis, IntArray


def make_hypothesis(
    tokens: IntArray,
    attention: FloatArray,
    *,
    src_length: int,
    log_prob: float,
    score: float,
    finished: bool,
) -> Hypothesis:
    """A hypothesis from its token history int64 [T] and attention history float32 [>= T, S].

    The attention is trimmed to [T, src_length] and copied, so the (large, reused) history
    arrays of the search are not kept alive. `score` is the caller's penalised score.
    """
    length = tokens.shape[0]
    return Hypothesis(
        tokens=tokens.tolist(),
        score=float(score),
        log_prob=float(log_prob),
        attention=np.array(attention[:length, :src_length], dtype=np.float32),
        finished=finished,
    )


def best_first(hypotheses: list[Hypothesis], n: int) -> list[Hypothesis]:
    """The n best by score, best first; equal scores keep their order of creation (the sort is
    stable), which makes ties deterministic: the earlier (shorter, higher-ranked) one wins."""
    return sorted(hypotheses, key=lambda hyp: -hyp.score)[:n]


class KeptScores:
    """The n best scores seen so far for each of B sentences, to answer "what is the worst
    hypothesis we would still return?" in O(1) per sentence."""

    def __init__(self, batch: int, n: int) -> None:
        self._n = n
        self._heaps: list[list[float]] = [[] for _ in range(batch)]
        self.floor = np.full(batch, -np.inf)
        """float64 [B]: the n-th best score of each sentence; -inf while it has fewer than n."""

    def add(self, sentence: int, score: float) -> None:
        """Record one more hypothesis score for `sentence`."""
        heap = self._heaps[sentence]
        if len(heap) < self._n:
            heapq.heappush(heap, score)
        else:
            heapq.heappushpop(heap, score)
        if len(heap) == self._n:
            self.floor[sentence] = heap[0]
