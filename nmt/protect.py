"""Mask spans that must pass through translation untouched, and put them back afterwards.

Data flow: `text -> protect -> SentencePiece -> model -> SentencePiece decode -> restore -> text`.
The corpus keeps placeholders raw; training masks both sides with `mask_pair`, which uses the
same detection as `protect`, so the model sees at training time exactly what it sees at inference
and learns to copy the reserved symbols.

What is protected (one combined regex, one pass, earlier alternatives win at the same position):

- `LN` links: URLs (`http(s)://`, `ftp://`, `file://`, `www.`), e-mail addresses (`mailto:`
  optional), and file paths, conservatively: `~/x`, `./x`, `../x`, absolute Unix paths with at
  least two components and a lower-case first one (`/etc/passwd`; not `/dev`, `and/or` or the
  menu path `/File/Save`), Windows `C:\\x`.
- `TM` caller-given do-not-translate terms: exact, case-sensitive, longest first, never inside a
  longer word (`Git` does not match in `Digital`).
- `TS` standalone markup and escapes: self-closing tags (`<br/>`), character entities (`&amp;`,
  `&#160;`, `&#x2014;`), the literal percent `%%`, literal braces `{{` `}}`, gcc's apostrophe
  `%'`, Scheme's newline `~%`, and the reserved brackets `⦅` `⦆` themselves (so input that
  already contains them still round-trips).
- `TO` / `TC` opening / closing tags (`<b>`, `<a href="x">`, `</b>`) and gcc's quote pair `%<`
  `%>` (the corpus maps those to ‘ ’, but an input may still carry them). A bare `<word>` with no
  attributes, no matching close tag and a name that is not a common HTML element is a
  metavariable (`usage: git add <pathspec>`), which translators translate: it stays raw.
- `PH` format placeholders: printf (`%s %d %5.2f %-10s %ld %zu %lld %1$s`), gcc (`%qs %q#D`),
  Python (`%(name)s`, `{0} {name} {name:>10} {}`), template `{{ name }}`, Ruby/rpm `%{name}`,
  Qt (`%1 %L1`), shell (`$VAR ${VAR}`), LibreOffice (`$(ARG1) $[officename] %NAME%`) and Scheme
  (`~a ~s`). `{Printername}` (one capitalised word) is a metavariable and stays raw.

Preprocessing version 2 (`nmt.preprocessing`; `version=` of `protect` and `mask_pair`, 1 by
default) adds, with the same families: runs of characters a Latin vocabulary lacks (emoji,
pictographs, arrows, math, non-Latin scripts, CJK punctuation; `_is_foreign`) as `TS`, version
numbers (`2.4.1`, `v3.0`) as `LN`, command-line options (`-x`, `--long`, `--opt=`,
`[OPTION]...`) and metavariables (`FILE` of `-o FILE`) as `PH`. A caller's glossary
(`glossary=`, any version) masks its terms as `PH` spans that restore replaces by the target.

Reserved symbols: `⦅` + family + occurrence number within the segment + `⦆`, e.g. `⦅PH1⦆`,
`⦅TO2⦆`. The brackets (U+2985/U+2986) do not occur in localization text and survive any Unicode
normalization. Every symbol is one SentencePiece user-defined piece (see `RESERVED_SYMBOLS`), so
SentencePiece cuts it out of its neighbours without any padding: the masked text keeps the
original spacing exactly. Families keep the distinctions that matter for placement (a variable
acts like a word, an opening tag sticks to the next word, a closing tag to the previous one, a
term is a noun) while keeping the symbol count small. A closing tag takes the number of the
opening tag it closes (`⦅TO1⦆…⦅TC1⦆`), so the model can learn the pairing. Each family numbers at
most `MAX_PER_KIND` spans per segment; later spans of that family stay raw text (SentencePiece
with byte fallback still represents them; the model copies or translates them as text). So a
segment with more than `MAX_PER_KIND` standalone spans that also holds literal `⦅⦆` may not
round-trip exactly; restore never fails on it.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from nmt.preprocessing import LEGACY, Preprocessing

logger = logging.getLogger(__name__)

OPEN, CLOSE = "⦅", "⦆"
PLACEHOLDER, OPEN_TAG, CLOSE_TAG, STANDALONE, LINK, TERM = "PH", "TO", "TC", "TS", "LN", "TM"
FAMILIES: tuple[str, ...] = (PLACEHOLDER, OPEN_TAG, CLOSE_TAG, STANDALONE, LINK, TERM)
MAX_PER_KIND = 12  # spans per family and segment; more are left unmasked

_SYMBOLS: dict[str, tuple[str, ...]] = {
    family: tuple(f"{OPEN}{family}{n}{CLOSE}" for n in range(1, MAX_PER_KIND + 1))
    for family in FAMILIES
}
RESERVED_SYMBOLS: tuple[str, ...] = tuple(s for family in FAMILIES for s in _SYMBOLS[family])

# Any symbol-shaped token, also unknown ones (a number beyond the source's), so restore can drop it.
_SYMBOL_RE = re.compile(f"{OPEN}(?:{'|'.join(FAMILIES)})[0-9]{{1,3}}{CLOSE}")
_SYMBOL_SPLIT = re.compile(f"({_SYMBOL_RE.pattern})")

# --- detection -----------------------------------------------------------------------------------

_PATH_PART = r"\.?[\w+-]+(?:\.[\w+-]+)*"  # a file name: no trailing dot (sentence ends)
# Links that start at a word character; only compiled in when their anchor is in the text.
_URL = r"(?<!\w)(?:(?:https?|ftp|file)://|www\.)[^\s<>\"'`]*[^\s<>\"'`.,;:!?)\]}’”»]"
_EMAIL = (
    r"(?<![\w.+-])(?:mailto:)?[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
_DRIVE_PATH = rf"(?<!\w)[A-Za-z]:\\(?:{_PATH_PART}\\)*(?:{_PATH_PART})?"
# Absolute paths need two components and a lower-case first one (`/usr/share`): `/File/Save`
# is a menu path that translators translate.
_UNIX_PATH = (
    rf"(?<![\w/.~$\\-])(?:(?:~|\.{{1,2}})(?:/{_PATH_PART})+|/(?=[a-z0-9_.])(?:{_PATH_PART})"
    rf"(?:/{_PATH_PART})+)/?"
)
_TEMPLATE = r"\{\{\s*[A-Za-z_][\w.]*\s*\}\}"
_ESCAPE = (
    r"%%|\{\{|\}\}|~%"  # literal percent, literal braces, Scheme's newline directive
    r"|%'(?!\d*(?:\.\d+)?(?:hh|ll|[hlLjzt])?[diufFgG])"  # gcc's apostrophe; `%'d` is printf
    r"|&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"
    f"|{OPEN}[^{OPEN}{CLOSE}\\s]{{0,8}}{CLOSE}|[{OPEN}{CLOSE}]"  # literal symbol: one span
)
_CLOSE_TAG = r"</[A-Za-z][\w:.-]*\s*>|%>"
_TAG = r"<[A-Za-z][\w:.-]*(?:\s(?:[^<>\"']|\"[^\"]*\"|'[^']*')*)?/?>"
_PLACEHOLDER = (
    r"%\([^)\s]*\)[-+#0']*(?:\d+|\*)?(?:\.(?:\d+|\*)?)?[A-Za-z]"
    r"|%\{[A-Za-z_]\w*\}"
    r"|%[A-Z][A-Z0-9_]+%"  # LibreOffice/Windows `%NAME%`, `%APPDATA%`
    # Qt before printf: `%1` but not `%10s`, `%1$s`, `%5.2f`
    r"|%L?\d+(?![\w$]|\.\d)"
    # printf: no space flag, so `100% free` is not `% f`
    r"|%(?:\d+\$)?[-+#0']*(?:\d+|\*(?:\d+\$)?)?(?:\.(?:\d+|\*(?:\d+\$)?)?)?"
    r"(?:hh|ll|I64|I32|q[+#]*|[hlLjzZtw])?[A-Za-z]"  # gcc: `%qs`, `%q#D`, `%q+D`
    # str.format / .NET fields; `{Printername}` (one capitalised word) is a metavariable that
    # translators translate, like `<pathspec>`
    r"|\{(?![A-Z][a-z]+\})(?:[A-Za-z_]\w*|\d+)?(?:\.[A-Za-z_]\w*|\[\w+\])*(?:![rsa])?"
    r"(?:,-?\d+)?(?::[^{}\s]*)?\}"
    r"|\$\{[A-Za-z_]\w*\}|\$\([A-Za-z_]\w*\)|\$\[[A-Za-z_]\w*\]|\$[A-Za-z_]\w*"
    r"|~[aAsSdD](?![A-Za-z])"  # Scheme/Lisp format directives (gnucash, audacity)
)
# Branches that start at one of `_MARKUP_FIRST`. Group order is priority order at one position:
# `%%` before printf, `{{name}}` before `{{`.
_MARKUP_GROUPS: tuple[tuple[str, str], ...] = (
    ("path", _UNIX_PATH),
    ("tmpl", _TEMPLATE),
    ("esc", _ESCAPE),
    ("tc", _CLOSE_TAG),
    ("tag", _TAG),
    ("qo", r"%<"),
    ("ph", _PLACEHOLDER),
)
_MARKUP_FIRST = "%{}<&$~./" + OPEN + CLOSE
# The lookahead lets the regex engine skip ordinary characters fast (about 6x on plain text).
_MARKUP = (
    f"(?=[{re.escape(_MARKUP_FIRST)}])(?:{'|'.join(f'(?P<{n}>{r})' for n, r in _MARKUP_GROUPS)})"
)
# Version 2 (`nmt.preprocessing.PASSTHROUGH`) detection.
# A version number has two dots or a `v` (`2.4.1`, `v3.0`, `1.2.3-rc1`); `1.5` is a number.
_VERSION_NUMBER = (
    r"(?<![\w.])(?:v\d+(?:\.\d+)+|\d+(?:\.\d+){2,})(?:[-+~][0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*)?"
    r"(?![\w]|\.\d)"
)
# Options start a word (after a space, an opening bracket, `,` or `|`); a long option keeps its
# `=` (the metavariable after it is a word of its own), `[OPTION]...` is one span (the dots
# make it a usage line: `[CC]` alone is a UI string). Digits cannot
# start a short option, so `-5 degrees` stays text.
_OPTION = (
    r"(?<![^\s\[(,|\"'“‘])(?:--[A-Za-z0-9][\w-]*(?:=|(?![\w-]))"
    r"|-[A-Za-z?](?:[A-Za-z0-9]*(?![\w-])))"
    r"|\[[A-Z][A-Z0-9_-]*\](?:\.\.\.|…)"
)
# A metavariable of a command line: an upper-case word right after an option (`--lines=NUM`,
# `-o FILE`, `--output FILE`) or in brackets (`[FILE]`, `<FILE>`).
_OPTION_ARGUMENT = re.compile(
    r"(?<![\w-])(?:--[A-Za-z0-9][\w-]*[= ]|-[A-Za-z] ?)[\[<]?([A-Z][A-Z0-9_]+)(?![\w-])"
)
_BRACKETED_METAVARIABLE = re.compile(r"[\[<]([A-Z][A-Z0-9_]+)[\]>]")
# Characters that always pass through beside the uncovered ones: Unicode blocks of emoji and
# pictographs, arrows, dingbats, CJK punctuation and full-width forms (Latin-1 symbols such as
# `°` and `©` are in every vocabulary and stay text).
_JOINERS = frozenset("\u200d\ufe0e\ufe0f\u20e3")  # ZWJ, variation selectors, keycap


@functools.lru_cache(maxsize=4096)
def _is_foreign(char: str) -> bool:
    """A character a Latin-script vocabulary does not cover: a symbol beyond Latin-1 (emoji,
    arrows, math, dingbats), a letter or digit of a non-Latin script, CJK punctuation, a
    private-use or unassigned code point."""
    code = ord(char)
    if code < 0x100:
        return False
    category = unicodedata.category(char)
    if category in ("So", "Sm", "Sk", "Co", "Cn", "Cs") or 0x3000 <= code <= 0x303F:
        return True
    if category[0] in "LN":
        return not unicodedata.name(char, "").startswith("LATIN")
    return 0xFF00 <= code <= 0xFFEF


def _foreign_runs(text: str) -> list[tuple[int, int]]:
    """Maximal runs of foreign characters (`_is_foreign`), joiners and marks inside a run and
    single spaces between foreign characters included (`Привет мир`, `👍 👍` are one span)."""
    runs: list[tuple[int, int]] = []
    start = -1
    end = 0
    for i, char in enumerate(text):
        if _is_foreign(char):
            if start >= 0 and (i == end or text[end:i] == " "):
                end = i + 1
                continue
            if start >= 0:
                runs.append((start, end))
            start, end = i, i + 1
        elif start >= 0 and i == end and (char in _JOINERS or unicodedata.category(char) == "Mn"):
            end = i + 1
    if start >= 0:
        runs.append((start, end))
    return runs


def metavariables(text: str) -> tuple[str, ...]:
    """The metavariables of a command-line text (`FILE` in `-o FILE` and `[FILE]`), sorted: the
    Translator keeps them wherever they occur in the text, so every column agrees."""
    found = {m.group(1) for m in _OPTION_ARGUMENT.finditer(text)}
    if found or "-" in text or "]..." in text or "]…" in text:  # a command line, not `[CC]`
        found.update(m.group(1) for m in _BRACKETED_METAVARIABLE.finditer(text))
    return tuple(sorted(found))


_GROUP_FAMILY = {
    "gl": PLACEHOLDER,
    "opt": PLACEHOLDER,
    "mv": PLACEHOLDER,
    "ln": LINK,
    "path": LINK,
    "tm": TERM,
    "tmpl": PLACEHOLDER,
    "esc": STANDALONE,
    "ph": PLACEHOLDER,
}
_TAG_NAME = re.compile(r"</?([A-Za-z][\w:.-]*)")
# An unnumbered printf conversion that consumes one argument, and a numbered one (`%2$d`).
PRINTF_ARG = re.compile(r"%[-+#0']*\d*(?:\.\d*)?(?:hh|ll|I64|I32|q[+#]*|[hlLjzZtw])?[A-Za-z]")
NUMBERED_PRINTF = re.compile(r"%([1-9][0-9]*)\$(.+)", re.DOTALL)
_GCC_QUOTE_TAG = "%"  # the tag name under which `%<` and `%>` pair
# Elements that may stand unclosed and are never English words used as metavariables.
_INLINE_TAGS = ("a", "b", "i", "u", "s", "em", "strong", "tt", "sub", "sup", "br", "img", "wbr")
_BLOCK_TAGS = ("p", "div", "span", "hr", "li", "ul", "ol", "dl", "dt", "dd", "td", "tr", "th")
_KNOWN_TAGS = frozenset((*_INLINE_TAGS, *_BLOCK_TAGS, *(f"h{n}" for n in range(1, 7))))


class _Found(NamedTuple):
    """A detected span: `text[start:end]`, its family, lower-cased tag name, paired open index."""

    start: int
    end: int
    family: str
    tag: str = ""
    partner: int = -1  # for a closing tag: index of the opening tag it closes, -1 if none
    target: str = ""  # a glossary term's target ("" for every other span)


def _term_key(terms: Iterable[str]) -> tuple[str, ...]:
    """Distinct non-blank terms, longest first (then sorted), so equal sets share one pattern."""
    if isinstance(terms, str):
        raise TypeError("terms is a collection of terms, not one str; wrap it: [term]")
    if not terms:
        return ()
    return tuple(sorted({t for t in terms if t.strip()}, key=lambda t: (-len(t), t)))


def _term_regex(term: str) -> str:
    """A term never matches inside a longer word: word-character edges need a word boundary."""
    left = r"(?<!\w)" if re.match(r"\w", term) else ""
    right = r"(?!\w)" if re.search(r"\w$", term) else ""
    return left + re.escape(term) + right


@functools.lru_cache(maxsize=128)
def _pattern(
    terms: tuple[str, ...],
    url: bool,
    email: bool,
    drive: bool,
    glossary: tuple[str, ...] = (),
    version: int = LEGACY,
    metavars: tuple[str, ...] = (),
) -> re.Pattern[str]:
    """The combined detection regex: links first (a URL is one unit), then terms, then markup.
    Version 2 adds version numbers (links), the caller's metavariables (placeholders, after
    the exact terms), glossary terms (after those) and options (after markup)."""
    rules = Preprocessing(version)
    links = [regex for regex, on in ((_URL, url), (_EMAIL, email), (_DRIVE_PATH, drive)) if on]
    if rules.passthrough:
        links.append(_VERSION_NUMBER)
    groups = [f"(?P<ln>{'|'.join(links)})"] if links else []
    if terms:
        groups.append(f"(?P<tm>{'|'.join(_term_regex(t) for t in terms)})")
    if metavars:  # before the glossary: `FILE` of `--output=FILE` is no glossary `file`
        groups.append(f"(?P<mv>{'|'.join(_term_regex(t) for t in metavars)})")
    if glossary:
        groups.append(f"(?P<gl>(?i:{'|'.join(_term_regex(t) for t in glossary)}))")
    groups.append(_MARKUP)
    if rules.command_line:
        groups.append(f"(?P<opt>{_OPTION})")
    return re.compile("|".join(groups))


def _pattern_for(
    text: str,
    terms: tuple[str, ...],
    glossary: tuple[str, ...] = (),
    version: int = LEGACY,
    metavars: tuple[str, ...] = (),
) -> re.Pattern[str]:
    """The combined regex with only the branches `text` can match. Branches that start at a word
    character are tried at every position, so each is left out when its anchor (`://` or `www.`,
    `@`, `:\\`, one of the terms) is not in the text: still one regex pass, far fewer steps."""
    lowered = text.lower() if glossary else ""
    return _pattern(
        terms if terms and any(t in text for t in terms) else (),
        "://" in text or "www." in text,
        "@" in text,
        ":\\" in text,
        tuple(t for t in glossary if t in lowered),
        version,
        tuple(t for t in metavars if t in text),
    )


def _tag_found(text: str, m: re.Match[str]) -> _Found:
    """Classify a tag-like match: self-closing -> TS, `%<`/`%>` -> pair named `%`."""
    start, end, group = m.start(), m.end(), m.lastgroup
    if group == "qo":
        return _Found(start, end, OPEN_TAG, _GCC_QUOTE_TAG)
    if text.startswith("%>", start):
        return _Found(start, end, CLOSE_TAG, _GCC_QUOTE_TAG)
    if group == "tag" and text.endswith("/>", start, end):
        return _Found(start, end, STANDALONE)
    name = _TAG_NAME.match(text, start)
    tag = name.group(1).lower() if name else ""
    return _Found(start, end, OPEN_TAG if group == "tag" else CLOSE_TAG, tag)


def _scan(
    text: str,
    pattern: re.Pattern[str],
    glossary: Mapping[str, str] | None = None,
    passthrough: bool = False,
) -> list[_Found]:
    """All protected spans of `text`, in order, with tags paired and metavariables dropped.
    `glossary` (lower-cased source term -> target) gives glossary spans their target;
    `passthrough` adds the runs of uncovered characters (`_foreign_runs`) outside other spans."""
    found: list[_Found] = []
    has_tags = False
    for m in pattern.finditer(text):
        group = m.lastgroup
        if group in ("tag", "tc", "qo"):
            found.append(_tag_found(text, m))
            has_tags = True
        elif group == "gl" and glossary is not None:
            # a placeholder, not a term: models learn to carry placeholders (the corpus is
            # full of them), while `TM` only occurs where a caller passes terms
            target = glossary[m.group().lower()]
            found.append(_Found(m.start(), m.end(), PLACEHOLDER, target=target))
        else:
            found.append(_Found(m.start(), m.end(), _GROUP_FAMILY[group or ""]))
    if has_tags:
        found = _resolve_tags(text, found)
    if passthrough and not text.isascii():
        found = _merge_foreign(found, _foreign_runs(text))
    return found


def _merge_foreign(found: list[_Found], runs: Sequence[tuple[int, int]]) -> list[_Found]:
    """`found` plus the foreign runs that overlap none of its spans, in text order. Indices of
    tag partners are remapped to the merged list."""
    if not runs:
        return found
    taken = [(f.start, f.end) for f in found]
    extra = [
        _Found(a, b, STANDALONE) for a, b in runs if not any(s < b and a < e for s, e in taken)
    ]
    if not extra:
        return found
    merged = sorted(
        [(f, i) for i, f in enumerate(found)] + [(f, -1) for f in extra], key=lambda fi: fi[0].start
    )
    new_index = {old: new for new, (_, old) in enumerate(merged) if old >= 0}
    return [f._replace(partner=new_index[f.partner]) if f.partner >= 0 else f for f, _ in merged]


def _is_bare(text: str, f: _Found) -> bool:
    """`<word>` without attributes whose name is no common element: a metavariable, not markup."""
    return f.tag not in _KNOWN_TAGS and f.tag != _GCC_QUOTE_TAG and "=" not in text[f.start : f.end]


def _resolve_tags(text: str, found: list[_Found]) -> list[_Found]:
    """Pair each closing tag with the latest unclosed opening tag of the same name.

    Unpaired bare opening tags (`<pathspec>`) are removed from the list: they stay raw text.
    """
    stacks: dict[str, list[int]] = {}
    partner: dict[int, int] = {}
    for i, f in enumerate(found):
        if f.family == OPEN_TAG:
            stacks.setdefault(f.tag, []).append(i)
        elif f.family == CLOSE_TAG and stacks.get(f.tag):
            partner[i] = stacks[f.tag].pop()
    paired = set(partner.values())
    keep = [
        i
        for i, f in enumerate(found)
        if not (f.family == OPEN_TAG and i not in paired and _is_bare(text, f))
    ]
    new_index = {old: new for new, old in enumerate(keep)}
    return [
        found[i]._replace(partner=new_index[partner[i]]) if i in partner else found[i] for i in keep
    ]


def _number(found: Sequence[_Found]) -> list[tuple[_Found, str]]:
    """Give each span its symbol; spans numbered beyond `MAX_PER_KIND` are left out (raw).

    Opening tags count like the other families. A paired closing tag takes its opening tag's
    number; unpaired closing tags are numbered after all opening tags, so numbers stay unique.
    """
    counters = dict.fromkeys(FAMILIES, 0)
    unpaired_close = sum(1 for f in found if f.family == OPEN_TAG)
    numbers: list[int] = []
    for f in found:
        if f.family == CLOSE_TAG and f.partner >= 0:
            n = numbers[f.partner]
        elif f.family == CLOSE_TAG:
            unpaired_close += 1
            n = unpaired_close
        else:
            counters[f.family] += 1
            n = counters[f.family]
        numbers.append(n)
    return [
        (f, _SYMBOLS[f.family][n - 1])
        for f, n in zip(found, numbers, strict=True)
        if n <= MAX_PER_KIND
    ]


# --- protect -------------------------------------------------------------------------------------


class MaskedSpan(NamedTuple):
    """One masked span: its symbol, the original text, the symbol's offset in the masked text,
    and for a glossary term the text restore writes in its place (`target`, else "")."""

    symbol: str
    original: str
    start: int
    target: str = ""

    @property
    def output(self) -> str:
        """What restore writes for this span: the glossary target, else the original."""
        return self.target or self.original


@dataclass(frozen=True, slots=True)
class Protected:
    """A masked segment. `text` holds symbols where `spans` (in text order) held the originals."""

    text: str
    spans: tuple[MaskedSpan, ...]


def _mask(text: str, numbered: Sequence[tuple[_Found, str | None]]) -> tuple[str, list[MaskedSpan]]:
    """Replace each span that has a symbol; a `None` symbol leaves the span raw."""
    parts: list[str] = []
    spans: list[MaskedSpan] = []
    pos = length = 0
    for f, symbol in numbered:
        if symbol is None:
            continue
        parts.append(text[pos : f.start])
        length += f.start - pos
        spans.append(MaskedSpan(symbol, text[f.start : f.end], length, f.target))
        parts.append(symbol)
        length += len(symbol)
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts), spans


def protect(
    text: str,
    terms: Iterable[str] = (),
    *,
    glossary: Mapping[str, str] | None = None,
    version: int = LEGACY,
    metavars: Iterable[str] = (),
) -> Protected:
    """Mask every protected span of `text` (see the module docstring) with a reserved symbol.

    Contract: `restore(p.text, p).text == text` for every input without glossary terms, and
    every symbol occurs once. `terms` are do-not-translate terms (exact, case-sensitive,
    longest first). `glossary` maps source terms to target terms: a match (case-insensitive,
    on word boundaries, after the exact terms) becomes a `PH` symbol that restore replaces by
    the target. `version` is the preprocessing version
    (`nmt.preprocessing`); version 1 gives exactly the masks of the first shipped bundle.
    From version 2 on, the metavariables of `text` (`metavariables`) and the caller's
    `metavars` (those of the whole entry) are kept as placeholders wherever they occur.
    """
    rules = Preprocessing(version)
    kept = _term_key((*metavars, *metavariables(text))) if rules.command_line else ()
    glossary = {k.lower(): v for k, v in glossary.items()} if glossary else None
    gloss = _term_key(glossary) if glossary else ()
    found = _scan(
        text,
        _pattern_for(text, _term_key(terms), gloss, version, kept),
        glossary,
        rules.passthrough,
    )
    if not found:
        return Protected(text, ())
    masked, spans = _mask(text, _number(found))
    return Protected(masked, tuple(spans))


# --- training pairs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaskedPair:
    """A training pair masked consistently on both sides.

    `source_only`: symbols of the source with no counterpart in the target (the model will see
    a symbol it should have copied but that the reference drops). `target_only`: target spans with
    no source counterpart, left raw. A caller may filter pairs where either is non-empty.
    """

    source: str
    target: str
    source_only: tuple[str, ...]
    target_only: tuple[str, ...]


def _loose_key(family: str, original: str) -> str | None:
    """Second-chance match key: tag name for tags (attributes may be translated), any link."""
    if family in (OPEN_TAG, CLOSE_TAG):
        if original in ("%<", "%>"):
            return _GCC_QUOTE_TAG
        name = _TAG_NAME.match(original)
        return name.group(1).lower() if name else None
    return "" if family == LINK else None


def _printf_args(spans: Sequence[MaskedSpan]) -> list[MaskedSpan]:
    """The source's unnumbered printf placeholders in order, one argument each. Empty when they
    cannot be numbered: some are numbered already, or a `*` width or `%m` hides the count."""
    args: list[MaskedSpan] = []
    for span in spans:
        original = span.original
        if span.symbol[1:3] != PLACEHOLDER or not original.startswith("%"):
            continue
        if "$" in original or "*" in original or original.endswith("m"):
            return []
        if PRINTF_ARG.fullmatch(original):
            args.append(span)
    return args


def _take(pool: list[str] | None, used: set[str]) -> str | None:
    """The first symbol of `pool` not yet used, now marked used; None when all are taken."""
    for symbol in pool or ():
        if symbol not in used:
            used.add(symbol)
            return symbol
    return None


def _match_target(
    target: str, found: Sequence[_Found], spans: Sequence[MaskedSpan]
) -> list[tuple[_Found, str | None]]:
    """Give each target span the symbol of an unused source span: identical text first (in
    order, so `%1$s`/`%2$s` may swap), then a numbered printf placeholder to the unnumbered one
    it stands for (`%2$d` for the second of `%s ... %d`), then the same tag name or any link
    (a localized URL)."""
    exact: dict[tuple[str, str], list[str]] = {}
    loose: dict[tuple[str, str], list[str]] = {}
    for span in spans:
        family = span.symbol[1:3]
        exact.setdefault((family, span.original), []).append(span.symbol)
        key = _loose_key(family, span.original)
        if key is not None:
            loose.setdefault((family, key), []).append(span.symbol)
    used: set[str] = set()
    chosen = [_take(exact.get((f.family, target[f.start : f.end])), used) for f in found]
    args = _printf_args(spans)
    for i, f in enumerate(found):  # `%2$d` in the target is the source's second `%d`
        numbered = None if chosen[i] else NUMBERED_PRINTF.fullmatch(target, f.start, f.end)
        n = int(numbered.group(1)) if numbered else 0
        if numbered and n <= len(args) and args[n - 1].original == "%" + numbered.group(2):
            chosen[i] = _take([args[n - 1].symbol], used)
    for i, f in enumerate(found):
        key = None if chosen[i] else _loose_key(f.family, target[f.start : f.end])
        if key is not None:
            chosen[i] = _take(loose.get((f.family, key)), used)
    return list(zip(found, chosen, strict=True))


def mask_pair(
    source: str, target: str, terms: Iterable[str] = (), *, version: int = LEGACY
) -> MaskedPair:
    """Mask a training pair: the source exactly as `protect` does at inference; in the target,
    each span that matches an unused source span gets that span's symbol, others stay raw.

    Why: inference inputs must look like training inputs, so the source is never altered beyond
    `protect`. Target-only spans stay raw so the model never learns to emit a symbol that the
    source lacks (restore would have to delete it); the translator added them as text.
    """
    rules = Preprocessing(version)
    kept = _term_key(metavariables(source)) if rules.command_line else ()
    key = _term_key(terms)
    pt = rules.passthrough
    src_pattern = _pattern_for(source, key, version=version, metavars=kept)
    src_found = _scan(source, src_pattern, passthrough=pt)
    src_text, spans = _mask(source, _number(src_found)) if src_found else (source, [])
    tgt_pattern = _pattern_for(target, key, version=version, metavars=kept)
    tgt_found = _scan(target, tgt_pattern, passthrough=pt)
    if not tgt_found:
        return MaskedPair(src_text, target, tuple(s.symbol for s in spans), ())
    assigned = _match_target(target, tgt_found, spans)
    tgt_text, tgt_spans = _mask(target, assigned)
    used = {s.symbol for s in tgt_spans}
    return MaskedPair(
        source=src_text,
        target=tgt_text,
        source_only=tuple(s.symbol for s in spans if s.symbol not in used),
        target_only=tuple(target[f.start : f.end] for f, sym in assigned if sym is None),
    )


# --- restore -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Restored:
    """The restored text and what restore had to do.

    `placed`: symbols the model emitted itself (output order); `inserted`: source symbols the
    model dropped, put back by the fallback (source order); `dropped_extra`: symbols the model
    emitted that the source lacks or that it had already emitted, removed (output order).
    """

    text: str
    placed: tuple[str, ...]
    inserted: tuple[str, ...]
    dropped_extra: tuple[str, ...]


_TRAILING = ".,;:!?…)]}»«\"'’”“›‹"  # closing punctuation a tail placeholder goes before
_LEADING = "([{¿¡«»„“‘‚\"'‹›"  # opening punctuation a head placeholder goes after
_WORD = re.compile(r"\S+")


def _join_around_cut(left: str, right: str, *, at_start: bool, at_end: bool) -> str:
    """Join the text on both sides of a removed symbol, leaving no doubled or dangling space."""
    if left.endswith(" ") and (
        right.startswith(" ") or at_end or (right and right[0] in _TRAILING)
    ):
        return left[:-1] + right
    if at_start and not left and right.startswith(" "):
        return right[1:]
    return left + right


def _escape_strays(output: str, n_symbols: int) -> tuple[str, dict[int, int]]:
    """Hide brackets that belong to no symbol behind characters absent from `output`, so that
    removing or inserting symbols can never join stray pieces into a new symbol (`⦅` + `TC1⦆`).

    Returns the escaped text and the `str.translate` table that undoes it.
    """
    if output.count(OPEN) == output.count(CLOSE) == n_symbols:
        return output, {}
    free = (c for c in map(chr, range(0xE000, 0xF900)) if c not in output)  # private use
    hidden_open, hidden_close = next(free), next(free)
    table = str.maketrans(OPEN + CLOSE, hidden_open + hidden_close)
    pieces = _SYMBOL_SPLIT.split(output)
    pieces[::2] = [p.translate(table) for p in pieces[::2]]
    return "".join(pieces), str.maketrans(hidden_open + hidden_close, OPEN + CLOSE)


def _drop_extras(output: str, known: dict[str, MaskedSpan]) -> tuple[str, list[str], list[str]]:
    """Remove unknown and repeated symbols from `output`, each with one adjacent space.

    Returns (cleaned text, placed symbols in output order, dropped symbols in output order).
    """
    pieces = _SYMBOL_SPLIT.split(output)  # text, symbol, text, ..., text
    placed: list[str] = []
    dropped: list[str] = []
    parts: list[str] = []
    run = pieces[0]  # the text since the last kept symbol
    for k in range(1, len(pieces), 2):
        symbol, right = pieces[k], pieces[k + 1]
        if symbol in known and symbol not in placed:
            placed.append(symbol)
            parts += [run, symbol]
            run = right
            continue
        dropped.append(symbol)
        at_end = k + 2 == len(pieces) and not right
        run = _join_around_cut(run, right, at_start=not parts, at_end=at_end)
    parts.append(run)
    return "".join(parts), placed, dropped


def _attachment(source: str, span: MaskedSpan) -> str:
    """How the span sat in the source: glued to the next word (`<b>x`), the previous one (`x</b>`),
    or a word of its own ('word': spaces or punctuation on both sides, or glued on both)."""
    before = source[span.start - 1 : span.start]
    after = source[span.start + len(span.symbol) : span.start + len(span.symbol) + 1]
    glue_left = before.isalnum() or before == CLOSE
    glue_right = after.isalnum() or after == OPEN
    if glue_right and not glue_left:
        return "next"
    if glue_left and not glue_right:
        return "prev"
    return "word"


def _partner_bounds(out: str, symbol: str) -> tuple[int, int]:
    """Where a tag may go: an opening tag before its closing tag, a closing tag after its own."""
    family, number = symbol[1:3], symbol[3:-1]
    if family == OPEN_TAG:
        at = out.find(f"{OPEN}{CLOSE_TAG}{number}{CLOSE}")
        return 0, (len(out) if at < 0 else at)
    if family == CLOSE_TAG:
        partner = f"{OPEN}{OPEN_TAG}{number}{CLOSE}"
        at = out.find(partner)
        return (0 if at < 0 else at + len(partner)), len(out)
    return 0, len(out)


def _put(out: str, i: int, symbol: str, attach: str) -> str:
    """Insert `symbol` at `i`, glued as `attach` says when there is a word to glue to; otherwise
    as a word of its own, with a space on each side that lacks one."""
    if attach == "next" and i < len(out) and not out[i].isspace():
        return out[:i] + symbol + out[i:]
    if attach == "prev" and i > 0 and not out[i - 1].isspace():
        return out[:i] + symbol + out[i:]
    if i < len(out) and not out[i].isspace() and (i == 0 or out[i - 1].isspace()):
        return out[:i] + symbol + " " + out[i:]
    left = "" if i == 0 or out[i - 1].isspace() else " "
    return out[:i] + left + symbol + out[i:]


def _middle_position(out: str, p: int, attach: str, lo: int, hi: int) -> int:
    """The word boundary nearest to `p` within [lo, hi] that suits `attach` (ties: earlier)."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(out)]
    if attach == "prev":  # after a word, but before its trailing punctuation
        candidates = [s + max(len(out[s:e].rstrip(_TRAILING)), 1) for s, e in words]
    else:
        candidates = [s for s, _ in words] + ([len(out)] if attach == "word" else [])
    # lo and hi are symbol edges, safe fallbacks; a clamped p could split a symbol
    candidates = [c for c in candidates if lo <= c <= hi] or [lo, hi]
    return min(candidates, key=lambda c: (abs(c - p), c))


