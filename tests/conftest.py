"""Test-wide settings. One OpenMP thread: the tests use tiny models, where a second thread only
adds synchronisation, and a thread pool stalls badly when another process holds the other core.
Set before any test module imports torch or onnxruntime."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
