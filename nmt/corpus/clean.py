"""Normalisation (all splits) and the pair filter (train and valid only).

Normalisation never changes what a translator wrote beyond whitespace and invisible characters:
placeholders, markup and punctuation stay raw; masking happens at tokenization time.
"""

from __future__ import annotations

import re
import unicodedata

from nmt.config import FilterConfig

# Invisible characters that only make identical strings differ (BOM, zero-width, soft hyphen).
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"))
# Every whitespace that breaks a TSV line or a field; NBSP is kept (French typography needs it).
_BREAKING_SPACE = re.compile(r"[\t\n\r\v\f\u2028\u2029\x85 ]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def normalize(text: str) -> str:
    """NFC, invisible and control characters removed, whitespace runs collapsed, stripped.

    Contract: the result holds no TAB, newline or carriage return.
    """
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _CONTROL.sub("", text)
    return _BREAKING_SPACE.sub(" ", text).strip()


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
