"""File hashing, in one place: the bundle, the corpus manifest and the apt cache use it."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    """Hex sha256 of the file at `path`, streamed (`hashlib.file_digest`: constant memory).

    Raises OSError when the file cannot be read.
    """
    with Path(path).open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
