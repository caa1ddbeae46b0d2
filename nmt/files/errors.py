"""The one error a user's input file raises: it names the file and, where known, the line."""

from __future__ import annotations

from pathlib import Path

from nmt.errors import NmtError


class FileInputError(NmtError, ValueError):
    """An input file (or an option about it) that cannot be translated as asked.

    `str(err)` is `FILE:LINE: message` (or `FILE: message` without a line): the CLI prints it
    as one line and exits 2.
    """

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")
        self.path = Path(path)
        self.line = line
        self.message = message
