from __future__ import annotations

from nmt.config import FilterConfig
from nmt.corpus.clean import filter_reason, leakage_key, letter_share
from nmt.normalize import normalize


def test_normalize_removes_breaks_and_invisibles_but_keeps_markup() -> None:
    raw = "\ufeffOpen\t<b>%s</b>\r\n  file\u00ad\u200b  "
    assert normalize(raw) == "Open <b>%s</b> file"
    assert normalize("Cafe\u0301") == "Café"  # NFC
    assert normalize("a\u00a0:") == "a\u00a0:"  # NBSP kept (French typography)


def test_filter_rules() -> None:
    cfg = FilterConfig()
    assert filter_reason("Open the file.", "Datei öffnen.", cfg) is None
    assert filter_reason("a " * 81, "b " * 81, cfg) == "too-long"
    assert filter_reason("one", "eins zwei drei vier", cfg) == "length-ratio"
    assert filter_reason("%s %d 12", "%s %d 12", cfg) == "few-letters"
    assert filter_reason("", "x", cfg) == "too-short"


def test_letter_share_and_leakage_key() -> None:
    assert letter_share("ab12") == 0.5
    assert letter_share("   ") == 0.0
    assert leakage_key("Open File") == leakage_key("open file")
