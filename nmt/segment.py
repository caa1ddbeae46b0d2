"""Conservative sentence splitting that keeps every character between sentences.

A text is cut into segments (what the model translates) and gaps (what is copied verbatim:
line breaks, blank lines, leading/trailing and inter-sentence whitespace). Joining the
translations back with the gaps reproduces the text's layout exactly.

Rules, in order (a missed split only costs some quality on a long paragraph; a wrong split cuts
a sentence in two, so when in doubt, do not split):

1. Line breaks (`\\n`, `\\r`, `\\v`, `\\f`, U+0085, U+2028, U+2029) always separate segments.
2. Within a line, a sentence ends after a run of `.`, `!` or `?`, optionally followed by closing
   quotes or brackets, when whitespace follows and the next character is an upper-case letter,
   an opening quote or an opening bracket. So `1.5`, `www.example.org`, `e.g. the file` and
   `Really? yes` stay one.
3. No split after an abbreviation (`e.g.`, `i.e.`, `etc.`, `Dr.`, `Mr.`, `vs.`, `Fig.`, ...,
   case-insensitive), after a single letter (`J. Smith`, `a. Item`), or after a number that
   starts the line (`1. Open the menu`, an enumeration).
4. No split inside a protected span (`nmt.protect`: a URL, a tag with attributes, a caller's
   do-not-translate term such as `Dr. No`), since each segment is protected on its own.
5. With `columns` (preprocessing version 2), a run of two or more spaces or a tab inside a line
   separates segments: a help line (`  -o, --output=FILE   write to FILE`) keeps its columns
   exactly, since the gap is copied, not translated (normalisation would collapse it).
6. With `enclosures` (preprocessing version 3), a segment that is wholly enclosed in a bracket
   or quote pair (`[...]`, `(...)`, `"..."`, `'...'`, `„...“`, `“...”`, `»...«`, `«...»`) or in
   one element's opening and closing tag (`<b>...</b>`) is cut down to what is inside (again
   while it is enclosed); the enclosure is copied with the gap. Only a pair that belongs
   together counts: the inside must be balanced (`(a) or (b)` stays whole; a quote character
   must not occur inside its own quotes), and a pair inside a protected span or around an
   upper-case metavariable (`[FILE]`) is left whole. So a word or sentence in brackets, quotes
   or a tag is translated exactly as it is alone.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence

from nmt.protect import protect

CharRange = tuple[int, int]
"""A half-open character range `[start, end)` of a text (also `nmt.alignment`'s)."""

_LINE_BREAKS = re.compile(r"[\n\r\v\f\x85\u2028\u2029]")
# A candidate end: the terminators, closing quotes/brackets, then whitespace and more text.
_SENTENCE_END = re.compile(r"[.!?]+[\"'’”»›)\]]*(?=\s+(\S))")
_OPENERS = "\"'‘“„«‹(["  # may start a sentence
# Lower-case, without the final dot. Words that are also common English words ending a sentence
# ("sat", "sun", "max") are left out.
_ABBREVIATION_WORDS = """e.g i.e etc cf vs approx ca incl excl esp resp viz al dr mr mrs ms prof
st jr sr no nos nr fig figs vol vols ch sec pp ed eds inc ltd co corp dept ref refs tel
jan feb apr jun jul aug sep sept oct nov dec"""
ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_LAST_WORD = re.compile(r"(\S+)$")
_COLUMN_GAP = re.compile(r"[ \t]*\t[ \t]*| {2,}")
# Rule 6: opening -> closing character; a tag pair by its element name.
_ENCLOSURES = {
    "[": "]", "(": ")", '"': '"', "'": "'", "„": "“", "“": "”", "»": "«", "«": "»",
}  # fmt: skip
_METAVARIABLE = re.compile(
    r"[A-Z][A-Z0-9_-]*"
)  # `[FILE]`: left whole, as the options rule keeps it
_OPEN_TAG = re.compile(r"<([A-Za-z][\w.:-]*)(?:\s[^<>]*)?>")


def sentence_spans(
    text: str, *, terms: Iterable[str] = (), columns: bool = False, enclosures: bool = False
) -> list[CharRange]:
    """The (start, end) of each segment of `text`, in order, stripped of surrounding whitespace.

    Contract: spans are non-empty, non-overlapping, increasing, hold no line break and neither
    start nor end with whitespace; everything outside them is whitespace. A text that is empty
    or only whitespace has no spans. `terms` are the caller's do-not-translate terms (rule 4);
    `columns` turns rule 5 on, `enclosures` rule 6.
    """
    terms = tuple(terms)
    spans: list[CharRange] = []
    line_start = 0
    for brk in [*_LINE_BREAKS.finditer(text), None]:
        line_end = brk.start() if brk else len(text)
        spans.extend(_line_spans(text, line_start, line_end, terms, columns, enclosures))
        line_start = brk.end() if brk else len(text)
    return spans


def join_segments(
    text: str, spans: Sequence[CharRange], outputs: Sequence[str]
) -> tuple[str, list[CharRange]]:
    """Put `outputs[i]` in place of `text[spans[i]]`, keeping every other character of `text`.

    Returns the joined text and where each output lies in it.
    """
    if len(spans) != len(outputs):
        raise ValueError(f"{len(spans)} spans but {len(outputs)} outputs")
    parts: list[str] = []
    placed: list[CharRange] = []
    pos = length = 0
    for (start, end), out in zip(spans, outputs, strict=True):
        gap = text[pos:start]
        parts += [gap, out]
        length += len(gap)
        placed.append((length, length + len(out)))
        length += len(out)
        pos = end
    parts.append(text[pos:])
    return "".join(parts), placed


def _line_spans(
    text: str,
    start: int,
    end: int,
    terms: tuple[str, ...],
    columns: bool = False,
    enclosures: bool = False,
) -> list[CharRange]:
    """The sentences of the line `text[start:end]`, as spans of `text`."""
    line = text[start:end]
    if not line.strip():
        return []
    protected = _protected_intervals(line, terms)
    cuts = [0]
    for m in _SENTENCE_END.finditer(line):
        if _may_split(line, m, protected):
            cuts.append(m.end())
    if columns:  # a cut at the gap's start: the stripped pieces leave the gap as it is
        cuts += [
            m.start()
            for m in _COLUMN_GAP.finditer(line)
            if not any(a < m.start() < b for a, b in protected)
        ]
        cuts.sort()
    cuts.append(len(line))
    spans = []
    for a, b in itertools.pairwise(cuts):
        piece = line[a:b]
        lead = len(piece) - len(piece.lstrip())
        stripped = piece.strip()
        if stripped:
            spans.append((start + a + lead, start + a + lead + len(stripped)))
    if enclosures:  # rule 6, with the protected intervals in `text`'s coordinates
        shifted = [(a + start, b + start) for a, b in protected]
        spans = [_inside_enclosures(text, span, shifted) for span in spans]
    return spans


def _inside_enclosures(text: str, span: CharRange, protected: Sequence[CharRange]) -> CharRange:
    """Rule 6: `span` cut down to the inside of the pairs that wholly enclose it, stripped."""
    start, end = span
    while True:
        inner = _enclosed(text, start, end, protected)
        if inner is None:
            return start, end
        a, b = inner
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a == b:  # `()` or `[ ]`: nothing inside to translate, keep the segment whole
            return start, end
        start, end = a, b


def _enclosed(text: str, start: int, end: int, protected: Sequence[CharRange]) -> CharRange | None:
    """The inside of the pair enclosing `text[start:end]` exactly, or None."""
    opener = text[start]
    closer = _ENCLOSURES.get(opener)
    if closer is not None and end - start >= 2 and text[end - 1] == closer:
        inside = text[start + 1 : end - 1]
        if _METAVARIABLE.fullmatch(inside) or any(
            a <= start < b or a < end <= b for a, b in protected
        ):
            return None
        if opener == closer:
            return (start + 1, end - 1) if opener not in inside else None
        depth = 0
        for char in inside:
            depth += (char == opener) - (char == closer)
            if depth < 0:
                return None
        return (start + 1, end - 1) if depth == 0 else None
    return _tag_inside(text, start, end)


def _tag_inside(text: str, start: int, end: int) -> CharRange | None:
    """The inside of `<name ...>...</name>` spanning `text[start:end]` exactly, balanced."""
    tag = _OPEN_TAG.match(text, start, end)
    if tag is None or tag.group(0).endswith("/>"):
        return None
    name = tag.group(1)
    closing = re.compile(rf"</{re.escape(name)}\s*>$")
    close = closing.search(text, tag.end(), end)
    if close is None:
        return None
    nested = re.compile(rf"<(/?){re.escape(name)}(?:\s[^<>]*)?(/?)>")
    depth = 0
    for m in nested.finditer(text, tag.end(), close.start()):
        if m.group(2):  # self-closing
            continue
        depth += -1 if m.group(1) else 1
        if depth < 0:
            return None
    return (tag.end(), close.start()) if depth == 0 else None


def _may_split(line: str, m: re.Match[str], protected: Sequence[CharRange]) -> bool:
    """Rules 3 and 4 for a candidate sentence end `m`."""
    cut = m.end()
    if not (m.group(1).isupper() or m.group(1) in _OPENERS):
        return False
    if any(a < cut < b for a, b in protected):
        return False
    if line[m.start()] != ".":  # `!` and `?` end a sentence whatever precedes them
        return True
    word = _LAST_WORD.search(line, 0, m.start())
    if word is None:
        return True
    token = word.group(1).lstrip(_OPENERS)
    if len(token) == 1 and token.isalpha():  # an initial or a list letter
        return False
    if token.rstrip(".").casefold() in ABBREVIATIONS:
        return False
    return not (token.isdigit() and not line[: word.start()].strip())  # `1. Open ...`


def _protected_intervals(line: str, terms: tuple[str, ...]) -> list[CharRange]:
    """Where `nmt.protect` would mask spans of `line`, in `line`'s own coordinates."""
    spans = protect(line, terms).spans
    intervals = []
    shift = 0  # original length minus symbol length of the spans before this one
    for span in spans:
        start = span.start + shift
        intervals.append((start, start + len(span.original)))
        shift += len(span.original) - len(span.symbol)
    return intervals