def _glued_neighbour(out: str, span: MaskedSpan, source: str) -> int:
    """Where to insert when the span touched another symbol in the source (`%d%%`, `<b>%s`) and
    that symbol is in the output: right beside it. -1 when there is no such neighbour."""
    end = span.start + len(span.symbol)
    right = _SYMBOL_RE.match(source, end)
    if right and (at := out.find(right.group())) >= 0:
        return at
    left = source.rfind(OPEN, 0, span.start)
    if left >= 0 and _SYMBOL_RE.fullmatch(source, left, span.start):
        at = out.find(source[left : span.start])
        if at >= 0:
            return at + span.start - left
    return -1


def _insert(out: str, span: MaskedSpan, source: str, floor: int) -> str:
    """Put a dropped symbol back at or after `floor` (the fallback documented on `restore`)."""
    attach = _attachment(source, span)
    lo, hi = _partner_bounds(out, span.symbol)
    lo = max(lo, min(floor, hi))
    i = _glued_neighbour(out, span, source)
    if lo <= i <= hi:
        return out[:i] + span.symbol + out[i:]
    if not source[span.start + len(span.symbol) :].strip(_TRAILING + " \t"):  # last in source
        i = len(out.rstrip(_TRAILING + " \t"))
        if lo <= i <= hi:
            return _put(out, i, span.symbol, attach)
    if not source[: span.start].strip(_LEADING + " \t"):  # first in the source
        i = len(out) - len(out.lstrip(_LEADING + " \t"))
        if lo <= i <= hi:
            return _put(out, i, span.symbol, attach)
    p = round(len(out) * span.start / max(len(source), 1))
    return _put(out, _middle_position(out, p, attach, lo, hi), span.symbol, attach)


