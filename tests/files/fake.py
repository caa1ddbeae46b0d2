"""A fake Translator for the file-translation tests: a small English->German word map applied
through the real protect/restore, so placeholders, tags and entities behave as in production
and the output is predictable. `install(monkeypatch)` makes `Translator.load` return it."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from nmt.config import DecodingConfig
from nmt.preprocessing import LEGACY, Preprocessing
from nmt.protect import protect, restore
from nmt.translator import Translation, Translator

WORDS = {
    "Open": "Öffnen",
    "open": "öffnen",
    "Save": "Speichern",
    "file": "Datei",
    "files": "Dateien",
    "the": "die",
    "The": "Die",
    "Quit": "Beenden",
    "window": "Fenster",
    "Cancel": "Abbrechen",
    "Click": "Klicken",
    "here": "hier",
    "Print": "Drucken",
    "Edit": "Bearbeiten",
    "Help": "Hilfe",
}
_WORD = re.compile(r"[A-Za-z]+")


def german(text: str) -> str:
    """What the fake 'model' makes of `text` (placeholders untouched)."""
    protected = protect(text)
    out = _WORD.sub(lambda m: WORDS.get(m.group(), m.group()), protected.text)
    return restore(out, protected).text


class FakeTranslator:
    """Duck-types the part of `Translator` that `nmt translate` uses. `calls` records each
    translate call's texts; `delay` sleeps per call (for the kill test)."""

    bundle = None
    preprocessing = Preprocessing(LEGACY)

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[list[str]] = []
        self.delay = delay
        self.lanes = 0  # what `Translator.load` was asked for

    def decoding_config(self, *, beam_size: int | None = None) -> DecodingConfig:
        cfg = DecodingConfig()
        return cfg if beam_size is None else dataclasses.replace(cfg, beam_size=beam_size)

    def translate(self, texts: Sequence[str], *args: Any, **kwargs: Any) -> list[Translation]:
        self.calls.append(list(texts))
        if self.delay:
            time.sleep(self.delay)
        return [Translation(text=german(t), score=0.0) for t in texts]


def install(monkeypatch: pytest.MonkeyPatch, delay: float = 0.0) -> FakeTranslator:
    fake = FakeTranslator(delay)

    def load(
        path: Path,
        *,
        threads: int | None = None,
        batch_size: int = 32,
        preprocessing: int | None = None,
        lanes: int = 1,
    ) -> Any:
        fake.lanes = lanes
        return fake

    monkeypatch.setattr(Translator, "load", staticmethod(load))
    return fake
