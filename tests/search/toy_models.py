"""Pure-NumPy step models for the search tests, and a slow reference beam search.

- `ScriptedModel`: log-probabilities come from a hand-written table keyed by the output prefix.
- `RandomRNNModel`: a small random recurrent model with masked attention over a random memory.
  Every row is computed on its own, with 1-D operations, over its own source positions only,
  so its outputs are bitwise independent of batch composition and padding: any difference in
  the search results between batchings is the search's fault.
- `reference_beam_search`: one sentence at a time, Python lists, sorting all K*V candidates,
  no early stop (every sentence runs to its cap): the definition the batched search must match.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from nmt.config import DecodingConfig
from nmt.search import SENTENCE_KEY, ArrayState, Hypothesis, max_output_lengths, reorder_state
from nmt.search.hypotheses import best_first, make_hypothesis
from nmt.search.length_penalty import penalized_score
from nmt.search.protocol import TopK

BOS, EOS = 1, 2


class ScriptedModel:
    """log p(token | prefix) from `table[prefix] = {token: probability}`.

    The prefix is the tuple of output tokens so far (BOS excluded). Tokens not listed share the
    remaining mass equally (BOS gets none); a prefix not in the table uses `default`. The
    attention is uniform over each sentence's own source positions.
    """

    def __init__(
        self,
        table: Mapping[tuple[int, ...], Mapping[int, float]],
        vocab: int,
        default: Mapping[int, float] | None = None,
    ) -> None:
        self.table = table
        self.vocab = vocab
        self.default = default if default is not None else {EOS: 0.9}
        self.step_rows: list[int] = []  # rows of every step call, to observe batching

    def distribution(self, prefix: tuple[int, ...]) -> np.ndarray:
        """float32 [V] log-probabilities after `prefix`."""
        given = self.table.get(prefix, self.default)
        rest = [v for v in range(self.vocab) if v not in given and v != BOS]
        probs = np.zeros(self.vocab)
        for token, p in given.items():
            probs[token] = p
        probs[rest] = (1.0 - sum(given.values())) / len(rest)
        with np.errstate(divide="ignore"):
            return np.log(probs).astype(np.float32)

    def log_prob(self, tokens: list[int], *, finished: bool) -> float:
        """The search's sum for this output, accumulated in the same order and precision."""
        total = 0.0
        for i, token in enumerate([*tokens, EOS] if finished else tokens):
            total += float(self.distribution(tuple(tokens[:i]))[token])
        return total

    def encode(self, src_ids: np.ndarray, src_lengths: np.ndarray) -> ArrayState:
        mask = np.arange(src_ids.shape[1]) < np.asarray(src_lengths)[:, None]
        return {"src_mask": mask, "prefix": np.zeros((src_ids.shape[0], 0), dtype=np.int64)}

    def step(
        self, prev_tokens: np.ndarray, state: ArrayState
    ) -> tuple[np.ndarray, np.ndarray, ArrayState]:
        self.step_rows.append(prev_tokens.shape[0])
        prefix = np.concatenate([state["prefix"], prev_tokens[:, None]], axis=1)
        log_probs = np.stack([self.distribution(tuple(row[1:].tolist())) for row in prefix])
        mask = state["src_mask"]
        counts = np.maximum(mask.sum(axis=1, keepdims=True), 1)
        attention = (mask / counts).astype(np.float32)
        return log_probs, attention, {"src_mask": mask, "prefix": prefix}

    def reorder(self, state: ArrayState, indices: np.ndarray) -> ArrayState:
        return reorder_state(state, indices)


