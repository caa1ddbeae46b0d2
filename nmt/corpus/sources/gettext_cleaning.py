"""String cleaning of gettext text: pseudo-contexts, gcc quotes and keyboard accelerators.

See docs/corpus.md, "Cleaning":

- A leading pseudo-context inside the msgid (`Lang|Armenian` of gramps/fontforge's sgettext,
  `|pinentry-label|_OK` of gnupg) is cut when the translation shows it was not translated text.
- gcc's `%<` and `%>` quote directives become ‘ and ’ (`%%` stays as it is); every other printf
  placeholder (`%qs`, `%s`, `%1$s`, `%(name)s`) is kept raw.
- Accelerators (`_File`, `&File`, `~File`, German often mid-word: `Ö_ffnen`). Which markers a
  catalog uses is known for LibreOffice (`~` and `_`) and detected for the other catalogs
  (`detect_markers`: GTK apps use `_`, Qt/wx apps `&`; command-line tools none, their `_` are
  identifiers such as `pg_dump`). In a catalog that uses a marker, a pair loses it where each
  side has at most one candidate (`remove_accelerators`); placeholders, markup, entities, URLs,
  paths, doubled markers (`&&`, `__init__`) and identifiers shared by both sides never count.
  The rule is deliberately conservative: a left-over accelerator costs one noisy pair, a wrongly
  removed `_` or `&` corrupts an identifier the model should learn to copy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

# `ctx|text` (sgettext: `Lang|Armenian`, `Hebrew month lexeme|Tammuz`) or `|ctx|text` (gnupg).
# At most three words before the bar, so that a sentence that merely contains a bar is kept.
_PSEUDO_CONTEXT = re.compile(r"^(?:\|[^|\s]+\||[^|\s]+(?: [^|\s]+){0,2}\|)(?=\S)")
_LEADING_BARRED = re.compile(r"^\|[^|\s]+\|(?=\S)")


def strip_pseudo_context(source: str, target: str) -> tuple[str, str]:
    """Cut a pseudo-context prefix of the msgid that the translator did not translate.

    `Lang|Armenian` -> `Armenisch`: cut from the source when the target has no bar at all.
    `|N|set lifetime to N seconds` -> `|N|Lösche ... nach N Sekunden`: gnupg's metavariable
    prefix appears on both sides; cut it from both.
    """
    both = _LEADING_BARRED.match(source), _LEADING_BARRED.match(target)
    if both[0] and both[1]:
        return source[both[0].end() :], target[both[1].end() :]
    match = _PSEUDO_CONTEXT.match(source)
    if match and "|" not in target:
        return source[match.end() :], target
    return source, target


_GCC_QUOTE = re.compile(r"%[%<>]")
_GCC_QUOTES = {"%%": "%%", "%<": "‘", "%>": "’"}


def map_gcc_quotes(text: str) -> str:
    """gcc's `%<`/`%>` diagnostic quotes -> ‘ ’; `%%` is a literal percent and stays."""
    return _GCC_QUOTE.sub(lambda m: _GCC_QUOTES[m.group(0)], text)


# Spans in which a marker character is never an accelerator: printf/Python/brace placeholders,
# LibreOffice's `$(ARG1)`, markup tags, character entities, and tokens that look like URLs,
# e-mail addresses, paths or file names.
_PROTECTED = re.compile(
    r"%\([^)\s]*\)[-#0 +']*\d*(?:\.\d+)?[a-zA-Z]"
    r"|\{[^{}\s]*\}"
    r"|\$\([^)\s]*\)"
    r"|<[^<>]*>"
    r"|&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);"
    r"|(?<!\S)(?:[/$]|\.{1,2}/|~/)\S*"
    r"|\S*(?:://|@|\w\.[A-Za-z])\S*"
)


_LETTER_RUN = re.compile(r"[^\W_]+")


def catalog_vocabulary(pairs: Iterable[tuple[str, str]]) -> frozenset[str]:
    """The lower-cased letter/digit runs of every text of a catalog (markers split runs)."""
    return frozenset(
        word.lower() for pair in pairs for text in pair for word in _LETTER_RUN.findall(text)
    )


def _word_at(text: str, at: int) -> str:
    """The run of letters, digits and the marker `text[at]` around position `at`."""
    marker = text[at]
    start, end = at, at + 1
    while start and (text[start - 1].isalnum() or text[start - 1] == marker):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == marker):
        end += 1
    return text[start:end]


def _is_shared_identifier(text: str, at: int, other: str, vocabulary: frozenset[str]) -> bool:
    """Whether the mid-word marker at `at` belongs to an identifier (`pg_dump`, `Sao_Tome`).

    It does when the same marked word stands as a whole word in `other` (a translator moves an
    accelerator, an identifier stays) and the word without its marker is not a word of the
    catalog: `F_orm`/`F_orm` is an accelerator since "form" occurs, `search_contacts` is not.
    """
    word = _word_at(text, at)
    marker = text[at]
    if word not in re.findall(rf"(?:[^\W_]|{re.escape(marker)})+", other):
        return False
    return word.replace(marker, "").lower() not in vocabulary


