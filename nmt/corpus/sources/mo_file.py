"""Reader of GNU gettext's binary `.mo` catalogs, in pure Python.

Either byte order is read, so that no gettext tooling is needed, and a corrupt file is counted
and passed over instead of raising.
"""

from __future__ import annotations

import codecs
import logging
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

# Magic number of a `.mo` file as written by a little-endian machine; a big-endian file reads as
# the byte-swapped value when unpacked little-endian.
_MO_MAGIC = 0x950412DE
_MO_MAGIC_SWAPPED = 0xDE120495
_HEADER_SIZE = 28  # magic, revision, N, orig table offset, trans table offset, hash size/offset
_SYSDEP_HEADER_SIZE = 48  # revision 1 adds the system-dependent (`<PRIu64>`) string tables

Skip = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class MoEntry:
    """One message of a catalog: `msgstrs` has one string, or one per plural form."""

    msgctxt: str | None
    msgid: str
    msgid_plural: str | None
    msgstrs: tuple[str, ...]


def _charset(header: str) -> str:
    """The charset named by a header entry's Content-Type; utf-8 when absent or a placeholder."""
    match = re.search(r"charset=\s*([^\s;]+)", header, re.IGNORECASE)
    if not match or match.group(1).upper() == "CHARSET":
        return "utf-8"
    return match.group(1)


def _raw_strings(data: bytes, skip: Skip) -> list[tuple[bytes, bytes]] | None:
    """The (original, translation) byte strings of a `.mo` image, or None for a broken file.

    Contract: never raises on any input; a file whose header or string tables do not fit is
    counted once as `gettext/bad-file`, an entry whose offsets point outside the file as
    `gettext/bad-entry`, and revision-1 system-dependent strings (read by no one here) as
    `gettext/sysdep-string`.
    """
    if len(data) < _HEADER_SIZE:
        skip("gettext/bad-file", 1)
        return None
    (magic,) = struct.unpack_from("<I", data, 0)
    if magic == _MO_MAGIC:
        order = "<"
    elif magic == _MO_MAGIC_SWAPPED:
        order = ">"
    else:
        skip("gettext/bad-file", 1)
        return None
    revision, count, orig_at, trans_at = struct.unpack_from(order + "4I", data, 4)
    # Major revisions 0 and 1 are the ones GNU gettext reads; anything else is another format.
    if revision >> 16 > 1 or max(orig_at, trans_at) + 8 * count > len(data):
        skip("gettext/bad-file", 1)
        return None
    if revision >> 16 == 1 and len(data) >= _SYSDEP_HEADER_SIZE:
        (n_sysdep,) = struct.unpack_from(order + "I", data, 36)
        if 0 < n_sysdep < len(data):
            skip("gettext/sysdep-string", n_sysdep)
    strings: list[tuple[bytes, bytes]] = []
    for i in range(count):
        orig_len, orig_off = struct.unpack_from(order + "2I", data, orig_at + 8 * i)
        trans_len, trans_off = struct.unpack_from(order + "2I", data, trans_at + 8 * i)
        if orig_off + orig_len > len(data) or trans_off + trans_len > len(data):
            skip("gettext/bad-entry", 1)
            continue
        strings.append(
            (data[orig_off : orig_off + orig_len], data[trans_off : trans_off + trans_len])
        )
    return strings


def read_mo(data: bytes, skip: Skip) -> Iterator[MoEntry]:
    """The entries of a `.mo` image in file order (gettext sorts them by msgid), header excluded.

    Contract: never raises on malformed input. The charset comes from the header entry's
    Content-Type (utf-8 if absent); an unknown charset counts `gettext/unknown-charset` and falls
    back to utf-8; an entry that does not decode counts `gettext/undecodable` and is left out.
    """
    strings = _raw_strings(data, skip)
    if strings is None:
        return
    header = next((trans for orig, trans in strings if orig == b""), b"")
    charset = _charset(header.decode("ascii", errors="replace"))
    try:
        codecs.lookup(charset)
    except LookupError:
        skip("gettext/unknown-charset", 1)
        charset = "utf-8"
    for orig, trans in strings:
        if orig == b"":
            continue  # the header entry: metadata, not a message
        try:
            original = orig.decode(charset)
            translation = trans.decode(charset)
        except UnicodeDecodeError:
            skip("gettext/undecodable", 1)
            continue
        context: str | None = None
        if "\x04" in original:
            context, _, original = original.partition("\x04")
        msgid, _, plural = original.partition("\x00")
        yield MoEntry(
            context, msgid, plural if "\x00" in original else None, tuple(translation.split("\x00"))
        )


def read_mo_file(path: Path, skip: Skip) -> Iterator[MoEntry]:
    """`read_mo` of a file; an unreadable file counts `gettext/unreadable-file`."""
    try:
        data = path.read_bytes()
    except OSError as err:
        logger.warning("cannot read %s: %s", path, err)
        skip("gettext/unreadable-file", 1)
        return
    yield from read_mo(data, skip)
