"""Word alignment from attention, as character spans of the caller's own texts.

Method, for one segment (the Translator offsets the spans into the whole text):

1. Pieces to characters. Each SentencePiece piece is located in the text it was cut from (the
   masked source; the decoded, still masked output) by walking the text: `▁` is a space (the
   first one is SentencePiece's dummy prefix, not in the text), byte-fallback pieces are
   gathered until their bytes make a character, and every piece of that character gets its
   span. A lone `▁` has no span.
2. Words. Both texts are cut into words: a reserved symbol, a run of word characters with inner
   `-`, `'` or `.` (`don't`, `1.5`, `Datei-Menü`), or a run of punctuation. A piece belongs to
   the word that holds its first character, so the pieces of one word merge into one span.
3. Back to the caller's characters. Character maps compose: source symbol -> the span it masked
   -> the un-normalised source (whitespace runs, NFC, invisible characters); output symbol ->
   the span restore put in its place (a reordered printf placeholder renumbered, a dropped
   symbol inserted and an extra one removed are followed with a character diff). A word whose
   characters vanished (an extra symbol restore removed) has no span and is not aligned.
4. Links. For each output piece, the source word it attends most: the piece's attention row
   summed over the pieces of each source word (EOS and space-only pieces count for no word),
   argmax. A reserved symbol in the output that the source holds is linked to that source
   symbol whatever the attention says: protection knows that link exactly. Each (source word,
   output word) pair is one link `[src_start, src_end, tgt_start, tgt_end]`, sorted by output
   then source position; an output word whose pieces attend two source words (a compound)
   gets two links.

Attention-based alignment is approximate (attention is not alignment, especially for an LSTM
with input feeding); it is meant for highlighting in a UI, not for extracting lexicons.
"""

from __future__ import annotations

import bisect
import dataclasses
import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from nmt.normalize import normalize
from nmt.protect import CLOSE, FAMILIES, OPEN, Protected
from nmt.segment import CharRange

CharMap = list[CharRange | None]
"""For each character of a derived text, the span of the base text it came from (None: none)."""
Link = tuple[int, int, int, int]

SYMBOL_RE = re.compile(f"{OPEN}(?:{'|'.join(FAMILIES)})[0-9]{{1,3}}{CLOSE}")
_WORD = re.compile(f"{SYMBOL_RE.pattern}|\\w+(?:[-'’.]\\w+)*|(?:(?!{SYMBOL_RE.pattern})[^\\w\\s])+")
_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")
_META_SPACE = "\u2581"  # SentencePiece's `▁`
_UNK_SURFACE = "\u2047"  # what SentencePiece decodes <unk> to
# Mirrors of `nmt.normalize.normalize`; `normalize_map` checks its result against it.
_INVISIBLE = frozenset("\ufeff\u200b\u200c\u200d\u2060\u00ad")
_BREAKING_SPACE = frozenset("\t\n\r\v\f\u2028\u2029\x85 ")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


@dataclasses.dataclass(frozen=True, slots=True)
class Side:
    """One side of a segment: its pieces, the word of each piece (None: no word), and each word's
    span in the caller-visible text (None: the word has no characters there)."""

    pieces: tuple[str, ...]
    word_of: tuple[int | None, ...]
    word_spans: tuple[CharRange | None, ...]


def source_side(pieces: Sequence[str], protected: Protected, norm_map: CharMap) -> Side:
    """The source side: `pieces` cut from `protected.text`, which masks the normalised source;
    `norm_map` maps the normalised source onto the caller's segment (see `normalize_map`)."""
    cmap = compose(masked_map(protected), norm_map)
    return _side(pieces, protected.text, cmap)


def target_side(pieces: Sequence[str], decoded: str, protected: Protected, restored: str) -> Side:
    """The output side: `pieces` decoded to `decoded` (masked), which restore made `restored`."""
    subst, to_subst = substitution_map(decoded, {s.symbol: s.output for s in protected.spans})
    return _side(pieces, decoded, compose(to_subst, diff_map(subst, restored)))


