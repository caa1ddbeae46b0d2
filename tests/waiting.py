"""Waiting on a condition instead of sleeping a fixed time: a test goes on as soon as what it
waits for has happened, and fails with a clear message if it never does."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

DEADLINE_S = 10.0


def _check(condition: Callable[[], bool], what: str, deadline: float) -> bool:
    """True once `condition()` holds; AssertionError naming `what` once `deadline` has passed."""
    if condition():
        return True
    if time.monotonic() > deadline:
        raise AssertionError(f"timed out waiting for {what}")
    return False


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = DEADLINE_S) -> None:
    """Return as soon as `condition()` is true; AssertionError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not _check(condition, what, deadline):
        time.sleep(0.005)


async def until(condition: Callable[[], bool], what: str, timeout_s: float = DEADLINE_S) -> None:
    """`wait_for` inside an event loop: yields to the other tasks between checks."""
    deadline = time.monotonic() + timeout_s
    while not _check(condition, what, deadline):
        await asyncio.sleep(0)
