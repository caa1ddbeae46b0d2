"""Test-wide settings. One OpenMP thread: the tests use tiny models, where a second thread only
adds synchronisation, and a thread pool stalls badly when another process holds the other core.
Set before any test module imports torch or onnxruntime."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

try:  # pytest's own `-m` parser; without it every module is collected (only slower)
    from _pytest.mark.expression import Expression as _Expression
except ImportError:  # pragma: no cover - a pytest that moved it
    _Expression = None  # type: ignore[assignment,misc]

os.environ.setdefault("OMP_NUM_THREADS", "1")

# Property tests (Hypothesis): deterministic (the same examples every run, no example database
# written into the tree), no per-example deadline (a shared CPU stalls), 100 examples each.
settings.register_profile("nmt", derandomize=True, database=None, deadline=None, max_examples=100)
settings.load_profile("nmt")

# The tiny trained run and its export, shared by tests/export and tests/evaluate.
pytest_plugins = ["tests.trained"]

# `pytestmark = pytest.mark.NAME` at the start of a line: a marker on the whole module.
_MODULE_MARK = re.compile(r"^pytestmark = pytest\.mark\.(\w+)$", re.MULTILINE)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Leave unimported a test module that `-m` deselects as a whole.

    Deselection happens after collection, so without this the unit lane (`make test-fast`, which
    excludes the heavy markers) still imports every heavy module, and with it Lightning and Ray,
    once per xdist worker. A module is skipped only when its module-wide `pytestmark` is rejected
    by the marker expression both alone and together with every registered marker, so a test in
    it carrying more markers could not have been selected either.
    """
    expression = config.getoption("markexpr", default="")
    if not expression or collection_path.suffix != ".py":
        return None
    match = _MODULE_MARK.search(collection_path.read_text(encoding="utf-8", errors="replace"))
    if match is None or _Expression is None:
        return None
    compiled = _Expression.compile(expression)
    registered = {line.split(":")[0].strip() for line in config.getini("markers")}
    for present in ({match.group(1)}, {match.group(1)} | registered):
        if compiled.evaluate(_has_marker(present)):
            return None
    return True


def _has_marker(present: set[str]) -> Callable[..., bool]:
    """A `-m` matcher: true for the marker names in `present` (marker arguments ignored)."""
    return lambda name, /, **_: name in present