def _side(pieces: Sequence[str], text: str, cmap: CharMap) -> Side:
    words = [m.span() for m in _WORD.finditer(text)]
    starts = [start for start, _ in words]
    word_of: list[int | None] = []
    for span in piece_spans(pieces, text):
        k = bisect.bisect_right(starts, span[0]) - 1 if span else -1
        word_of.append(k if k >= 0 and span and span[0] < words[k][1] else None)
    return Side(tuple(pieces), tuple(word_of), tuple(map_span(w, cmap) for w in words))


def align(src: Side, tgt: Side, attention: NDArray[np.float32]) -> list[Link]:
    """Links between source and output words from `attention` float32 [T, S] (T = output
    pieces, S = source pieces + EOS, as `Hypothesis.attention`); see the module docstring."""
    n_words = len(src.word_spans)
    if n_words == 0 or attention.size == 0:
        return []
    member = np.zeros((len(src.pieces), n_words), dtype=np.float32)  # [S-1, W] piece -> word
    for p, w in enumerate(src.word_of):
        if w is not None and src.word_spans[w] is not None:
            member[p, w] = 1.0
    word_attention = attention[:, : len(src.pieces)] @ member  # [T, W]
    symbol_word = {
        piece: w
        for piece, w in zip(src.pieces, src.word_of, strict=True)
        if SYMBOL_RE.fullmatch(piece)
    }
    links: set[Link] = set()
    for t in range(min(len(tgt.pieces), attention.shape[0])):
        w_out = tgt.word_of[t]
        out_span = tgt.word_spans[w_out] if w_out is not None else None
        if out_span is None:
            continue
        w_src = symbol_word.get(tgt.pieces[t])
        if w_src is None:
            if not word_attention[t].max() > 0:
                continue
            w_src = int(np.argmax(word_attention[t]))
        src_span = src.word_spans[w_src]
        if src_span is not None:
            links.add((*src_span, *out_span))
    return sorted(links, key=lambda link: (link[2], link[0], link[3], link[1]))


# --- pieces to characters ------------------------------------------------------------------------


def piece_spans(pieces: Sequence[str], text: str) -> list[CharRange | None]:
    """The span of each piece in `text`, the text SentencePiece cut them from or decoded them to
    (leading space excluded). None for a lone `▁`, a special piece, or a piece not found where
    expected (the walk then stays put, so later pieces still find their place)."""
    spans: list[CharRange | None] = []
    pos = 0
    pending: list[int] = []  # indices of byte pieces whose character is not complete yet
    buffer = bytearray()
    for piece in pieces:
        byte = _BYTE_PIECE.fullmatch(piece)
        if byte:
            pending.append(len(spans))
            spans.append(None)
            buffer.append(int(byte.group(1), 16))
            try:
                char = buffer.decode("utf-8")
            except UnicodeDecodeError:
                if len(buffer) >= 4:  # not UTF-8 at all: give up on these bytes
                    pending.clear()
                    buffer.clear()
                continue
            span, pos = _locate(text, char, pos)
            for k in pending:
                spans[k] = span
            pending.clear()
            buffer.clear()
            continue
        core = piece.replace(_META_SPACE, " ").lstrip(" ")
        if not core:
            spans.append(None)
            continue
        span, pos = _locate(text, core, pos)
        spans.append(span)
    return spans


def _locate(text: str, core: str, pos: int) -> tuple[CharRange | None, int]:
    """Find `core` at `pos`, allowing only spaces (and SentencePiece's unknown mark) before it."""
    at = text.find(core, pos)
    if at < 0 or text[pos:at].strip(" " + _UNK_SURFACE):
        return None, pos
    return (at, at + len(core)), at + len(core)


# --- character maps ------------------------------------------------------------------------------


def map_span(span: CharRange, cmap: CharMap) -> CharRange | None:
    """The base-text span covering the characters `span` of the derived text (None if none)."""
    mapped = [m for m in cmap[span[0] : span[1]] if m is not None]
    if not mapped:
        return None
    return min(m[0] for m in mapped), max(m[1] for m in mapped)


def compose(first: CharMap, second: CharMap) -> CharMap:
    """A map from `first`'s derived text straight to `second`'s base text."""
    return [None if m is None else map_span(m, second) for m in first]


