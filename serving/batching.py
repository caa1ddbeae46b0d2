"""Dynamic micro-batching: texts from concurrent requests share Translator calls.

Each text of a request becomes one queue entry with its own future. A single worker task per
model forms micro-batches and runs them through the Translator in the model's own threads, off
the event loop, at most `concurrency` batches at a time (`NMT_BATCH_CONCURRENCY`). A second
batch in flight fills the cores that one batch leaves idle (the graphs' small element-wise ops
and the search's Python work run on one thread while the other waits); ONNX Runtime sessions
take concurrent runs, and the Translator keeps no state between calls.

- a batch only holds texts with the same decoding settings and outputs (`BatchKey`);
- its anchor is the oldest text (nothing starves); the rest are the texts closest to the
  anchor in length, added while `texts x longest <= batch_max_tokens` (padded tokens, estimated
  from characters) and `texts <= batch_max_texts`;
- the oldest text waits at most `batch_wait_ms` for company, and only while another batch of
  the model is running (the cores are busy then anyway); an idle model starts at once, so a
  lone request pays no wait (2 ms of a 13 ms one-at-a-time request). `NMT_BATCH_WAIT_IDLE`
  makes it wait on an idle model too (fuller batches for bulk traffic, at the cost of latency).

Every request gets back exactly its own results. With fp32 graphs a text's result does not
depend on its batch companions (the model masks padding); only float32 rounding in the last
bits differs, which the API's rounding of scores hides. A full queue raises `QueueFullError` (503),
a request past its deadline `DeadlineExceededError` (504); neither touches other requests' entries.
`close()` refuses new texts, finishes every queued one and stops: SIGTERM drains.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import itertools
import logging
import math
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from nmt.config import DecodingConfig
from nmt.translator import Translation, Translator
from serving.metrics import Metrics

logger = logging.getLogger(__name__)

# SentencePiece pieces of this vocabulary average about 4 characters; an estimate is enough to
# group texts by length and bound a batch's padding, and costs nothing on the event loop.
CHARS_PER_TOKEN = 4


class QueueFullError(Exception):
    """The model's queue cannot take the request's texts; retry after `retry_after_s`."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class DeadlineExceededError(Exception):
    """The request's texts were not translated before its deadline."""


class BatcherClosedError(Exception):
    """The batcher is draining for shutdown or reload and takes no new texts."""


@dataclasses.dataclass(frozen=True, slots=True)
class BatchKey:
    """What texts must share to be searched together."""

    decoding: DecodingConfig
    alignment: bool
    attention: bool


@dataclasses.dataclass(eq=False, slots=True)
class _Item:
    text: str
    key: BatchKey
    tokens: int  # estimated source tokens
    seq: int  # arrival order
    enqueued: float  # loop time
    future: asyncio.Future[Translation]


def estimate_tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


