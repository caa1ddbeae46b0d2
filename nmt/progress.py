"""Progress bars for long steps: tqdm when it is installed, a plain iteration otherwise.

The core (serving) install has no tqdm; the data and training extras do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(
    items: Iterable[T], *, desc: str, unit: str = "it", total: int | None = None
) -> Iterator[T]:
    """Iterate `items` with a progress bar on stderr when tqdm is available."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        yield from items
        return
    yield from tqdm(items, desc=desc, unit=unit, total=total, dynamic_ncols=True)
