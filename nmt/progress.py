"""Progress bars for long steps on stderr: tqdm when it is installed, nothing otherwise.

The core (serving) install has no tqdm; the data, files and training extras do. One wrapper
for every bar: `ProgressBar` (updated by hand: file translation, which resumes part-way) and
`progress` (an iterable: the corpus build's steps).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sized
from types import TracebackType
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ProgressBar:
    """`with ProgressBar(total, initial=done, desc=name) as bar: bar.update(n)`.

    Silent without tqdm. `terminal_only`: draw only when stderr is a terminal (a log file or a
    test gets no bar); `smoothing` is tqdm's (0 = overall average speed, 1 = the last update's).
    """

    def __init__(
        self,
        total: int | None,
        *,
        initial: int = 0,
        desc: str = "",
        unit: str = "it",
        terminal_only: bool = True,
        smoothing: float = 0.3,
    ) -> None:
        self._bar: Any = None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            logger.debug("tqdm is not installed: no progress bar")
            return
        self._bar = tqdm(
            total=total,
            initial=initial,
            desc=desc,
            unit=unit,
            disable=None if terminal_only else False,  # None: only on a terminal
            dynamic_ncols=True,
            smoothing=smoothing,
        )

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()


def progress(
    items: Iterable[T], *, desc: str, unit: str = "it", total: int | None = None
) -> Iterator[T]:
    """Iterate `items` with a progress bar on stderr (also when stderr is not a terminal);
    `total` defaults to `len(items)` when it has one."""
    if total is None and isinstance(items, Sized):
        total = len(items)
    with ProgressBar(total, desc=desc, unit=unit, terminal_only=False) as bar:
        for item in items:
            yield item
            bar.update(1)
