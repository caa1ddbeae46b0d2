"""Placeholder protection: detection per kind, symbols, round trips, fallback, training pairs."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nmt.protect import (
    FAMILIES,
    MAX_PER_KIND,
    RESERVED_SYMBOLS,
    mask_pair,
    protect,
    restore,
)

TERMS = ("LibreOffice Writer", "LibreOffice", "Git")

# (English source, spans protect must find, a plausible German translation keeping them)
CASES = [
    ("Delete %s files?", ["%s"], "%s Dateien löschen?"),
    ("%d of %u items, %i left", ["%d", "%u", "%i"], "%d von %u Elementen, %i übrig"),
    ("Size: %x bytes, %f%% used", ["%x", "%f", "%%"], "Größe: %x Bytes, %f%% belegt"),
    ("Value %5.2f, name %-10s", ["%5.2f", "%-10s"], "Wert %5.2f, Name %-10s"),
    ("Read %ld of %lu, %zu and %lld", ["%ld", "%lu", "%zu", "%lld"], "%ld von %lu, %zu und %lld"),
    ("Copy %1$s to %2$s", ["%1$s", "%2$s"], "%2$s wurde aus %1$s kopiert"),
    (
        "Hello %(name)s, you have %(count)d new messages",
        ["%(name)s", "%(count)d"],
        "Hallo %(name)s, Sie haben %(count)d neue Nachrichten",
    ),
    ("%qs requires %qD and %q#T", ["%qs", "%qD", "%q#T"], "%qs benötigt %qD und %q#T"),
    ("%<typedef%> is deprecated", ["%<", "%>"], "%<typedef%> ist veraltet"),
    ("Page %1 of %2", ["%1", "%2"], "Seite %1 von %2"),
    ("{0} of {1} files copied", ["{0}", "{1}"], "{0} von {1} Dateien kopiert"),
    (
        "Hello {name}, total {total:>10}",
        ["{name}", "{total:>10}"],
        "Hallo {name}, gesamt {total:>10}",
    ),
    (
        "Write {{0}} for {0} and {{ user }}",
        ["{{", "}}", "{0}", "{{ user }}"],
        "{{0}} für {0} und {{ user }} schreiben",
    ),
    ("Set ${HOME} or $PATH first", ["${HOME}", "$PATH"], "Setzen Sie zuerst ${HOME} oder $PATH"),
    (
        "Start $[officename] with $(ARG1)",
        ["$[officename]", "$(ARG1)"],
        "$[officename] mit $(ARG1) starten",
    ),
    (
        "Click <b>Save</b> to keep changes",
        ["<b>", "</b>"],
        "Klicken Sie auf <b>Speichern</b>, um die Änderungen zu behalten",
    ),
    (
        'See <a href="https://example.org/help">the manual</a>.',
        ['<a href="https://example.org/help">', "</a>"],
        'Siehe <a href="https://example.org/help">das Handbuch</a>.',
    ),
    ("Line one<br/>Line two<br />", ["<br/>", "<br />"], "Zeile eins<br/>Zeile zwei<br />"),
    (
        "Tom &amp; Jerry&#160;&#x2014; &lt;ok&gt;",
        ["&amp;", "&#160;", "&#x2014;", "&lt;", "&gt;"],
        "Tom &amp; Jerry&#160;&#x2014; &lt;ok&gt;",
    ),
    (
        "Visit https://www.debian.org/doc/ or www.gnu.org for details.",
        ["https://www.debian.org/doc/", "www.gnu.org"],
        "Details unter https://www.debian.org/doc/ oder www.gnu.org.",
    ),
    (
        "Get it from ftp://ftp.gnu.org/gnu and file:///usr/share",
        ["ftp://ftp.gnu.org/gnu", "file:///usr/share"],
        "Von ftp://ftp.gnu.org/gnu und file:///usr/share holen",
    ),
    (
        "Report bugs to bugs@example.org.",
        ["bugs@example.org"],
        "Melden Sie Fehler an bugs@example.org.",
    ),
    (
        "Edit /etc/fstab or ~/.bashrc, then run ./configure",
        ["/etc/fstab", "~/.bashrc", "./configure"],
        "Bearbeiten Sie /etc/fstab oder ~/.bashrc, dann ./configure ausführen",
    ),
    (
        "Saved in C:\\Users\\me\\file.txt",
        ["C:\\Users\\me\\file.txt"],
        "Gespeichert in C:\\Users\\me\\file.txt",
    ),
    (
        "Open LibreOffice Writer with Git",
        ["LibreOffice Writer", "Git"],
        "Öffnen Sie LibreOffice Writer mit Git",
    ),
]


@pytest.mark.parametrize(("english", "spans", "german"), CASES)
def test_every_kind_is_found_and_survives_a_german_translation(
    english: str, spans: list[str], german: str
) -> None:
    protected = protect(english, TERMS)
    assert [s.original for s in protected.spans] == spans
    for original in spans:  # no raw span text leaks into what the model sees
        assert original not in protected.text
    pair = mask_pair(english, german, TERMS)
    assert pair.source == protected.text
    assert pair.source_only == () and pair.target_only == ()
    restored = restore(pair.target, protected)  # the model copies symbols where German puts them
    assert restored.text == german
    assert sorted(restored.placed) == sorted(s.symbol for s in protected.spans)
    assert restored.inserted == () and restored.dropped_extra == ()


@pytest.mark.parametrize(
    "text",
    [
        "100% free, 50 % off",  # a percent before a space is not `% f`
        "and/or, km/h, 10/20/2020, the /dev node",  # not paths: inside words, one component
        "usage: git add [<options>] [--] <pathspec>...",  # metavariables are translated
        "AT&T and Q&A are fine; e.g. i.e. etc.",
        "a < b and c > d; costs $5",
        "{ not a field } and {also not one}",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    protected = protect(text)
    assert protected.text == text
    assert protected.spans == ()


def test_reserved_symbols_are_numbered_families_without_csv_specials() -> None:
    assert len(RESERVED_SYMBOLS) == len(FAMILIES) * MAX_PER_KIND == len(set(RESERVED_SYMBOLS))
    assert RESERVED_SYMBOLS[0] == "⦅PH1⦆"
    for symbol in RESERVED_SYMBOLS:
        assert re.fullmatch(r"⦅(PH|TO|TC|TS|LN|TM)([1-9]|1[0-2])⦆", symbol)
        assert not set(symbol) & set(',"\n ')  # SentencePiece takes them as one CSV field


def test_symbols_are_numbered_per_family_in_order() -> None:
    protected = protect("%s <b>x</b> %d &amp; %s <i>y</i>")
    assert protected.text == "⦅PH1⦆ ⦅TO1⦆x⦅TC1⦆ ⦅PH2⦆ ⦅TS1⦆ ⦅PH3⦆ ⦅TO2⦆y⦅TC2⦆"


def test_closing_tags_take_the_number_of_the_tag_they_close() -> None:
    nested = protect("<a href='x'><b>bold link</b></a>")
    assert nested.text == "⦅TO1⦆⦅TO2⦆bold link⦅TC2⦆⦅TC1⦆"
    unpaired = protect("end</i> then <b>x</b>")  # an unpaired close is numbered after all opens
    assert unpaired.text == "end⦅TC2⦆ then ⦅TO1⦆x⦅TC1⦆"
    assert restore(unpaired.text, unpaired).text == "end</i> then <b>x</b>"


def test_bare_tag_counts_as_markup_when_closed_or_known() -> None:
    assert protect("<options>x</options>").text == "⦅TO1⦆x⦅TC1⦆"
    assert protect("line<br>next <p>para").text == "line⦅TO1⦆next ⦅TO2⦆para"
    assert protect("<file>").text == "<file>"  # a metavariable: stays translatable


def test_spans_beyond_the_maximum_per_family_stay_raw() -> None:
    text = " ".join(["%s"] * (MAX_PER_KIND + 3)) + " <b>x</b>"
    protected = protect(text)
    assert protected.text.count("⦅PH") == MAX_PER_KIND
    assert protected.text.endswith("%s %s %s ⦅TO1⦆x⦅TC1⦆")
    assert restore(protected.text, protected).text == text


def test_terms_are_exact_case_sensitive_longest_first_and_whole_words() -> None:
    protected = protect("LibreOffice Writer and LibreOffice, not libreoffice or Digital", TERMS)
    assert protected.text == "⦅TM1⦆ and ⦅TM2⦆, not libreoffice or Digital"
    in_url = protect("See https://git.example.org/Git/x for Git", TERMS)
    assert [s.original for s in in_url.spans] == ["https://git.example.org/Git/x", "Git"]
    assert protect("C++ and C++11", ["C++"]).text == "⦅TM1⦆ and ⦅TM2⦆11"


def test_spacing_is_kept_exactly() -> None:
    text = "  two  spaces\tand tab %s  <b> x </b>  "
    protected = protect(text)
    assert protected.text == "  two  spaces\tand tab ⦅PH1⦆  ⦅TO1⦆ x ⦅TC1⦆  "
    assert restore(protected.text, protected).text == text


def test_input_that_already_holds_reserved_characters_round_trips() -> None:
    text = "literal ⦅PH1⦆ and ⦆ %s"
    protected = protect(text)
    assert "⦅PH1⦆" in protected.text  # as a symbol for `%s`, no longer as literal text
    assert restore(protected.text, protected).text == text


# --- fallback ------------------------------------------------------------------------------------


def test_dropped_placeholder_at_the_end_goes_before_final_punctuation() -> None:
    protected = protect("Cannot open %s.")
    restored = restore("Kann nicht geöffnet werden.", protected)
    assert restored.text == "Kann nicht geöffnet werden %s."
    assert restored.inserted == ("⦅PH1⦆",) and restored.placed == ()


def test_dropped_placeholder_at_the_start_goes_first() -> None:
    restored = restore("nicht gefunden", protect("%s: not found"))
    assert restored.text == "%s nicht gefunden"


def test_dropped_placeholder_in_the_middle_goes_to_the_nearest_word_boundary() -> None:
    restored = restore("Sollen die Dateien gelöscht werden?", protect("Delete the %d files now?"))
    assert restored.text == "Sollen die %d Dateien gelöscht werden?"


def test_dropped_tags_stick_to_words_and_keep_their_order() -> None:
    protected = protect("Click <b>here</b> to continue")
    restored = restore("Klicken Sie hier, um fortzufahren", protected)
    assert restored.text == "Klicken <b>Sie</b> hier, um fortzufahren"
    assert restored.inserted == ("⦅TO1⦆", "⦅TC1⦆")
    # the model kept only the closing tag, early: the opening tag must still come before it
    restored = restore("⦅TC1⦆Klicken Sie hier", protected)
    assert restored.text == "<b></b>Klicken Sie hier"


def test_close_tag_goes_before_trailing_punctuation_of_its_word() -> None:
    restored = restore("Siehe ⦅TO1⦆das Handbuch.", protect("See <i>the manual</i>."))
    assert restored.text == "Siehe <i>das Handbuch</i>."


def test_unknown_and_repeated_symbols_are_removed_with_their_space() -> None:
    protected = protect("Delete %s?")
    restored = restore("⦅PH1⦆ löschen ⦅PH2⦆ ⦅PH1⦆ ⦅TM4⦆?", protected)
    assert restored.text == "%s löschen?"
    assert restored.placed == ("⦅PH1⦆",)
    assert restored.dropped_extra == ("⦅PH2⦆", "⦅PH1⦆", "⦅TM4⦆")
    assert restore("⦅PH3⦆ Hallo", protect("Hello")).text == "Hallo"


def test_removing_a_symbol_next_to_a_kept_one_keeps_the_space() -> None:
    restored = restore("Datei ⦅PH7⦆⦅PH1⦆ löschen", protect("Delete %s"))
    assert restored.text == "Datei %s löschen"


def test_terms_must_be_a_collection() -> None:
    with pytest.raises(TypeError):
        protect("Git", "Git")


def test_empty_output_still_gets_every_span() -> None:
    assert restore("", protect("%s <b>%d</b>: %d%%")).text == "%s <b>%d</b> %d%%"


def test_text_without_spans_is_returned_unchanged() -> None:
    protected = protect("Save the file")
    assert protected.spans == ()
    restored = restore("Datei speichern", protected)
    assert restored.text == "Datei speichern"
    assert (restored.placed, restored.inserted, restored.dropped_extra) == ((), (), ())


def test_reordered_unnumbered_printf_placeholders_are_numbered() -> None:
    protected = protect("%qs declared at %L may shadow the intrinsic")
    output = "Bei ⦅PH2⦆ deklariertes ⦅PH1⦆ überdeckt"
    assert restore(output, protected).text == "Bei %2$L deklariertes %1$qs überdeckt"
    assert restore(output, protected, positional=False).text == "Bei %L deklariertes %qs überdeckt"
    in_order = restore("⦅PH1⦆ bei ⦅PH2⦆", protected)
    assert in_order.text == "%qs bei %L"


@pytest.mark.parametrize("source", ["%1$s and %2$s", "%s and %*d", "%s: %m", "%s and %(x)s"])
def test_placeholders_that_cannot_or_need_not_be_numbered_stay_as_they_are(source: str) -> None:
    protected = protect(source)
    reordered = " und ".join(s.symbol for s in reversed(protected.spans))
    assert restore(reordered, protected).text == " und ".join(
        s.original for s in reversed(protected.spans)
    )


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("Image '%NAME%' has too few pixels (%DPIX% DPI)", ["%NAME%", "%DPIX%"]),
        ("<b>Peak:</b> ~a dB~%Selection", ["<b>", "</b>", "~a", "~%"]),
        ("couldn%'t deduce %qD; grouping: %'d", ["%'", "%qD", "%'d"]),
        ("Print to {Printername} with {printer_name}", ["{printer_name}"]),
        ("Open /File/Save, the Termin-/Aufgaben-/Editor, or /usr/share/doc", ["/usr/share/doc"]),
    ],
)
def test_catalog_specific_forms(text: str, spans: list[str]) -> None:
    protected = protect(text)
    assert [s.original for s in protected.spans] == spans
    assert restore(protected.text, protected).text == text


# --- training pairs ------------------------------------------------------------------------------


def test_mask_pair_maps_numbered_target_placeholders_to_unnumbered_source_ones() -> None:
    pair = mask_pair(
        "invoking macro %s argument %d", "Beim Ausführen des Arguments %2$d des Makros %1$s"
    )
    assert pair.target == "Beim Ausführen des Arguments ⦅PH2⦆ des Makros ⦅PH1⦆"
    assert pair.source_only == () and pair.target_only == ()


def test_mask_pair_follows_reordered_positional_placeholders() -> None:
    pair = mask_pair("Copy %1$s to %2$s", "%2$s aus %1$s kopieren")
    assert pair.source == "Copy ⦅PH1⦆ to ⦅PH2⦆"
    assert pair.target == "⦅PH2⦆ aus ⦅PH1⦆ kopieren"


def test_mask_pair_leaves_target_only_spans_raw_and_reports_both_sides() -> None:
    pair = mask_pair("Delete %s and <b>%d</b>", "%s löschen &amp; %i")
    assert pair.source == "Delete ⦅PH1⦆ and ⦅TO1⦆⦅PH2⦆⦅TC1⦆"
    assert pair.target == "⦅PH1⦆ löschen &amp; %i"
    assert pair.source_only == ("⦅TO1⦆", "⦅PH2⦆", "⦅TC1⦆")
    assert pair.target_only == ("&amp;", "%i")


def test_mask_pair_matches_localized_links_and_translated_tag_attributes() -> None:
    pair = mask_pair(
        'See <a title="Help">https://x.org/en/</a> now',
        'Siehe <a title="Hilfe">https://x.org/de/</a> jetzt',
    )
    assert pair.target == "Siehe ⦅TO1⦆⦅LN1⦆⦅TC1⦆ jetzt"
    assert pair.source_only == () and pair.target_only == ()


# --- properties over generated strings ------------------------------------------------------------

POOL = [
    "%s", "%d", "%5.2f", "%-10s", "%lu", "%1$s", "%2$d", "%(name)s", "%qD", "%%", "%1",
    "{0}", "{name}", "{n:>10}", "{{ user }}", "${HOME}", "$PATH", "$(ARG1)",
    "<b>", "</b>", '<a href="x.html">', "</a>", "<br/>", "&amp;", "&#160;",
    "https://example.org/a?b=1", "www.gnu.org", "me@example.org", "/etc/fstab", "~/.bashrc",
    "LibreOffice", "Git",
]  # fmt: skip
EN_WORDS = ["open", "file", "the", "Save", "is", "not", "found", "menu", "click", "here"]
DE_WORDS = ["Datei", "Öffnen", "Menü", "Nicht", "Gefunden", "Hier", "Klicken", "Speichern"]
SEPARATORS = [" ", " ", " ", "", ", ", "  ", ": "]


@st.composite
def _texts(draw: st.DrawFn) -> str:
    """English UI text with placeholders, markup, URLs, paths and terms mixed in."""
    word = st.one_of(st.sampled_from(POOL), st.sampled_from(EN_WORDS))
    tokens = draw(st.lists(word, min_size=1, max_size=14))
    text = tokens[0]
    for token in tokens[1:]:
        text += draw(st.sampled_from(SEPARATORS)) + token
    return text + draw(st.sampled_from(["", ".", "?", " ..."]))


def _model_output(rng: random.Random, symbols: list[str]) -> tuple[str, set[str]]:
    """A bad model: drops, duplicates and reorders symbols, invents unknown ones, and emits stray
    pieces of symbols (byte fallback could spell them)."""
    kept = [s for s in symbols if rng.random() < 0.6]
    duplicated = rng.sample(symbols, k=min(len(symbols), rng.randint(0, 2)))
    unknown = rng.sample([s for s in RESERVED_SYMBOLS if s not in symbols], k=rng.randint(0, 2))
    unknown += ["⦅PH99⦆"] if rng.random() < 0.1 else []
    stray = rng.sample(["⦅", "⦆", "⦅PH", "TO1⦆", "⦅X1⦆"], k=rng.randint(0, 1))
    tokens = kept + duplicated + unknown + rng.choices(DE_WORDS, k=rng.randint(0, 8)) + stray
    rng.shuffle(tokens)
    output = "".join(t + rng.choice(["", " ", " "]) for t in tokens).strip()
    return output, set(duplicated + unknown)


def _assert_same_spans(restored: str, originals: list[str]) -> None:
    """Every original occurs as often as in the source, and nothing else span-like is left."""
    expected = Counter(originals)
    remaining = restored
    for original in sorted(expected, key=lambda o: (-len(o), o)):  # `%1$s` before `%1`
        assert remaining.count(original) == expected[original], (original, restored)
        remaining = remaining.replace(original, " ")
    remaining = re.sub(r"⦅(PH|X1⦆)?|(TO1)?⦆", " ", remaining)  # the model's stray pieces stay
    assert not re.search(r"[%{}<>&$⦅⦆]|://|@|/etc|~/", remaining), (restored, remaining)


@given(_texts())
def test_property_protect_then_restore_is_the_identity(text: str) -> None:
    protected = protect(text, TERMS)
    restored = restore(protected.text, protected)
    assert restored.text == text
    assert restored.inserted == () and restored.dropped_extra == ()


@given(_texts(), st.randoms(use_true_random=False))
def test_property_restore_keeps_the_multiset_of_spans_whatever_the_model_emits(
    text: str, rng: random.Random
) -> None:
    protected = protect(text, TERMS)
    symbols = [s.symbol for s in protected.spans]
    output, extras = _model_output(rng, symbols)
    restored = restore(output, protected, positional=False)
    assert sorted(restored.placed + restored.inserted) == sorted(symbols), output
    assert set(restored.dropped_extra) <= extras
    _assert_same_spans(restored.text, [s.original for s in protected.spans])
    numbered = restore(output, protected).text  # may only turn `%s` into `%2$s`
    assert numbered == restored.text or re.sub(r"%\d+\$", "%", numbered) == restored.text


def test_dropping_a_symbol_never_joins_stray_pieces_into_a_new_one() -> None:
    protected = protect("<b>bold</b> text")
    restored = restore("⦅⦅PH9⦆TC1⦆ fett", protected)  # without PH9 the rest reads ⦅TC1⦆
    assert restored.dropped_extra == ("⦅PH9⦆",)
    assert restored.inserted == ("⦅TO1⦆", "⦅TC1⦆")  # the stray pieces stay text, not a symbol
    assert restored.text == "<b>⦅TC1⦆</b> fett"


GARBAGE = ["⦅", "⦆", "PH", "TC", "1", " ", "a", "⦅PH1⦆", "⦅TO1⦆", "⦅TC1⦆", ".", "%s", "<b>"]
_garbage = st.lists(st.sampled_from(GARBAGE), max_size=10).map("".join)


@given(_garbage, _garbage)
def test_property_restore_never_fails_on_garbage(source: str, output: str) -> None:
    protected = protect(source)
    assert restore(protected.text, protected).text == source
    restored = restore(output, protected)
    symbols = sorted(s.symbol for s in protected.spans)
    assert sorted(restored.placed + restored.inserted) == symbols
