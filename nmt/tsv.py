"""Reading the corpus layout's TSV files: `source TAB target`, one pair a line, UTF-8.

`nmt data build` and `nmt data import` write them (`DIR/{train,valid,test}.tsv`); evaluation,
the export's parity check and the benchmarks read them here. A user's own TSV input, with its
column choice and its skip-bad policy, is read by `nmt.corpus.readers` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nmt.errors import NmtError


class TsvError(NmtError, ValueError):
    """A corpus TSV file that cannot be read; the message names the file (and line)."""


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """An undecodable or unreadable file as a TsvError that names it."""
    try:
        yield
    except UnicodeDecodeError as err:
        raise TsvError(f"{path}: not UTF-8: {err}") from err
    except OSError as err:
        raise TsvError(f"cannot read {path}: {err}") from err


def read_pairs(path: Path) -> tuple[list[str], list[str]]:
    """(sources, targets) of a two-column TSV, in file order.

    Contract: every line holds exactly one TAB; the line end (`\\n`) is removed, nothing else.
    Raises TsvError naming the first bad line, an undecodable file or an unreadable one.
    """
    sources, targets = [], []
    with _reading(path), Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 2:
                raise TsvError(
                    f"{path}:{number}: expected source TAB reference, got {len(fields)} field(s)"
                )
            sources.append(fields[0])
            targets.append(fields[1])
    return sources, targets


def read_sources(path: Path) -> list[str]:
    """The first column of every non-blank line (a plain text file gives its lines).

    Raises TsvError when the file cannot be read or is not UTF-8.
    """
    with _reading(path):
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[0] for line in lines if line.strip()]