def _renumbered(order: Sequence[str], spans: Sequence[MaskedSpan]) -> dict[str, str]:
    """Numbered forms for unnumbered printf placeholders that the output reorders.

    `%s ... %d` must keep its argument order; a translation that swaps them needs `%2$d ...
    %1$s`, which is what translators write (gcc, coreutils). Empty when nothing moved.
    """
    numbers = [int(s[3:-1]) for s in order if s[1:3] == PLACEHOLDER]
    if numbers == sorted(numbers):  # the source order (symbols are numbered by occurrence)
        return {}
    args = _printf_args(spans)
    moved = [s for s in order if s in {a.symbol for a in args}]
    if len(args) < 2 or moved == [a.symbol for a in args]:
        return {}
    return {a.symbol: f"%{n}${a.original[1:]}" for n, a in enumerate(args, 1)}


def _substitute(
    out: str, known: dict[str, MaskedSpan], order: Sequence[str], positional: bool
) -> str:
    """Replace each symbol of `out` (all known, each once) by its span, numbered if reordered."""
    renumbered = _renumbered(order, list(known.values())) if positional else {}
    if renumbered:
        logger.debug("restore numbered reordered printf placeholders: %s", renumbered)
    if any(s.target for s in known.values()):
        return _SYMBOL_RE.sub(lambda m: _glossary_output(m, out, known, renumbered), out)
    return _SYMBOL_RE.sub(lambda m: renumbered.get(m.group()) or known[m.group()].original, out)


