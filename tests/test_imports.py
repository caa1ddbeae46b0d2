"""The core stays light: `import nmt` (and its CLI) pulls in no torch, Lightning, FastAPI or Ray."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "lightning", "pytorch_lightning", "fastapi", "datasets", "ray")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_nmt_and_cli_pull_no_frameworks() -> None:
    loaded = _loaded_after(
        "import nmt, nmt.cli, nmt.config, nmt.corpus.build, nmt.corpus.importer, nmt.files.command"
    )
    assert "nmt.cli" in loaded
    assert not [m for m in HEAVY if m in loaded]


def test_nmt_help_lists_subcommands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "nmt.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "data" in out.stdout
    sub = subprocess.run(
        [sys.executable, "-m", "nmt.cli", "data", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "build" in sub.stdout and "import" in sub.stdout
