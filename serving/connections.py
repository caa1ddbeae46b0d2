"""A header-read timeout for uvicorn's h11 protocol, which has none of its own.

uvicorn closes a keep-alive connection idle after a response (`timeout_keep_alive`, our
`NMT_IDLE_TIMEOUT_S`), but a connection that opens and sends nothing, or sends a request head a
byte at a time, stays open for ever: a few hundred of them hold the server's file descriptors
and memory. `GuardedH11Protocol` closes a connection whose request head has not fully arrived
within `NMT_HEADER_TIMEOUT_S` of its first byte (or of the connection itself). The body, once
the head is in, is the app's business (its size is capped by `NMT_MAX_BODY_BYTES`; its request
has a deadline).
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head."""

    # Set by `python -m serving` from the settings; a worker process started by uvicorn reads
    # the settings itself on its first connection.
    header_timeout_s: float | None = None

    _head_timer: asyncio.TimerHandle | None = None

    @classmethod
    def _timeout(cls) -> float:
        if cls.header_timeout_s is None:
            from serving.settings import Settings

            cls.header_timeout_s = Settings().header_timeout_s
        return cls.header_timeout_s

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        # Between requests the keep-alive timer (idle timeout) watches; the head timer starts
        # again with the next request's first byte.
        self._stop_head_timer()
        super().on_response_complete()

    def _watch_head(self) -> None:
        """Arm the timer while a request head is awaited and partly or not at all received;
        disarm it once the head is complete."""
        waiting_head = self.conn.their_state is h11.IDLE and self.timeout_keep_alive_task is None
        if waiting_head and not self.transport.is_closing():
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(self._timeout(), self._head_timeout)
        else:
            self._stop_head_timer()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            logger.info("closing a connection whose request head did not arrive in time")
            self.transport.close()
