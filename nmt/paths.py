"""Where corpora, caches and runs live: `NMT_HOME` (default `~/.cache/nmt`), outside the repo."""

from __future__ import annotations

import os
from pathlib import Path


def nmt_home() -> Path:
    """The root for caches, corpora and runs; `NMT_HOME` overrides `~/.cache/nmt`."""
    env = os.environ.get("NMT_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "nmt"


def apt_dir() -> Path:
    """The builder's own apt state (lists, cache, empty status) and downloaded .deb files."""
    return nmt_home() / "apt"


def data_dir(pair: str) -> Path:
    """The default output folder of `nmt data build --pair PAIR`."""
    return nmt_home() / "data" / pair


def runs_dir() -> Path:
    """Training runs: `runs/<name>/` holds config, tokenizer, checkpoints and logs."""
    return nmt_home() / "runs"
