"""The per-entry check of catalog translations: every placeholder, tag and escape of the
source appears in the translation as often as in the source.

The Translator already guarantees this (`nmt.protect.restore` puts back what the model
dropped); the check is the last line of defence before a catalog is written, and it catches
the one change restore makes on purpose: unnumbered printf placeholders that the translation
reorders are written numbered (`%2$d ... %1$s`), which C accepts and Python's `%` does not.
"""

from __future__ import annotations

import re
from collections import Counter

from nmt.protect import protect

_NUMBERED = re.compile(r"^%[1-9][0-9]*\$")


def _spans(text: str) -> Counter[str]:
    return Counter(span.original for span in protect(text).spans)


def placeholders_intact(source: str, translation: str, *, numbered_ok: bool = True) -> bool:
    """Whether `translation` holds exactly the source's protected spans (as a multiset).

    `numbered_ok`: a numbered printf placeholder (`%2$d`) may stand for the source's
    unnumbered one (`%d`): true for C formats, false for Python `%` formats.
    """
    source_spans, target_spans = _spans(source), _spans(translation)
    if source_spans == target_spans:
        return True
    if not numbered_ok:
        return False
    unnumbered: Counter[str] = Counter()
    for span, n in target_spans.items():
        unnumbered[_NUMBERED.sub("%", span)] += n
    return source_spans == unnumbered