class Batcher:
    """The micro-batching queue of one loaded model. `start()` inside a running event loop."""

    def __init__(
        self,
        translator: Translator,
        *,
        name: str,
        max_texts: int,
        max_tokens: int,
        max_wait_s: float,
        wait_when_idle: bool,
        queue_size: int,
        metrics: Metrics,
        concurrency: int,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.translator = translator
        self.concurrency = concurrency
        self.name = name
        self.max_texts = max_texts
        self.max_tokens = max_tokens
        self.max_wait_s = max_wait_s
        self.wait_when_idle = wait_when_idle
        self.queue_size = queue_size
        self.metrics = metrics
        self._queue: list[_Item] = []
        self._wakeup = asyncio.Event()
        self._seq = itertools.count()
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix=f"translate-{name}")
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()  # batches running now
        self._closing = False
        self._texts_per_s = 10.0  # moving estimate of throughput, for Retry-After

    @property
    def depth(self) -> int:
        """Texts waiting (not yet in a running batch)."""
        return len(self._queue)

    @property
    def running(self) -> int:
        """Batches running now (at most `concurrency`)."""
        return len(self._in_flight)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._work(), name=f"batch-{self.name}")

    async def close(self) -> None:
        """Refuse new texts, translate every queued one, stop the worker and its thread."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        await asyncio.to_thread(self._executor.shutdown)

    async def translate(
        self, texts: Sequence[str], key: BatchKey, *, timeout_s: float
    ) -> list[Translation]:
        """Translate `texts` with the settings in `key`, batched with other requests' texts.

        Raises QueueFullError (nothing was queued), DeadlineExceededError (after `timeout_s`;
        the texts still queued are dropped) or BatcherClosedError; re-raises a Translator error.
        """
        if not texts:
            return []
        if self._closing:
            raise BatcherClosedError(f"model {self.name} is shutting down")
        if len(self._queue) + len(texts) > self.queue_size:
            self.metrics.rejected.labels(self.name, "queue_full").inc(len(texts))
            wait = (len(self._queue) + len(texts)) / max(self._texts_per_s, 1e-3)
            raise QueueFullError(
                f"the queue of {self.name} is full ({len(self._queue)} of {self.queue_size} "
                "texts waiting); retry later",
                wait,
            )
        loop = asyncio.get_running_loop()
        now = loop.time()
        items = [
            _Item(t, key, estimate_tokens(t), next(self._seq), now, loop.create_future())
            for t in texts
        ]
        self._queue.extend(items)
        self._queue_changed()
        self._wakeup.set()
        try:
            return await asyncio.wait_for(asyncio.gather(*(i.future for i in items)), timeout_s)
        except TimeoutError:
            self.metrics.rejected.labels(self.name, "deadline").inc(len(texts))
            raise DeadlineExceededError(
                f"not translated within the {timeout_s:g} s deadline; the server is busy"
            ) from None
        finally:  # deadline or client gone: whatever is still queued is dropped
            self._forget(items)

    def _forget(self, items: Sequence[_Item]) -> None:
        gone = {id(i) for i in items if not i.future.done() or i.future.cancelled()}
        if gone:
            self._queue = [i for i in self._queue if id(i) not in gone]
            self._queue_changed()

    def _queue_changed(self) -> None:
        self.metrics.queue_depth.labels(self.name).set(len(self._queue))

    # --- the worker ------------------------------------------------------------------------------

    async def _work(self) -> None:
        """Form batches and run up to `concurrency` of them at once; on close, finish them."""
        slots = asyncio.Semaphore(self.concurrency)

        def finished(task: asyncio.Task[None]) -> None:
            self._in_flight.discard(task)
            slots.release()
            self._wakeup.set()  # a text waiting for company may now start on idle cores

        while True:
            await slots.acquire()
            batch = await self._next_batch()
            if batch is None:
                break
            task = asyncio.get_running_loop().create_task(self._execute(batch))
            self._in_flight.add(task)
            task.add_done_callback(finished)
        if self._in_flight:
            await asyncio.gather(*self._in_flight)

    async def _next_batch(self) -> list[_Item] | None:
        """Wait for texts, then give the next batch; None once closing and empty."""
        loop = asyncio.get_running_loop()
        while True:
            self._queue = [i for i in self._queue if not i.future.done()]
            if not self._queue:
                self._queue_changed()
                if self._closing:
                    return None
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            anchor = self._queue[0]
            wait = anchor.enqueued + self.max_wait_s - loop.time()
            # idle: waiting for company only adds latency, unless bulk traffic asks for it
            may_wait = bool(self._in_flight) or self.wait_when_idle
            if may_wait and wait > 0 and not self._closing and not self._full(anchor.key):
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), wait)
                continue
            return self._take(anchor)

    def _full(self, key: BatchKey) -> bool:
        """Enough texts with `key` are waiting to fill a batch: no reason to wait longer."""
        same = [i.tokens for i in self._queue if i.key == key]
        return len(same) >= self.max_texts or len(same) * max(same) >= self.max_tokens

    def _take(self, anchor: _Item) -> list[_Item]:
        """The anchor and the texts closest to it in length, within the budgets; dequeued."""
        same = [i for i in self._queue if i.key == anchor.key]
        same.sort(key=lambda i: (abs(i.tokens - anchor.tokens), i.seq))  # anchor first
        batch: list[_Item] = []
        longest = 0
        for item in same:
            if len(batch) >= self.max_texts:
                break
            wider = max(longest, item.tokens)
            if batch and wider * (len(batch) + 1) > self.max_tokens:
                continue  # a shorter text further down may still fit
            batch.append(item)
            longest = wider
        taken = {id(i) for i in batch}
        self._queue = [i for i in self._queue if id(i) not in taken]
        self._queue_changed()
        return batch

    async def _execute(self, batch: list[_Item]) -> None:
        """Run one batch in the model's thread and hand each text its own result. If the batch
        fails, each text is retried alone, so one bad text cannot fail its companions."""
        self.metrics.batch_size.labels(self.name).observe(len(batch))
        started = time.perf_counter()
        try:
            results = await self._run([i.text for i in batch], batch[0].key)
        except Exception as err:
            if len(batch) == 1:
                logger.exception("translation failed in %s", self.name)
                if not batch[0].future.done():
                    batch[0].future.set_exception(err)
                return
            logger.warning("a batch of %d failed in %s; retrying one by one", len(batch), self.name)
            for item in batch:
                await self._execute([item])
            return
        elapsed = max(time.perf_counter() - started, 1e-6)
        self._texts_per_s = 0.8 * self._texts_per_s + 0.2 * (len(batch) / elapsed)
        for item, result in zip(batch, results, strict=True):
            self.metrics.tokens.labels(self.name).inc(len(result.tokens))
            self.metrics.segments.labels(self.name).inc(result.segments)
            if not item.future.done():
                item.future.set_result(result)

    async def _run(self, texts: list[str], key: BatchKey) -> list[Translation]:
        call = functools.partial(
            self.translator.translate,
            texts,
            key.decoding,
            return_alignment=key.alignment,
            return_attention=key.attention,
        )
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)


def retry_after_s(err: QueueFullError) -> int:
    return max(1, math.ceil(err.retry_after_s))
