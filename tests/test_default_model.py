"""The shipped default model (`models/en-de`): it verifies, stays under the size budget, records
its scores, translates a UI string into German, and keeps placeholders. Under CI it must exist;
elsewhere (a checkout without it) these tests skip."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from nmt.bundle import load_bundle, verify
from nmt.protect import protect
from nmt.translator import Translator

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "models" / "en-de"
MAX_BYTES = 20 * 1024 * 1024

if not (BUNDLE / "manifest.json").is_file():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{BUNDLE} is missing: the default model must ship with the repository")
    pytest.skip("no models/en-de in this checkout", allow_module_level=True)


@pytest.fixture(scope="module")
def translator() -> Translator:
    return Translator.load(BUNDLE, threads=1)


def test_it_verifies_fits_the_budget_and_records_scores() -> None:
    assert verify(BUNDLE) == []
    size = sum(p.stat().st_size for p in BUNDLE.iterdir() if p.is_file())
    assert size < MAX_BYTES, f"{size} bytes"
    manifest = load_bundle(BUNDLE).manifest
    test = manifest.scores["test"]["parts"]
    assert test["gnome-user-docs"]["bleu"]["signature"].startswith("nrefs:1|")
    assert manifest.scores["export"]["passed"] is True
    assert "BLEU" in (BUNDLE / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_a_ui_string_comes_out_german(translator: Translator) -> None:
    (result,) = translator.translate(["Open the file menu."])
    assert result.text and result.text != "Open the file menu."
    assert "Datei" in result.text, result.text


@pytest.mark.parametrize(
    "text",
    [
        "Delete %s files?",
        "Could not open %1$s: %2$s",
        "Saved {count} documents to {folder}.",
        "Click <b>Save</b> to keep your changes.",
        "See https://www.debian.org/ for details.",
    ],
)
def test_placeholders_survive_the_real_model(translator: Translator, text: str) -> None:
    (result,) = translator.translate([text])
    originals = Counter(span.original for span in protect(text).spans)
    kept = Counter(span.original for span in protect(result.text).spans)
    assert originals and kept == originals, result.text


def test_the_readme_command_translates_stdin() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "nmt.cli", "translate", "--threads", "1"],
        input="Open the file menu.\n\nSave the document.\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    lines = out.stdout.split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[0] and lines[2], out.stdout
