"""The pair filter (train and valid only) and the leakage key of the splits.

Normalisation (all splits, and inference input) is `nmt.normalize.normalize`.
"""

from __future__ import annotations

from nmt.config import FilterConfig


def letter_share(text: str) -> float:
    """Share of letters among the non-space characters (0.0 for an empty string)."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    return sum(c.isalpha() for c in chars) / len(chars)


def filter_reason(source: str, target: str, cfg: FilterConfig) -> str | None:
    """Why the train/valid filter rejects a pair, or None when it passes.

    Lengths are counted in whitespace words; the ratio is longer side over shorter side.
    """
    n_src, n_tgt = len(source.split()), len(target.split())
    if min(n_src, n_tgt) < cfg.min_words:
        return "too-short"
    if max(n_src, n_tgt) > cfg.max_words:
        return "too-long"
    if max(n_src, n_tgt) / min(n_src, n_tgt) > cfg.max_ratio:
        return "length-ratio"
    if min(letter_share(source), letter_share(target)) < cfg.min_letter_share:
        return "few-letters"
    return None


def leakage_key(source: str) -> str:
    """The key under which a source sentence counts as 'the same' across splits.

    Case-folded so that a test sentence cannot hide in train behind different capitalisation.
    """
    return source.casefold()
