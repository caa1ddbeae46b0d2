"""Preprocessing versions: which protection and segmentation rules a model runs with.

A bundle records the version its model was made for (`preprocessing` in its manifest); a bundle
without the field was made before versions existed and runs version 1, so its output stays
byte-identical to what it gave then. Training, evaluation, export and serving all take the
version from here and pass it to the one implementation (`nmt.protect`, `nmt.segment`,
`nmt.translator`); no other module decides what a version means.

Versions:

1. `LEGACY`: the rules of the first shipped bundle.
2. `PASSTHROUGH`: 1, plus characters the model was not trained on (emoji, symbols, arrows,
   non-Latin scripts) and version numbers pass through as standalone symbols, command-line
   options (`-x`, `--long`, the `--opt=` of `--opt=VALUE`, `[OPTION]...`) and their
   metavariables are kept exactly, and a run of two or more spaces or a tab inside a line
   separates segments (help columns keep their layout). It only uses the symbol families of
   version 1, which every model already copies, so a model made for version 1 runs it too.
3. `MARKS`: 2, plus reversible word-boundary marks (`nmt.boundaries`): a word glued to an
   opening bracket, quote, slash or tag gets the pieces it has alone. The model must be
   trained on marked text, with a tokenizer that has the mark as a piece. At inference also
   (added before any version-3 bundle shipped): a segment wholly enclosed in a bracket or
   quote pair or in one tag's opening and closing tag is translated without the enclosure,
   which is copied like the whitespace between segments (`nmt.segment`, rule 6), so `[Save]`
   says what `Save` says.

The recorded version of a model is the lowest it was made for; `runnable` says which versions a
model made for a given version may run. Only `LEGACY` models may run a later version by choice
(`nmt translate --preprocessing 2`): a bundle keeps its recorded default.
"""

from __future__ import annotations

import dataclasses

LEGACY = 1
PASSTHROUGH = 2
MARKS = 3
CURRENT = MARKS  # what new training runs use and their bundles record
VERSIONS: tuple[int, ...] = (LEGACY, PASSTHROUGH, MARKS)


@dataclasses.dataclass(frozen=True, slots=True)
class Preprocessing:
    """The rules of one preprocessing version (see the module docstring)."""

    version: int = CURRENT

    def __post_init__(self) -> None:
        if self.version not in VERSIONS:
            raise ValueError(f"unknown preprocessing version {self.version}; known: {VERSIONS}")

    @property
    def passthrough(self) -> bool:
        """Uncovered characters and version numbers become standalone symbols."""
        return self.version >= PASSTHROUGH

    @property
    def command_line(self) -> bool:
        """Options and their metavariables are protected."""
        return self.version >= PASSTHROUGH

    @property
    def marks(self) -> bool:
        """Word-boundary marks between the protected text and SentencePiece."""
        return self.version >= MARKS

    @property
    def enclosures(self) -> bool:
        """A segment wholly inside a bracket, quote or tag pair is translated without it."""
        return self.version >= MARKS

    @property
    def columns(self) -> bool:
        """Two or more spaces or a tab inside a line separate segments."""
        return self.version >= PASSTHROUGH


def runnable(recorded: int) -> tuple[int, ...]:
    """The versions a model recorded for `recorded` may run: its own, and for a version-1 model
    also version 2, which only adds rules built from the symbol families it was trained on.
    Marks change the token sequence itself, so a model runs them only if it learnt them."""
    if recorded not in VERSIONS:
        raise ValueError(f"unknown preprocessing version {recorded}; known: {VERSIONS}")
    return (LEGACY, PASSTHROUGH) if recorded == LEGACY else (recorded,)
