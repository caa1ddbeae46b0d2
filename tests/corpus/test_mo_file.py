"""The `.mo` reader, on tiny catalogs written here."""

from __future__ import annotations

import struct

import pytest

from nmt.corpus.sources import mo_file
from nmt.corpus.sources.mo_file import MoEntry, read_mo

HEADER = "Content-Type: text/plain; charset={charset}\nLanguage: de\n"


def build_mo(messages: dict[str, str], order: str = "<", charset: str = "UTF-8") -> bytes:
    """A GNU `.mo` image of `messages` (msgid key -> msgstr, `\\x04`/`\\x00` inside as gettext
    stores them), with a header entry naming `charset`, in byte order `order` ("<" or ">")."""
    items = sorted({"": HEADER.format(charset=charset), **messages}.items())
    encoded = [(k.encode(charset), v.encode(charset)) for k, v in items]
    count = len(encoded)
    orig_at = 28
    trans_at = orig_at + 8 * count
    offset = trans_at + 8 * count
    tables = [b"", b""]
    blob = b""
    for column in (0, 1):
        for pair in encoded:
            tables[column] += struct.pack(order + "2I", len(pair[column]), offset + len(blob))
            blob += pair[column] + b"\x00"
    header = struct.pack(order + "7I", 0x950412DE, 0, count, orig_at, trans_at, 0, 0)
    return header + tables[0] + tables[1] + blob


def collect_skips() -> tuple[dict[str, int], mo_file.Skip]:
    counts: dict[str, int] = {}

    def skip(reason: str, n: int) -> None:
        counts[reason] = counts.get(reason, 0) + n

    return counts, skip


CATALOG = {
    "menu\x04Open": "Öffnen",
    "%d file\x00%d files": "%d Datei\x00%d Dateien",
    "Untranslated": "",
    "Line one\nLine two\n": "Zeile eins\nZeile zwei\n",
}


@pytest.mark.parametrize("order", ["<", ">"])
def test_read_mo_reads_context_plural_and_both_byte_orders(order: str) -> None:
    counts, skip = collect_skips()
    entries = list(read_mo(build_mo(CATALOG, order), skip))
    assert counts == {}
    assert MoEntry("menu", "Open", None, ("Öffnen",)) in entries
    assert MoEntry(None, "%d file", "%d files", ("%d Datei", "%d Dateien")) in entries
    assert MoEntry(None, "Untranslated", None, ("",)) in entries
    assert all(entry.msgid for entry in entries), "the header entry must be skipped"
    assert len(entries) == 4


def test_read_mo_uses_the_header_charset() -> None:
    counts, skip = collect_skips()
    data = build_mo({"Cover": "Hülle"}, charset="ISO-8859-1")
    assert "Hülle".encode("latin-1") in data
    assert [e.msgstrs for e in read_mo(data, skip)] == [("Hülle",)]
    assert counts == {}


def test_read_mo_counts_broken_files_and_entries_without_raising() -> None:
    good = build_mo({"Cover": "Hülle", "Other": "Andere"})
    counts, skip = collect_skips()
    assert list(read_mo(good[:20], skip)) == []
    assert list(read_mo(b"\x00" * 64, skip)) == []
    assert list(read_mo(good[:40], skip)) == []  # string tables cut off
    assert counts == {"gettext/bad-file": 3}

    # Entry 1's translation (the second table) points past the end of the file.
    broken = bytearray(good)
    trans_at = 28 + 8 * 3
    struct.pack_into("<2I", broken, trans_at + 8, 5, len(good) + 100)
    counts, skip = collect_skips()
    assert [e.msgid for e in read_mo(bytes(broken), skip)] == ["Other"]
    assert counts == {"gettext/bad-entry": 1}

    # Bytes that are not utf-8 in a utf-8 catalog.
    undecodable = good.replace("Hülle".encode(), b"H\xfflle\xff\xfe")
    counts, skip = collect_skips()
    assert [e.msgid for e in read_mo(undecodable, skip)] == ["Other"]
    assert counts == {"gettext/undecodable": 1}
