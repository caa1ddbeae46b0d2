"""Text normalisation: one function for the corpus (all splits) and for inference input.

Normalisation never changes what a translator wrote beyond whitespace and invisible characters:
placeholders, markup and punctuation stay raw; masking happens at tokenization time
(`nmt.protect`). The Translator normalises its input with the same function, so a model sees at
inference exactly the kind of text it was trained on.
"""

from __future__ import annotations

import re
import unicodedata

# Invisible characters that only make identical strings differ (BOM, zero-width, soft hyphen).
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"))
# Every whitespace that breaks a TSV line or a field; NBSP is kept (French typography needs it).
_BREAKING_SPACE = re.compile(r"[\t\n\r\v\f\u2028\u2029\x85 ]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def normalize(text: str) -> str:
    """NFC, invisible and control characters removed, whitespace runs collapsed, stripped.

    Contract: the result holds no TAB, newline or carriage return.
    """
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = _CONTROL.sub("", text)
    return _BREAKING_SPACE.sub(" ", text).strip()
