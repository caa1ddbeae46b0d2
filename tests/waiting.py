"""Waiting on a condition instead of sleeping a fixed time: a test goes on as soon as what it
waits for has happened, and fails with a clear message if it never does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

DEADLINE_S = 10.0


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = DEADLINE_S) -> None:
    """Return as soon as `condition()` is true; AssertionError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.005)


async def until(condition: Callable[[], bool], what: str, timeout_s: float = DEADLINE_S) -> None:
    """`wait_for` inside an event loop: yields to the other tasks between checks."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0)