def _accelerator_candidates(
    text: str, other: str, marker: str, vocabulary: frozenset[str]
) -> list[int]:
    """Positions in `text` where `marker` could be a keyboard accelerator.

    A candidate is a single marker (not doubled: `&&`, `__init__`) directly followed by a letter
    or digit, outside protected spans (placeholders, markup, entities, URLs, paths, file names),
    and not inside an identifier both sides share (`_is_shared_identifier`).
    """
    protected = [m.span() for m in _PROTECTED.finditer(text)]
    found: list[int] = []
    for i, char in enumerate(text):
        if char != marker:
            continue
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if before == marker or after == marker or not after.isalnum():
            continue
        if any(start <= i < end for start, end in protected):
            continue
        if before.isalnum() and _is_shared_identifier(text, i, other, vocabulary):
            continue
        found.append(i)
    return found


def marker_positions(text: str, marker: str) -> list[int]:
    """Positions where `marker` could be a keyboard accelerator, judged on `text` alone (file
    translation has no translation to compare with): `_accelerator_candidates` without the
    shared-identifier test, so a mid-word marker counts (`E_xit`) unless it is doubled or
    inside a placeholder, tag, entity, URL or path."""
    return _accelerator_candidates(text, "", marker, frozenset())


def remove_accelerators(
    source: str, target: str, markers: Iterable[str], vocabulary: frozenset[str]
) -> tuple[str, str]:
    """Remove each marker of `markers` where both sides are consistent with one accelerator.

    Rule: for each marker, a side loses its candidate when it has exactly one and the other side
    has at most one (the translator may drop or add the accelerator: `_Print` -> `Drucken`,
    `Lock` -> `_Sperren`; German often moves it mid-word: `_Open` -> `Ö_ffnen`). Two or more
    candidates on either side mean identifiers or text, and both sides stay as they are. The
    caller only passes markers the catalog is known or detected to use (`detect_markers`), so
    `K&R`, `AT&T` or Scheme's `~a` in other catalogs are never touched. `vocabulary` is
    `catalog_vocabulary` of the catalog.
    """
    for marker in markers:
        src = _accelerator_candidates(source, target, marker, vocabulary)
        tgt = _accelerator_candidates(target, source, marker, vocabulary)
        if len(src) > 1 or len(tgt) > 1:
            continue
        if src:
            source = source[: src[0]] + source[src[0] + 1 :]
        if tgt:
            target = target[: tgt[0]] + target[tgt[0] + 1 :]
    return source, target


# Markers a catalog may be detected to use. `~` is LibreOffice's alone: elsewhere it is a Scheme
# format directive (`~a` in gnucash, audacity) or gnupg's unit separator.
CATALOG_MARKERS: tuple[str, ...] = ("_", "&")
LIBREOFFICE_MARKERS: tuple[str, ...] = ("~", "_")  # `~` in .src strings, `_` in GTK .ui strings
_DETECT_MIN = 10  # word-initial single-marker pairs needed before a catalog counts as using it
_DETECT_SHARE = 0.3  # ... and their share of all pairs with exactly one candidate per side


def detect_markers(
    pairs: Sequence[tuple[str, str]], markers: Iterable[str], vocabulary: frozenset[str]
) -> tuple[str, ...]:
    """The markers among `markers` that this catalog uses as accelerators.

    A catalog uses a marker when at least `_DETECT_MIN` pairs have exactly one candidate on each
    side, the English one at the start of a word and the marked words differing between the sides
    (`_Save`/`_Speichern`, `&Open`/`Ö&ffnen`: a translated label, where an identifier such as gcc's
    `_Atomic` is the same on both sides), and these are at least `_DETECT_SHARE` of the pairs with
    one candidate per side. On bookworm's de catalogs this separates the GTK/Qt/wx applications
    (evolution, gnumeric, gramps, vlc, digikam, audacity...: 49 to 842 such pairs, 62-82%) from
    the command-line tools (gcc, postgres, git, coreutils...: at most 4, gnupg's pinentry labels).
    """
    used: list[str] = []
    for marker in markers:
        single = initial = 0
        for source, target in pairs:
            src = _accelerator_candidates(source, target, marker, vocabulary)
            tgt = _accelerator_candidates(target, source, marker, vocabulary)
            if len(src) == 1 and len(tgt) == 1:
                single += 1
                initial += _word_at(source, src[0]) != _word_at(target, tgt[0]) and (
                    src[0] == 0 or not source[src[0] - 1].isalnum()
                )
        if initial >= _DETECT_MIN and initial >= _DETECT_SHARE * single:
            used.append(marker)
    return tuple(used)
