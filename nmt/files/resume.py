"""Resumable output: `OUTPUT.partial` (what is written so far) and `OUTPUT.partial.json` (what
of it is committed), so that running the same command again after a crash or `kill -9`
continues where the last committed chunk ended.

Commit protocol, once per chunk: the chunk's bytes are appended to `.partial`, flushed and
fsynced; then the state (units done, input and output byte offsets, counters) is written to a
temporary file, fsynced and renamed over `.partial.json`. A crash between the two leaves bytes
past the committed output offset: reopening truncates them, so every unit appears exactly once.
The run's `settings` (input identity, format, options, model) are part of the state; a rerun
with different settings is refused rather than mixed into the old output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from nmt.files.errors import FileInputError

logger = logging.getLogger(__name__)

STATE_VERSION = 1


@dataclasses.dataclass(slots=True)
class Position:
    """How far a run has got: `done` units (lines or texts), the input byte offset to read on
    from, the output byte offset committed, and the run's counters (skipped lines, ...)."""

    done: int = 0
    in_offset: int = 0
    out_offset: int = 0
    counts: dict[str, int] = dataclasses.field(default_factory=dict)


def input_identity(path: Path) -> dict[str, Any]:
    """What tells a rerun that the input is the same file, unchanged."""
    stat = path.stat()
    return {"input": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a fsynced temporary file and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    _fsync_dir(path.parent)


class PartialOutput:
    """The `.partial` pair of one output file. Use `open`, then `commit` after each chunk,
    then `finish` (line formats: `.partial` becomes the output) or `discard`."""

    def __init__(self, output: Path, settings: Mapping[str, Any]) -> None:
        self.output = output
        self.partial = output.with_name(output.name + ".partial")
        self.state = output.with_name(output.name + ".partial.json")
        self.settings = json.loads(json.dumps(dict(settings)))  # as it reads back from JSON
        self._fh: BinaryIO | None = None

    def open(self) -> tuple[BinaryIO, Position]:
        """The partial output open for appending at the committed offset, and the position.

        A fresh start when there is no state; FileInputError when the state belongs to a run
        with other settings (it says which differ and how to start over).
        """
        position = self._load()
        if position is None:
            self._fh = self.partial.open("wb")
            position = Position()
        else:
            self._fh = self.partial.open("r+b")
            self._fh.truncate(position.out_offset)  # bytes of an uncommitted chunk
            self._fh.seek(position.out_offset)
            logger.info(
                "resuming %s: %d done, continuing at input byte %d",
                self.partial,
                position.done,
                position.in_offset,
            )
        return self._fh, position

    def _load(self) -> Position | None:
        if not self.state.exists():
            return None
        try:
            saved = json.loads(self.state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = None
        if not isinstance(saved, dict) or saved.get("version") != STATE_VERSION:
            raise FileInputError(self.state, "unreadable resume state; delete it to start over")
        if not self.partial.exists():  # the last run renamed it and died before cleaning up
            self.state.unlink()
            return None
        if saved.get("settings") != self.settings:
            old = saved.get("settings", {})
            changed = sorted(
                k for k in {*old, *self.settings} if old.get(k) != self.settings.get(k)
            )
            raise FileInputError(
                self.partial,
                f"left by an unfinished run with other settings ({', '.join(changed)} differ); "
                f"delete {self.partial.name} and {self.state.name} to start over",
            )
        fields = {f.name for f in dataclasses.fields(Position)}
        return Position(**{k: v for k, v in saved["position"].items() if k in fields})

    def commit(self, position: Position) -> None:
        """Make everything written so far durable, then record `position` atomically."""
        assert self._fh is not None, "open() first"
        self._fh.flush()
        os.fsync(self._fh.fileno())
        position.out_offset = self._fh.tell()
        state = {
            "version": STATE_VERSION,
            "settings": self.settings,
            "position": dataclasses.asdict(position),
        }
        atomic_write(self.state, json.dumps(state, indent=1).encode())

    def finish(self) -> None:
        """Close and rename `.partial` to the output (atomic), then drop the state."""
        self.close()
        self.partial.replace(self.output)
        _fsync_dir(self.output.parent)
        self.state.unlink(missing_ok=True)

    def discard(self) -> None:
        """Close and remove both files (a catalog wrote its output itself)."""
        self.close()
        self.partial.unlink(missing_ok=True)
        self.state.unlink(missing_ok=True)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
