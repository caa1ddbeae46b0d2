"""The one text -> text pipeline, shared by validation, the CLI, batch translation and serving.

text -> normalise -> protect (placeholders, markup, terms) -> SentencePiece ids + EOS
     -> search (greedy | beam) on any StepModel backend -> ids -> text -> restore protected spans

Inputs are sorted by length into batches (less padding) and results come back in input order.
The backend is any `StepModel` (PyTorch in training, ONNX Runtime in serving); this module
imports no framework.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from nmt.config import DecodingConfig
from nmt.corpus.clean import normalize
from nmt.protect import Protected, protect, restore
from nmt.search import Hypothesis, StepModel, search
from nmt.tokenizer import BOS_ID, EOS_ID, PAD_ID, Tokenizer

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Alternative:
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class Translation:
    """One input's result.

    `score` is the length-normalised log-probability of the best hypothesis (mean per output
    token, EOS included). `alternatives` are the other n-best hypotheses, best first.
    `placed`/`inserted`: protected spans the model emitted itself / that restore had to insert.
    """

    text: str
    score: float
    alternatives: tuple[Alternative, ...] = ()
    placed: int = 0
    inserted: int = 0
    tokens: tuple[int, ...] = ()
    attention: np.ndarray | None = field(default=None, repr=False)  # [T, S] of the best


def source_ids(tokenizer: Tokenizer, masked: Sequence[str]) -> list[list[int]]:
    """Encoder input ids of masked texts: SentencePiece ids + EOS (as in training)."""
    return [[*ids, EOS_ID] for ids in tokenizer.encode(masked)]


def pad_batch(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """int64 [B, S] padded with PAD_ID, and the lengths int64 [B]."""
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    out = np.full((len(rows), int(lengths.max())), PAD_ID, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out, lengths


def normalised_score(hyp: Hypothesis) -> float:
    return hyp.log_prob / max(1, len(hyp.tokens) + int(hyp.finished))


class Translator:
    """Translate texts with a step model and its tokenizer."""

    def __init__(self, model: StepModel, tokenizer: Tokenizer, *, batch_size: int = 32) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = batch_size

    def translate(
        self,
        texts: Sequence[str],
        cfg: DecodingConfig | None = None,
        *,
        terms: Iterable[str] = (),
    ) -> list[Translation]:
        """One Translation per text, in input order; empty texts give empty translations."""
        cfg = cfg or DecodingConfig()
        terms = tuple(terms)
        clean = [normalize(t) for t in texts]
        protected = [protect(t, terms) for t in clean]
        ids = source_ids(self.tokenizer, [p.text for p in protected])
        results: list[Translation | None] = [Translation("", 0.0) if not t else None for t in clean]
        todo = sorted((i for i, r in enumerate(results) if r is None), key=lambda i: len(ids[i]))
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start : start + self.batch_size]
            src, lengths = pad_batch([ids[i] for i in chunk])
            nbest = search(self.model, src, lengths, bos_id=BOS_ID, eos_id=EOS_ID, cfg=cfg)
            for i, hyps in zip(chunk, nbest, strict=True):
                results[i] = self._result(hyps, protected[i])
        return [r for r in results if r is not None]

    def _result(self, hyps: Sequence[Hypothesis], prot: Protected) -> Translation:
        texts = self.tokenizer.decode_batch([h.tokens for h in hyps])
        restored = [restore(t, prot) for t in texts]
        best = hyps[0]
        return Translation(
            text=restored[0].text,
            score=normalised_score(best),
            alternatives=tuple(
                Alternative(r.text, normalised_score(h))
                for r, h in zip(restored[1:], hyps[1:], strict=True)
            ),
            placed=len(restored[0].placed),
            inserted=len(restored[0].inserted),
            tokens=tuple(best.tokens),
            attention=best.attention,
        )
