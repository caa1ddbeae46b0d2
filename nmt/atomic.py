"""Atomic replacement of a whole folder: readers see the old folder or the new one, never a mix.

Used by the bundle writer and the corpus writer: both build their output in a temporary sibling
folder and swap it into place here.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)


def swap_folder(new: Path, target: Path) -> None:
    """Rename the finished folder `new` to `target`, replacing an existing `target`.

    Contract: `new` and `target` are on the same file system (siblings). An old `target` is first
    renamed aside (a hidden `.NAME.old.*` sibling) and deleted after the new one is in place, so
    `target` is either the old or the new folder, never a mix; it is absent only for the instant
    between the two renames (POSIX cannot rename onto a non-empty folder). Raises OSError.
    """
    if not target.exists():
        new.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    old.rmdir()
    target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    logger.debug("replaced %s", target)