class RandomRNNModel:
    """h' = tanh(W [h; emb(prev)]); attention over the sentence's memory; logits = O [h'; ctx].

    An EOS bias that grows with the step makes hypotheses end at varied lengths.
    """

    def __init__(
        self,
        seed: int,
        *,
        vocab: int = 12,
        dim: int = 8,
        src_vocab: int = 20,
        eos_bias: float = -2.0,
    ) -> None:
        rng = np.random.default_rng(seed)
        self.vocab = vocab
        self.src_emb = rng.normal(size=(src_vocab, dim))
        self.tgt_emb = rng.normal(size=(vocab, dim))
        self.w_in = rng.normal(size=(dim, 2 * dim)) / math.sqrt(dim)
        self.w_out = rng.normal(size=(vocab, 2 * dim)) * 1.5
        self.eos_bias = eos_bias
        self.step_rows: list[int] = []

    def encode(self, src_ids: np.ndarray, src_lengths: np.ndarray) -> ArrayState:
        src_ids, src_lengths = np.asarray(src_ids), np.asarray(src_lengths)
        mask = np.arange(src_ids.shape[1]) < src_lengths[:, None]
        memory = np.tanh(self.src_emb[src_ids])  # padded positions hold junk: they must be masked
        h0 = np.stack([memory[i, : src_lengths[i]].sum(axis=0) for i in range(len(src_ids))])
        return {
            "memory": memory,
            "src_mask": mask,
            "h": np.tanh(h0),
            "t": np.zeros(src_ids.shape[0], dtype=np.int64),
            SENTENCE_KEY: np.arange(src_ids.shape[0]),
        }

    def _row(
        self, prev: int, h: np.ndarray, memory: np.ndarray, t: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One row: (log_probs float32 [V], attention [S_i], next h) from this row alone."""
        h = np.tanh(self.w_in @ np.concatenate([h, self.tgt_emb[prev]]))
        if len(memory):
            energy = memory @ h
            weights = np.exp(energy - energy.max())
            weights /= weights.sum()
            context = weights @ memory
        else:
            weights, context = np.zeros(0), np.zeros_like(h)
        logits = self.w_out @ np.concatenate([h, context])
        logits[EOS] += self.eos_bias + 0.5 * t
        logits[BOS] = -np.inf
        shifted = logits - logits.max()
        log_probs = shifted - np.log(np.exp(shifted).sum())
        return log_probs.astype(np.float32), weights, h

    def step(
        self, prev_tokens: np.ndarray, state: ArrayState
    ) -> tuple[np.ndarray, np.ndarray, ArrayState]:
        self.step_rows.append(prev_tokens.shape[0])
        memory, mask = state["memory"], state["src_mask"]
        log_probs = np.zeros((len(prev_tokens), self.vocab), dtype=np.float32)
        attention = np.zeros(mask.shape, dtype=np.float32)
        h = np.zeros_like(state["h"])
        for i, prev in enumerate(prev_tokens.tolist()):
            n = int(mask[i].sum())
            log_probs[i], attention[i, :n], h[i] = self._row(
                prev, state["h"][i], memory[i, :n], int(state["t"][i])
            )
        return log_probs, attention, {**state, "h": h, "t": state["t"] + 1}

    def reorder(self, state: ArrayState, indices: np.ndarray) -> ArrayState:
        return reorder_state(state, indices)


def random_batch(seed: int, lengths: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """A padded batch (src_ids [B, max length], src_lengths [B]) of random source ids."""
    rng = np.random.default_rng(seed)
    src = np.zeros((len(lengths), max(lengths)), dtype=np.int64)
    for i, n in enumerate(lengths):
        src[i, :n] = rng.integers(3, 20, size=n)
    return src, np.array(lengths)


def reference_beam_search(
    model: RandomRNNModel | ScriptedModel, src: np.ndarray, cfg: DecodingConfig
) -> list[Hypothesis]:
    """The n-best of one unpadded sentence `src` [S_i] by plain beam search run to its cap."""
    cap = int(max_output_lengths(np.array([len(src)]), cfg)[0])
    state = model.encode(src[None, :], np.array([len(src)]))
    live: list[tuple[float, list[int], list[np.ndarray]]] = [(0.0, [], [])]
    ended: list[Hypothesis] = []

    def add(score: float, tokens: list[int], attention: list[np.ndarray], finished: bool) -> None:
        attn = np.array(attention, dtype=np.float32).reshape(len(tokens), len(src))
        ended.append(
            make_hypothesis(
                np.array(tokens, dtype=np.int64),
                attn,
                src_length=len(src),
                log_prob=score,
                score=penalized_score(score, len(tokens) + finished, cfg.length_penalty),
                finished=finished,
            )
        )

    for t in range(cap):
        prev = np.array([hyp[1][-1] if hyp[1] else BOS for hyp in live], dtype=np.int64)
        log_probs, attention, state = model.step(prev, state)
        if t < cfg.min_length:
            log_probs = log_probs.copy()
            log_probs[:, EOS] = -np.inf
        vocab = log_probs.shape[1]
        cands = [
            (score + float(log_probs[j, v]), j * vocab + v, j, v)
            for j, (score, _, _) in enumerate(live)
            for v in range(vocab)
        ]
        cands.sort(key=lambda c: (-c[0], c[1]))
        chosen: list[tuple[float, int, int]] = []
        for rank, (score, _, j, v) in enumerate(cands):
            if v == EOS:
                if rank < cfg.beam_size and math.isfinite(score):
                    add(score, live[j][1], live[j][2], True)
            elif len(chosen) < cfg.beam_size and math.isfinite(score):
                chosen.append((score, j, v))
        if not chosen:
            break
        live = [(s, [*live[j][1], v], [*live[j][2], attention[j]]) for s, j, v in chosen]
        state = model.reorder(state, np.array([j for _, j, _ in chosen]))
        if t + 1 == cap:
            for score, tokens, attn in live:
                add(score, tokens, attn, False)
    return best_first(ended, cfg.n_best)


class TopKAdapter:
    """A toy model offered through the top-k step protocol (`returns_topk`): each row's k best
    tokens of the inner model's log-probabilities, best first, ties to the lower id (a stable
    sort), so a search over it must return exactly what the search over the inner model does."""

    returns_topk = True

    def __init__(self, inner: RandomRNNModel | ScriptedModel) -> None:
        self.inner = inner
        self.vocab_size = inner.vocab
        self.ks: list[int] = []  # k of every step call

    def encode(self, src_ids: np.ndarray, src_lengths: np.ndarray) -> ArrayState:
        return self.inner.encode(src_ids, src_lengths)

    def step(
        self, prev_tokens: np.ndarray, state: ArrayState
    ) -> tuple[np.ndarray, np.ndarray, ArrayState]:
        raise AssertionError("a top-k model is stepped with step_topk")

    def step_topk(
        self, prev_tokens: np.ndarray, state: ArrayState, k: int
    ) -> tuple[TopK, np.ndarray, ArrayState]:
        self.ks.append(k)
        log_probs, attention, state = self.inner.step(prev_tokens, state)
        ids = np.argsort(-log_probs, axis=1, kind="stable")[:, : min(k, self.vocab_size)]
        return TopK(np.take_along_axis(log_probs, ids, axis=1), ids), attention, state

    def reorder(self, state: ArrayState, indices: np.ndarray) -> ArrayState:
        return self.inner.reorder(state, indices)
