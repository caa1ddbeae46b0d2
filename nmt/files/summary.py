"""What file translation hands back: the translate function it calls and the run's summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nmt.translator import Translation

# Texts -> one Translation each, in order (the CLI binds a Translator and its decoding).
TranslateFn = Callable[[Sequence[str]], Sequence[Translation]]


def summary(
    output: Path, fmt: str, counts: Mapping[str, int], segments: int, seconds: float
) -> dict[str, Any]:
    """The JSON-able result printed on stdout: where the output is, the counters of the whole
    run (resumed parts included) and the speed of this invocation (`segments` translated in
    `seconds`)."""
    skipped = {k.removeprefix("skipped: "): v for k, v in counts.items() if k.startswith("skipped")}
    other = {k: v for k, v in counts.items() if not k.startswith("skipped")}
    return {
        "output": str(output),
        "format": fmt,
        **dict(sorted(other.items())),
        "skipped": dict(sorted(skipped.items())),
        "seconds": round(seconds, 2),
        "segments_per_s": round(segments / seconds, 1) if seconds > 0 else None,
    }
