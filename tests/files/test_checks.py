"""Accelerator stripping and placement, marker detection and the placeholder check."""

from __future__ import annotations

from collections import Counter

import pytest

from nmt.files.accelerators import (
    Accelerator,
    detect_markers,
    place_accelerator,
    strip_accelerator,
)
from nmt.files.forms import finish, prepare
from nmt.files.placeholders import numbered_spans, placeholders_intact


@pytest.mark.parametrize(
    ("text", "markers", "core", "accelerator"),
    [
        ("_Open", "_", "Open", Accelerator("_", "O")),
        ("E_xit", "_", "Exit", Accelerator("_", "x")),
        ("&Save As...", "&", "Save As...", Accelerator("&", "S")),
        ("pg_dump and pg_restore", "_", "pg_dump and pg_restore", None),  # two: identifiers
        ("Tom & Jerry &amp; %(x)s", "&", "Tom & Jerry &amp; %(x)s", None),
        ("__init__", "_", "__init__", None),
        ("Open", "_&", "Open", None),
    ],
)
def test_strip_accelerator(
    text: str, markers: str, core: str, accelerator: Accelerator | None
) -> None:
    assert strip_accelerator(text, markers) == (core, accelerator)


@pytest.mark.parametrize(
    ("translation", "key", "expected"),
    [
        ("Öffnen", "O", "_Öffnen"),  # no o: the first word
        ("Datei öffnen", "O", "Datei _öffnen"),  # a word starting with the letter
        ("Beenden", "x", "_Beenden"),
        ("Speichern unter", "u", "Speichern _unter"),
        ("Neu laden", "l", "Neu _laden"),
        ("Alle _Dateien _ok", "D", "Alle _Dateien ok"),  # the model's own markers go first
        ("%s öffnen", "s", "%s _öffnen"),  # never inside a placeholder
        ("<b>Neu</b>", "b", "<b>_Neu</b>"),  # nor inside a tag
        ("…", "x", "…"),  # nowhere to put it
    ],
)
def test_place_accelerator(translation: str, key: str, expected: str) -> None:
    assert place_accelerator(translation, Accelerator("_", key)) == expected


def test_detect_markers_from_sources() -> None:
    labels = ["_Open", "_Save As", "Cancel", "pg_dump", "E_xit"]
    assert detect_markers(labels) == "_"
    identifiers = ["pg_dump", "use_pty", "max_count", "_Bool is a type"]
    assert detect_markers(identifiers) == ""
    assert detect_markers(["K&R style", "AT&T", "&Print"]) == ""  # 1 label of 3 entries


def test_forms_mirror_line_breaks_and_put_the_accelerator_back() -> None:
    form = prepare("\n_Save the file\n\n", "_")
    assert (form.lead, form.core, form.trail) == ("\n", "Save the file", "\n\n")
    assert finish(form, "Datei speichern") == "\nDatei _speichern\n\n"
    blank = prepare("\n\n", "_")
    assert blank.blank and finish(blank, "ignored") == "\n\n"


@pytest.mark.parametrize(
    ("source", "translation", "numbered_ok", "ok"),
    [
        ("%s of %d", "%s von %d", True, True),
        ("%s of %d", "%2$d von %1$s", True, True),  # C allows numbered reordering
        ("%s of %d", "%2$d von %1$s", False, False),  # Python's % does not
        ("%s of %d", "%d von %s", True, False),  # swapped unnumbered: the types swap too
        ("%s of %d", "%1$d von %2$s", True, False),  # numbered, but with the wrong types
        ("%1$s of %2$d", "%s von %d", True, True),  # the same arguments in the same order
        ("%s of %d", "%s von", True, False),
        ("{0} and {name}", "{name} und {0}", True, True),
        ("<b>%(n)s</b> files", "<b>%(n)s</b> Dateien", False, True),
        ("<b>%(n)s</b> files", "%(n)s Dateien", False, False),
        ("100%% done", "100 %% fertig", True, True),
    ],
)
def test_placeholders_intact(source: str, translation: str, numbered_ok: bool, ok: bool) -> None:
    assert placeholders_intact(source, translation, numbered_ok=numbered_ok) is ok


def test_numbered_spans_number_printf_conversions_by_argument() -> None:
    assert numbered_spans("%s of %d in {folder}") == Counter({"%1$s": 1, "%2$d": 1, "{folder}": 1})
    assert numbered_spans("%2$d von %1$s") == numbered_spans("%s of %d")
    assert numbered_spans("no placeholders") == Counter()
