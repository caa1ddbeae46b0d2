"""A progress bar for file translation on stderr: segments done, segments/s and ETA.

tqdm draws it when installed and stderr is a terminal (`disable=None`); otherwise (a log file,
a test, a serving-only install) the bar is silent and the run's summary tells the speed.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

logger = logging.getLogger(__name__)


class ProgressBar:
    """`with ProgressBar(total, initial=done, desc=name) as bar: bar.update(n)`."""

    def __init__(self, total: int, *, initial: int = 0, desc: str = "") -> None:
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
            unit="seg",
            disable=None,  # only on a terminal
            dynamic_ncols=True,
            smoothing=0.1,
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
