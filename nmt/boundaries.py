"""Reversible word-boundary marks (preprocessing version 3): a word gets the same pieces wherever
it stands.

SentencePiece marks a word start with `▁`, the space before it. A word glued to an opening
bracket, quote, slash or reserved symbol has no space before it, so it loses the mark and is cut
into pieces the model rarely saw as a word: `[Installed]` -> `▁[ In st all ed ]`, against
`▁Installed` alone. Closing brackets need nothing: SentencePiece never joins letters and
punctuation into one piece (`split_by_unicode_script`), and the word before them keeps its
own start mark.

`mark` puts `GLUE` and a space between such an opener and the word (`[￭ Installed]`), so the word
is tokenized as if it stood alone; `GLUE` is one user-defined piece. `unmark` removes each
`GLUE` with the one space after it, so the exact spacing comes back. The model is trained on
marked text on both sides and so learns to emit the marks where the output glues a word to an
opener; a mark it forgets only costs a space. The mark is one piece per glued boundary; the
measurement that chose it (pieces of a word alone vs wrapped, and the sequence length) is in
docs/segment-fidelity.md.

Input that holds `GLUE` itself never reaches `mark`: from version 2 on, `nmt.protect` passes
half-width forms (U+FF00-U+FFEF) through as standalone symbols.
"""

from __future__ import annotations

import re

from nmt.preprocessing import Preprocessing

GLUE = "\uffed"  # HALFWIDTH BLACK SQUARE: absent from localization text; one piece
# Openers: brackets, ASCII and typographic quotes (German „“ and »«, both directions), slash.
OPENERS = "[({\"'„“‘‚«»‹›/"
# An opener at a word start (after a space, the text start or another opener), or the end of a
# reserved symbol (`⦅TO1⦆`), directly before a letter or digit.
_GLUED = re.compile(rf"(?:(?<![^\s{re.escape(OPENERS)}])[{re.escape(OPENERS)}]|⦆)(?=[^\W_])")
_MARK = re.compile(f"{GLUE} ?")


def mark(text: str) -> str:
    """`text` (already masked by `nmt.protect`) with `GLUE` + space after each opener that is
    glued to a word. Contract: `unmark(mark(t)) == t` for every `t` without `GLUE`."""
    return _GLUED.sub(lambda m: m.group() + GLUE + " ", text)


def unmark(text: str) -> str:
    """`text` without its marks: each `GLUE` goes with the one space after it."""
    return _MARK.sub("", text) if GLUE in text else text


def model_text(masked: str, version: int) -> str:
    """What SentencePiece gets for a protected text (`nmt.protect`) under preprocessing
    `version`: the text, marked from version 3 on. Training (both sides) and the Translator
    (the source) call this one function."""
    return mark(masked) if Preprocessing(version).marks else masked
