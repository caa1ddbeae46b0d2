"""Writing a benchmark's results: `<prefix>.json` (the data) and `<prefix>.md` (the table)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from nmt.paths import nmt_home

ROOT = Path(__file__).resolve().parents[1]


def shown_path(path: Path) -> str:
    """A path as committed results show it, never a machine's absolute path: relative to the
    repository, or `$NMT_HOME/...`, or else just its last part."""
    resolved = path.resolve()
    for base, prefix in ((ROOT, ""), (nmt_home().resolve(), "$NMT_HOME/")):
        if resolved.is_relative_to(base):
            return prefix + str(resolved.relative_to(base))
    return resolved.name


def cpu_name() -> str:
    """The CPU's model name (`/proc/cpuinfo`), which every speed figure must name."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine() -> str:
    """`<CPU model name> x <cores>`, as results record the machine they were measured on."""
    return f"{cpu_name()} x {os.cpu_count()}"


def write_results(prefix: Path, data: Any, table: str) -> None:
    """Write `prefix`.json and `prefix`.md (folders made as needed) and print the table."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    prefix.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    prefix.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)
