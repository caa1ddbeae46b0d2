"""Language names and a small language guesser for the LibreTranslate `/detect` route.

The guesser only chooses among the languages the server serves, by counting very common words
(articles, pronouns, prepositions) of each: enough to tell English from German, and honest about
it (a text with none of those words gets confidence 0). Languages without a word list score 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAMES = {
    "ar": "Arabic", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "fi": "Finnish", "fr": "French", "hu": "Hungarian",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "pl": "Polish",
    "pt": "Portuguese", "ru": "Russian", "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian",
    "zh": "Chinese",
}  # fmt: skip

_COMMON_WORDS = {
    "en": "the a an and or of to in on for with is are be this that it you your not from by "
    "as at was file open save click select",
    "de": "der die das und oder ein eine einen zu im in mit ist sind nicht sie ihr von auf "
    "für den dem des wird werden datei öffnen speichern klicken",
    "fr": "le la les et ou un une des du de en dans avec est sont pas vous votre pour sur "
    "fichier ouvrir enregistrer",
    "es": "el la los las y o un una de del en con es son no usted su para por archivo abrir",
    "it": "il lo la gli le e o un una di del in con è sono non per su file aprire salva",
    "nl": "de het een en of van in met is zijn niet u uw voor op bestand openen opslaan",
    "pt": "o a os as e ou um uma de do da em com é são não você para por arquivo abrir",
}
_WORDS = {lang: frozenset(words.split()) for lang, words in _COMMON_WORDS.items()}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def name(code: str) -> str:
    return NAMES.get(code, code)


def detect(text: str, candidates: Iterable[str]) -> list[tuple[str, float]]:
    """(language, confidence 0..100) for each candidate, most likely first.

    Confidence is the share of the text's common words that belong to that language."""
    langs = list(dict.fromkeys(candidates))
    words = [w.lower() for w in _TOKEN.findall(text)]
    hits = {lang: sum(w in _WORDS.get(lang, ()) for w in words) for lang in langs}
    total = sum(hits.values())
    scored = [(lang, round(100.0 * hits[lang] / total, 1) if total else 0.0) for lang in langs]
    return sorted(scored, key=lambda pair: -pair[1])
