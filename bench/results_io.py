"""Writing a benchmark's results: `<prefix>.json` (the data) and `<prefix>.md` (the table)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_results(prefix: Path, data: Any, table: str) -> None:
    """Write `prefix`.json and `prefix`.md (folders made as needed) and print the table."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    prefix.with_suffix(".json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    prefix.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)
