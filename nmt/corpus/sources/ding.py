"""Example sentences of the Ding German-English dictionary (package `trans-de-en`).

The dictionary file `usr/share/trans/de-en` (UTF-8) has one entry a line, German first:
`DE | DE... :: EN | EN...`; the ` | ` parts of both sides correspond one to one, and inside a
part `; ` separates alternatives. Most parts are words or phrases; the sentences among them are
clean, human-translated general language, which the software-heavy rest of the corpus lacks.

Rules (docs/corpus.md), applied per part, each rejection counted:

- the line must have exactly one ` :: ` (`ding/malformed-line`) and as many parts on each side
  (`ding/part-count-mismatch`);
- a part keeps its first `; ` alternative (the alternatives are synonyms that are not aligned
  one to one) without the dictionary's `{...}` and `[...]` annotations (`{pl}`, `[ugs.]`, `[Br.]`);
- both sides must start upper-case, end in `.`, `?` or `!` and have >= 3 words
  (`ding/not-a-sentence`), and neither may contain ` / ` (`ding/slash`: spliced variants),
  `(` (`ding/parenthesis`: optional words) or `…` (`ding/ellipsis`: a template, not a sentence).

Ding exists for German only; for another language the extractor yields nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from nmt.corpus.types import RawPair, SourceContext

logger = logging.getLogger(__name__)

PACKAGE = "trans-de-en"
DICTIONARY = "usr/share/trans/de-en"
_ANNOTATION = re.compile(r"\s*(?:\{[^{}]*\}|\[[^\[\]]*\])")
_SPACES = re.compile(r"\s+")
# (substring, skip reason) in the order they are tested.
_FORBIDDEN = ((" / ", "ding/slash"), ("(", "ding/parenthesis"), ("…", "ding/ellipsis"))


def clean_part(part: str) -> str:
    """A part's first `; ` alternative without `{...}`/`[...]` annotations, spaces normalised."""
    first = part.split("; ", 1)[0]
    return _SPACES.sub(" ", _ANNOTATION.sub("", first)).strip()


def is_sentence(text: str) -> bool:
    """Starts upper-case, ends in `.`, `?` or `!`, and has at least three words."""
    return text[:1].isupper() and text[-1:] in {".", "?", "!"} and len(text.split()) >= 3


def rejection(english: str, german: str) -> str | None:
    """The skip reason for a cleaned part pair, or None when it is kept."""
    if not (is_sentence(english) and is_sentence(german)):
        return "ding/not-a-sentence"
    for needle, reason in _FORBIDDEN:
        if needle in english or needle in german:
            return reason
    return None


def pairs_from_line(line: str, ctx: SourceContext) -> Iterator[RawPair]:
    """The kept (English, German) sentence pairs of one dictionary line, rejections counted."""
    sides = line.split(" :: ")
    if len(sides) != 2:
        ctx.skip("ding/malformed-line")
        return
    german_parts, english_parts = sides[0].split(" | "), sides[1].split(" | ")
    if len(german_parts) != len(english_parts):
        ctx.skip("ding/part-count-mismatch")
        return
    for german_part, english_part in zip(german_parts, english_parts, strict=True):
        german, english = clean_part(german_part), clean_part(english_part)
        reason = rejection(english, german)
        if reason:
            ctx.skip(reason)
            continue
        yield RawPair(english, german, PACKAGE)


def extract(ctx: SourceContext) -> Iterator[RawPair]:
    """Ding's sentence pairs (source English, target German) in file order, origin `trans-de-en`.

    `unit` stays empty: the split code picks Ding's test sentences by a hash of the English side.
    A missing package is counted (`ding/missing-package`); a line that is not UTF-8 is counted
    (`ding/undecodable-line`) and skipped.
    """
    if ctx.lang != "de":
        return
    root = ctx.packages.get(PACKAGE)
    path = root / DICTIONARY if root is not None else None
    if path is None or not path.is_file():
        logger.warning("ding: %s is not extracted; skipping Ding", PACKAGE)
        ctx.skip("ding/missing-package")
        return
    with path.open("rb") as lines:
        for raw in lines:
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                ctx.skip("ding/undecodable-line")
                continue
            if line.strip() and not line.startswith("#"):
                yield from pairs_from_line(line, ctx)
