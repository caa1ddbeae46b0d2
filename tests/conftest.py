"""Test-wide settings. One OpenMP thread: the tests use tiny models, where a second thread only
adds synchronisation, and a thread pool stalls badly when another process holds the other core.
Set before any test module imports torch or onnxruntime."""

from __future__ import annotations

import os

from hypothesis import settings

os.environ.setdefault("OMP_NUM_THREADS", "1")

# Property tests (Hypothesis): deterministic (the same examples every run, no example database
# written into the tree), no per-example deadline (a shared CPU stalls), 100 examples each.
settings.register_profile("nmt", derandomize=True, database=None, deadline=None, max_examples=100)
settings.load_profile("nmt")

# The tiny trained run and its export, shared by tests/export and tests/evaluate.
pytest_plugins = ["tests.trained"]