def _glossary_output(
    m: re.Match[str], out: str, known: dict[str, MaskedSpan], renumbered: dict[str, str]
) -> str:
    """A span's output; a glossary target that opens the output (after opening punctuation) for
    a source term written with a capital gets a capital first letter. A target is never
    lower-cased: German nouns keep their capital."""
    span = known[m.group()]
    text = renumbered.get(m.group()) or span.output
    if span.target and span.original[:1].isupper() and not out[: m.start()].strip(_LEADING + " "):
        return text[:1].upper() + text[1:]
    return text


def restore(output: str, protected: Protected, *, positional: bool = True) -> Restored:
    """Replace the symbols in the model's (decoded) `output` by the spans they stand for.

    Contract: never raises; the result holds every span of `protected` exactly as often as the
    source did, and no reserved symbol: unknown or repeated symbols are removed with one adjacent
    space (bracket characters outside any symbol stay text, never joined into a symbol). A symbol
    the model dropped is put back by this fallback rule, in source order, each after the ones
    inserted before it:
    - glued to another symbol in the source (`%d%%`, `<b>%s</b>`) that the output holds: beside
      that symbol, glued the same way;
    - last in the source (only closing punctuation after it): at the end of the output, before
      its closing punctuation (`Cannot open %s.` -> `... öffnen %s.`);
    - first in the source (only opening punctuation before it): at the start of the output;
    - otherwise at the word boundary nearest to the source position mapped onto the output by
      character proportion.
    Spacing follows the source: a span glued to the next word (`<b>x`) is glued to the next word,
    one glued to the previous word (`x</b>`) to the end of the previous word, otherwise it is a
    word of its own. An opening tag always lands before its closing tag and vice versa.

    `positional`: when the output reorders unnumbered printf placeholders (`%s ... %d`), write
    them numbered (`%2$d ... %1$s`) so the format string still takes its arguments in order.
    Pass False for Python `%`-format strings, which have no numbered form.
    """
    spans = protected.spans
    if not spans and OPEN not in output:
        return Restored(output, (), (), ())
    known = {s.symbol: s for s in spans}
    emitted = _SYMBOL_RE.findall(output)
    if len(emitted) == len(spans) and known.keys() == set(emitted):  # the usual case
        text = _substitute(output, known, emitted, positional)
        return Restored(text, tuple(emitted), (), ())
    output, unescape = _escape_strays(output, len(emitted))
    out, placed, dropped = _drop_extras(output, known)
    inserted: list[str] = []
    floor = 0  # inserted symbols keep their source order among themselves
    emitted_known = set(placed)
    for span in spans:
        if span.symbol not in emitted_known:
            out = _insert(out, span, protected.text, floor)
            floor = out.index(span.symbol) + len(span.symbol)
            inserted.append(span.symbol)
    logger.debug("restore inserted %s, dropped %s", inserted, dropped)
    text = _substitute(out, known, _SYMBOL_RE.findall(out), positional)
    return Restored(text.translate(unescape), tuple(placed), tuple(inserted), tuple(dropped))
