"""Cleaning of gettext text: gcc quotes and keyboard gettext_cleaning."""

from __future__ import annotations

import pytest

from nmt.corpus.sources import gettext_cleaning


def test_gcc_quotes_map_to_typographic_quotes_only() -> None:
    assert (
        gettext_cleaning.map_gcc_quotes("%<%s%> is not %qs; 100%% %d")
        == "‘%s’ is not %qs; 100%% %d"
    )
    assert gettext_cleaning.map_gcc_quotes("%%<b>") == "%%<b>"


@pytest.mark.parametrize(
    ("source", "target", "markers", "expected"),
    [
        ("_Open", "Ö_ffnen", "_", ("Open", "Öffnen")),
        ("&Save", "&Speichern", "&", ("Save", "Speichern")),
        ("~Insert", "~Einfügen", "~", ("Insert", "Einfügen")),
        ("_Print", "Drucken", "_", ("Print", "Drucken")),  # translator dropped it
        ("Lock", "_Sperren", "_", ("Lock", "Sperren")),  # translator added it
        ("F_orm:", "F_orm:", "_", ("Form:", "Form:")),  # "form" is a word of the catalog
        ("Run pg_dump first", "Erst pg_dump starten", "_", None),  # shared identifier
        ("Drag &amp; drop", "Ziehen &amp; ablegen", "&", None),  # entity
        ("Drag && Drop", "Ziehen && Ablegen", "&", None),  # escaped ampersand
        ("Call __init__ now", "Jetzt __init__ aufrufen", "_", None),
        ("See https://x.org/a_b", "Siehe https://x.org/a_b", "_", None),  # URL
        ("Use %(user_name)s", "Nutze %(user_name)s", "_", None),  # named placeholder
        ("_File _Edit", "_Datei _Bearbeiten", "_", None),  # two candidates: ambiguous
    ],
)
def test_remove_accelerators(
    source: str, target: str, markers: str, expected: tuple[str, str] | None
) -> None:
    vocabulary = frozenset({"form", "open", "run", "first"})
    result = gettext_cleaning.remove_accelerators(source, target, markers, vocabulary)
    assert result == (expected or (source, target))
