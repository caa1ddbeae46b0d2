"""The per-entry check of catalog translations: every placeholder, tag and escape of the
source appears in the translation as often as in the source.

The Translator already guarantees this (`nmt.protect.restore` puts back what the model
dropped); the check is the last line of defence before a catalog is written, and it catches
the one change restore makes on purpose: unnumbered printf placeholders that the translation
reorders are written numbered (`%2$d ... %1$s`), which C accepts and Python's `%` does not.
`bench/po_score.py` scores placeholder integrity with the same check.
"""

from __future__ import annotations

from collections import Counter

from nmt.protect import NUMBERED_PRINTF, PRINTF_ARG, protect


def protected_spans(text: str) -> Counter[str]:
    """The protected spans of `text` (placeholders, tags, entities, URLs...) as a multiset,
    read exactly as translation reads them (`nmt.protect.protect`)."""
    return Counter(span.original for span in protect(text).spans)


def numbered_spans(text: str) -> Counter[str]:
    """`protected_spans` with every printf conversion numbered by the argument it takes
    (`%s of %d` -> `%1$s`, `%2$d`; `%2$d` stays `%2$d`), so that a translation that reorders
    arguments with numbered conversions compares equal, and one that swaps unnumbered ones
    (which swaps the arguments' types) does not."""
    out: Counter[str] = Counter()
    position = 0
    for span in protect(text).spans:
        numbered = NUMBERED_PRINTF.fullmatch(span.original)
        if numbered:
            position, conversion = int(numbered.group(1)), numbered.group(2)
        elif PRINTF_ARG.fullmatch(span.original):
            position, conversion = position + 1, span.original[1:]
        else:
            out[span.original] += 1
            continue
        out[f"%{position}${conversion}"] += 1
    return out


def placeholders_intact(source: str, translation: str, *, numbered_ok: bool = True) -> bool:
    """Whether `translation` holds exactly the source's protected spans (as a multiset).

    `numbered_ok`: printf conversions compare by the argument they take (`numbered_spans`), so
    a numbered one (`%2$d`) may stand for the source's unnumbered one (`%d`): true for C
    formats. False (Python `%` formats): the spans must be the same, numbered ones included.
    """
    if not numbered_ok:
        return protected_spans(source) == protected_spans(translation)
    return numbered_spans(source) == numbered_spans(translation)
