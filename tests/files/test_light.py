"""File translation keeps the core light: translate-toolkit and lxml load only for catalogs,
and nothing here pulls in a framework."""

from __future__ import annotations

import subprocess
import sys


def test_line_formats_import_no_catalog_library_or_framework() -> None:
    code = (
        "import sys, nmt.cli, nmt.files.command, nmt.files.stream, nmt.files.catalog\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert "nmt.files.stream" in loaded
    assert not loaded & {"translate", "lxml", "tqdm", "torch", "fastapi", "pytorch_lightning"}