def identity_map(length: int) -> CharMap:
    return [(k, k + 1) for k in range(length)]


def masked_map(protected: Protected) -> CharMap:
    """Map the masked text onto the text it masks: a symbol's characters all map to the whole
    span it stands for, every other character to itself (shifted)."""
    cmap: CharMap = []
    pos = shift = 0  # shift: base offset minus masked offset, so far
    for span in protected.spans:
        cmap += [(k + shift, k + shift + 1) for k in range(pos, span.start)]
        start = span.start + shift
        cmap += [(start, start + len(span.original))] * len(span.symbol)
        shift += len(span.original) - len(span.symbol)
        pos = span.start + len(span.symbol)
    cmap += [(k + shift, k + shift + 1) for k in range(pos, len(protected.text))]
    return cmap


def substitution_map(text: str, originals: Mapping[str, str]) -> tuple[str, CharMap]:
    """`text` with each symbol of `originals` replaced by its original; map from `text` to it."""
    parts: list[str] = []
    cmap: CharMap = []
    pos = length = 0
    for m in SYMBOL_RE.finditer(text):
        original = originals.get(m.group())
        if original is None:  # unknown: stays as it is (restore will remove it)
            continue
        parts.append(text[pos : m.start()])
        cmap += [(length + k, length + k + 1) for k in range(m.start() - pos)]
        length += m.start() - pos
        cmap += [(length, length + len(original))] * (m.end() - m.start())
        parts.append(original)
        length += len(original)
        pos = m.end()
    cmap += [(length + k, length + k + 1) for k in range(len(text) - pos)]
    parts.append(text[pos:])
    return "".join(parts), cmap


def diff_map(a: str, b: str) -> CharMap:
    """Map `a` onto `b` by a character diff: equal runs map one to one, a replaced run maps to
    the whole run that replaced it, deleted characters to nothing."""
    if a == b:
        return identity_map(len(a))
    cmap: CharMap = [None] * len(a)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            cmap[i1:i2] = [(j1 + k, j1 + k + 1) for k in range(i2 - i1)]
        elif tag == "replace":
            cmap[i1:i2] = [(j1, j2)] * (i2 - i1)
    return cmap


def normalize_map(text: str) -> tuple[str, CharMap]:
    """`nmt.normalize.normalize(text)` and the map from it back onto `text`.

    A whitespace run (invisible characters in it included) becomes one space that maps to the
    whole run; a character and its combining marks are NFC-composed together and map to their
    cluster; invisible and control characters vanish. Should this mirror ever disagree with
    `normalize` (some exotic composition), the normalised text is still `normalize`'s and the
    map falls back to character proportion.
    """
    chars: list[str] = []
    cmap: CharMap = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        if text[i] in _BREAKING_SPACE:
            while j < n and (text[j] in _BREAKING_SPACE or _vanishes(text[j])):
                j += 1
            chars.append(" ")
            cmap.append((i, j))
        elif not _vanishes(text[i]):
            while j < n and unicodedata.combining(text[j]):
                j += 1
            cluster = unicodedata.normalize("NFC", text[i:j])
            chars += cluster
            cmap += [(i, j)] * len(cluster)
        i = j
    lo, hi = 0, len(chars)
    while lo < hi and chars[lo] == " ":
        lo += 1
    while hi > lo and chars[hi - 1] == " ":
        hi -= 1
    result, expected = "".join(chars[lo:hi]), normalize(text)
    if result != expected:
        return expected, _proportional(len(expected), n)
    return result, cmap[lo:hi]


def _vanishes(char: str) -> bool:
    return char in _INVISIBLE or bool(_CONTROL.match(char))


def _proportional(derived: int, base: int) -> CharMap:
    """Character k of a derived text of length `derived` -> its proportional span of `base`."""
    cmap: CharMap = []
    for k in range(derived):
        start = min(k * base // max(derived, 1), max(base - 1, 0))
        cmap.append((start, max(start + 1, min((k + 1) * base // max(derived, 1), base))))
    return cmap
