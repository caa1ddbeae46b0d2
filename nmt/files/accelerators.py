"""Keyboard accelerators in catalog entries (`_Open`, `&Open`): taken out before translation
and put back once, so the translation carries exactly one marker.

Candidates are found by the corpus rule (`nmt.corpus.sources.gettext_cleaning.marker_positions`:
a single marker before a letter or digit, outside placeholders, markup, entities, URLs and
paths). An entry has an accelerator when it has exactly one candidate of a marker the catalog
uses. The catalog's markers: the one it declares (a PO header's `X-Accelerator-Marker`), else
those its sources show (`detect_markers`). Placement in the translation, first that works:
before the same letter (accents aside: `O` for `Ö`) starting a word, before the same letter
anywhere, before the first
letter or digit starting a word, before the first letter or digit; each only where the result
has exactly that one candidate (never inside a placeholder or URL).
"""

from __future__ import annotations

import dataclasses
import logging
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

from nmt.corpus.sources.gettext_cleaning import CATALOG_MARKERS, marker_positions
from nmt.protect import protect

logger = logging.getLogger(__name__)

_MIN_LABELS = 1  # entries whose single candidate starts a capitalised word (`_Open`)...
_LABEL_SHARE = 0.5  # ... and their share of the entries that hold a candidate at all


@dataclasses.dataclass(frozen=True, slots=True)
class Accelerator:
    """The marker and the character it stood before in the source (`_`, `O` for `_Open`)."""

    marker: str
    key: str


def detect_markers(sources: Sequence[str], candidates: Iterable[str] = CATALOG_MARKERS) -> str:
    """The markers (a string of marker characters) that a catalog's `sources` use: those for
    which at least `_MIN_LABELS` entries have a single candidate at the start of a capitalised
    word, and these are at least `_LABEL_SHARE` of the entries with any candidate. A catalog of
    UI labels (`_Open`, `_Save As...`) passes; identifiers (`pg_dump`, `K&R`) fail."""
    found = ""
    for marker in candidates:
        labels = with_candidates = 0
        for text in sources:
            positions = marker_positions(text, marker)
            with_candidates += bool(positions)
            if len(positions) == 1:
                i = positions[0]
                labels += (i == 0 or not text[i - 1].isalnum()) and text[i + 1].isupper()
        if labels >= _MIN_LABELS and labels >= _LABEL_SHARE * with_candidates:
            found += marker
    return found


def strip_accelerator(text: str, markers: str) -> tuple[str, Accelerator | None]:
    """`text` without its accelerator marker, and the accelerator (None when `text` has none:
    no candidate, or several, which are then text rather than an accelerator)."""
    for marker in markers:
        positions = marker_positions(text, marker)
        if len(positions) == 1:
            i = positions[0]
            return text[:i] + text[i + 1 :], Accelerator(marker, text[i + 1])
    return text, None


def place_accelerator(translation: str, accelerator: Accelerator) -> str:
    """`translation` with exactly one `accelerator.marker` (see the module docstring); markers
    the model produced itself are removed first. Unchanged when no position works (a
    translation without letters or digits)."""
    marker = accelerator.marker
    for i in reversed(marker_positions(translation, marker)):
        translation = translation[:i] + translation[i + 1 :]
    inside = _inside_protected(translation)
    for i in _positions(translation, accelerator.key):
        if i in inside:
            continue
        marked = translation[:i] + marker + translation[i:]
        if marker_positions(marked, marker) == [i]:
            return marked
    logger.debug("no place for accelerator %r in %r", marker, translation)
    return translation


def _inside_protected(text: str) -> set[int]:
    """Offsets strictly inside a span `nmt.protect` protects (`%s`, `<b>`, a URL): a marker
    there would break it."""
    inside: set[int] = set()
    shift = 0  # original offset minus masked offset, up to the current span
    for span in protect(text).spans:
        start = span.start + shift
        inside.update(range(start + 1, start + len(span.original)))
        shift += len(span.original) - len(span.symbol)
    return inside


def _base(char: str) -> str:
    """The letter without its accents, case-folded: `Ö` -> `o`, so `_Open` -> `_Öffnen`."""
    return unicodedata.normalize("NFD", char)[0].casefold()


def _positions(text: str, key: str) -> Iterator[int]:
    """Candidate positions, best first (see the module docstring)."""
    key = _base(key)
    starts = [
        i for i, c in enumerate(text) if c.isalnum() and (i == 0 or not text[i - 1].isalnum())
    ]
    yield from (i for i in starts if _base(text[i]) == key)
    yield from (i for i, c in enumerate(text) if _base(c) == key)
    yield from starts
    yield from (i for i, c in enumerate(text) if c.isalnum())
