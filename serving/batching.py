"""Dynamic micro-batching: texts from concurrent requests share Translator calls.

Each text of a request becomes one queue entry with its own future. A single worker task per
model forms micro-batches and runs them through the Translator in the model's own threads, off
the event loop, at most `concurrency` batches at a time (`NMT_BATCH_CONCURRENCY`). A second
batch in flight fills the cores that one batch leaves idle (the graphs' small element-wise ops
and the search's Python work run on one thread while the other waits); ONNX Runtime sessions
take concurrent runs, and the Translator keeps no state between calls.

- a batch only holds texts with the same decoding settings and outputs (`BatchKey`);
- its anchor is the oldest text of the request that has had the least work dispatched so far
  (fair share: a one-sentence request that arrives behind a 100-text one goes next, not after
  it; among fresh requests the oldest first); the rest are the texts closest to the anchor in
  length, added while `texts x longest <= batch_max_tokens` (padded pieces, counted by the
  real tokenizer when the caller gives the texts' `TextCost`, else estimated from characters),
  `texts <= batch_max_texts` and the batch's decoder steps stay within `batch_max_steps` (a
  batch's duration is bounded, so a slot frees up often);
- lanes: with two or more slots, at most `concurrency - 1` "heavy" batches (more than
  `light_steps` decoder steps) run at once; the last slot is kept for light ones, so short
  requests never queue behind two long searches;
- the oldest text waits at most `batch_wait_ms` for company, and only while another batch of
  the model is running (the cores are busy then anyway); an idle model starts at once, so a
  lone request pays no wait (2 ms of a 13 ms one-at-a-time request). `NMT_BATCH_WAIT_IDLE`
  makes it wait on an idle model too (fuller batches for bulk traffic, at the cost of latency).

Deadlines cancel work: when every request of a running batch has gone (deadline passed, client
disconnected), the batch's stop flag is set and the search stops before its next decoder step
(`nmt.search.SearchCancelledError`), so an abandoned request frees the cores within one step.
(Rows of a gone request inside a batch shared with live ones run to the end: dropping single
rows mid-search is left to the search; such shared batches are bounded by `batch_max_steps`.)

Every request gets back exactly its own results. With fp32 graphs a text's result does not
depend on its batch companions (the model masks padding); only float32 rounding in the last
bits differs, which the API's rounding of scores hides. A full queue raises `QueueFullError` (503),
a request past its deadline `DeadlineExceededError` (504); neither touches other requests' entries.
`close(timeout_s)` refuses new texts, finishes the queued ones and stops: SIGTERM drains; past
`timeout_s` it fails what is still queued (503) and cancels the running batches (one step).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import itertools
import logging
import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from nmt.config import DecodingConfig
from nmt.search import SearchCancelledError
from nmt.translator import TextCost, Translation, Translator
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
    glossary: tuple[tuple[str, str], ...] = ()  # (lower-cased source term, target), sorted


@dataclasses.dataclass(eq=False, slots=True)
class _Request:
    """The texts of one `translate` call: fair share is counted per request."""

    dispatched: int = 0  # decoder steps (at most) of its texts already sent to the engine
    gone: bool = False  # answered, past its deadline, or its client left


@dataclasses.dataclass(eq=False, slots=True)
class _Item:
    text: str
    key: BatchKey
    tokens: int  # source pieces (real, or estimated from characters)
    steps: int  # decoder steps at most (beam x output cap)
    seq: int  # arrival order
    enqueued: float  # loop time
    future: asyncio.Future[Translation]
    request: _Request


@dataclasses.dataclass(eq=False, slots=True)
class _Running:
    """A batch in the engine, and the flag its search polls between decoder steps."""

    items: list[_Item]
    stop: threading.Event = dataclasses.field(default_factory=threading.Event)

    @property
    def steps(self) -> int:
        return sum(i.steps for i in self.items)


def estimate_tokens(text: str) -> int:
    """A character-based guess of a text's pieces, for callers that give no `TextCost`."""
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
        max_steps: int = 1 << 62,
        light_steps: int = 0,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.max_steps = max_steps  # decoder steps per batch (a lone text may exceed it)
        self.light_steps = light_steps  # a batch above it is heavy (see the lanes above)
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
        self._running: list[_Running] = []  # the same batches, with their stop flags
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

    async def close(self, timeout_s: float | None = None) -> None:
        """Refuse new texts, translate the queued ones, stop the worker and its thread.

        With `timeout_s`: once it has passed, the texts still queued fail (BatcherClosedError,
        a 503) and the running batches are cancelled at their next decoder step, so closing
        takes `timeout_s` plus one step at most.
        """
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
            except TimeoutError:
                logger.warning(
                    "%s: drain passed %g s; cancelling what is left", self.name, timeout_s
                )
                self._abort()
                await self._task
        await asyncio.to_thread(self._executor.shutdown)

    def _abort(self) -> None:
        """Fail every queued text and stop every running batch (the end of a bounded drain)."""
        for item in self._queue:
            if not item.future.done():
                item.future.set_exception(BatcherClosedError(f"model {self.name} shut down"))
        self._queue = []
        self._queue_changed()
        for running in self._running:
            running.stop.set()
        self._wakeup.set()

    async def translate(
        self,
        texts: Sequence[str],
        key: BatchKey,
        *,
        timeout_s: float,
        costs: Sequence[TextCost] | None = None,
    ) -> list[Translation]:
        """Translate `texts` with the settings in `key`, batched with other requests' texts.

        `costs`: each text's `TextCost` (real pieces and decoder steps; default: a guess from
        characters), used to form batches and share the engine fairly.
        Raises QueueFullError (nothing was queued), DeadlineExceededError (after `timeout_s`;
        the texts still queued are dropped and a batch holding only this request's texts stops
        at its next decoder step) or BatcherClosedError; re-raises a Translator error.
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
        request = _Request()
        width = key.decoding.beam_size if key.decoding.mode == "beam" else 1
        if costs is None:  # a guess: output cap ~ 2 x pieces, as the default ratio allows
            sizes = [(estimate_tokens(t), 2 * width * estimate_tokens(t)) for t in texts]
        else:
            sizes = [(c.pieces, c.steps) for c in costs]
        items = [
            _Item(t, key, tokens, steps, next(self._seq), now, loop.create_future(), request)
            for t, (tokens, steps) in zip(texts, sizes, strict=True)
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
        """The request of `items` is over: drop its queued texts and stop the running batches
        that hold nothing else."""
        if items:
            items[0].request.gone = True
        gone = {id(i) for i in items if not i.future.done() or i.future.cancelled()}
        if gone:
            self._queue = [i for i in self._queue if id(i) not in gone]
            self._queue_changed()
        for running in self._running:
            if not running.stop.is_set() and all(i.request.gone for i in running.items):
                running.stop.set()

    def _queue_changed(self) -> None:
        self.metrics.queue_depth.labels(self.name).set(len(self._queue))

    # --- the worker ------------------------------------------------------------------------------

    async def _work(self) -> None:
        """Form batches and run up to `concurrency` of them at once; on close, finish them."""
        slots = asyncio.Semaphore(self.concurrency)

        def finished(task: asyncio.Task[None], *, running: _Running) -> None:
            self._in_flight.discard(task)
            self._running.remove(running)
            slots.release()
            self._wakeup.set()  # a text waiting for company may now start on idle cores

        while True:
            await slots.acquire()
            batch = await self._next_batch()
            if batch is None:
                break
            for item in batch:
                item.request.dispatched += item.steps
            running = _Running(batch)
            self._running.append(running)  # before the next `_heavy_allowed` looks
            task = asyncio.get_running_loop().create_task(self._execute(running))
            self._in_flight.add(task)
            task.add_done_callback(functools.partial(finished, running=running))
        if self._in_flight:
            await asyncio.gather(*self._in_flight)

    def _heavy_allowed(self) -> bool:
        """Whether a heavy batch may take the free slot: never the last one of several."""
        if self.concurrency < 2 or self.light_steps <= 0:
            return True
        heavy = sum(1 for r in self._running if r.steps > self.light_steps)
        return heavy < self.concurrency - 1

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
            light_only = not self._heavy_allowed()
            anchor = self._anchor(light_only)
            if anchor is None:  # only heavy texts wait, and the free slot is the light lane
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            wait = anchor.enqueued + self.max_wait_s - loop.time()
            # idle: waiting for company only adds latency, unless bulk traffic asks for it
            may_wait = bool(self._in_flight) or self.wait_when_idle
            if may_wait and wait > 0 and not self._closing and not self._full(anchor.key):
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), wait)
                continue
            limit = self.light_steps if light_only else self.max_steps
            return self._take(anchor, limit)

    def _anchor(self, light_only: bool) -> _Item | None:
        """The next batch's first text: the oldest text of the request with the least work
        dispatched so far (None when `light_only` and no text is light)."""
        candidates = (
            [i for i in self._queue if i.steps <= self.light_steps] if light_only else self._queue
        )
        return min(candidates, key=lambda i: (i.request.dispatched, i.seq), default=None)

    def _full(self, key: BatchKey) -> bool:
        """Enough texts with `key` are waiting to fill a batch: no reason to wait longer."""
        same = [i.tokens for i in self._queue if i.key == key]
        return len(same) >= self.max_texts or len(same) * max(same) >= self.max_tokens

    def _take(self, anchor: _Item, max_steps: int) -> list[_Item]:
        """The anchor and the texts closest to it in length, within the budgets (padded pieces,
        texts, decoder steps); dequeued. The anchor goes alone when it alone is over them."""
        same = [i for i in self._queue if i.key == anchor.key]
        if 0 < anchor.steps <= self.light_steps:  # a light anchor takes no heavy companion,
            same = [i for i in same if i.steps <= self.light_steps]  # so it stays quick
        same.sort(key=lambda i: (i is not anchor, abs(i.tokens - anchor.tokens), i.seq))
        batch: list[_Item] = []
        longest = steps = 0
        for item in same:
            if len(batch) >= self.max_texts:
                break
            wider = max(longest, item.tokens)
            if batch and (
                wider * (len(batch) + 1) > self.max_tokens or steps + item.steps > max_steps
            ):
                continue  # a shorter text further down may still fit
            batch.append(item)
            longest = wider
            steps += item.steps
        taken = {id(i) for i in batch}
        self._queue = [i for i in self._queue if id(i) not in taken]
        self._queue_changed()
        return batch

    async def _execute(self, running: _Running) -> None:
        """Run one batch in the model's thread and hand each text its own result. If the batch
        fails, each text is retried alone, so one bad text cannot fail its companions. A batch
        whose requests have all gone is stopped (its search polls `running.stop`)."""
        batch = running.items
        self.metrics.batch_size.labels(self.name).observe(len(batch))
        started = time.perf_counter()
        try:
            results = await self._run([i.text for i in batch], batch[0].key, running.stop)
        except SearchCancelledError:
            self.metrics.rejected.labels(self.name, "cancelled").inc(len(batch))
            logger.info(
                "%s: stopped a batch of %d texts whose requests had gone", self.name, len(batch)
            )
            for item in batch:  # only an aborted drain stops a batch someone still waits for
                if not item.future.done() and not item.request.gone:
                    item.future.set_exception(BatcherClosedError(f"model {self.name} shut down"))
            return
        except Exception as err:
            if len(batch) == 1:
                logger.exception("translation failed in %s", self.name)
                if not batch[0].future.done():
                    batch[0].future.set_exception(err)
                return
            logger.warning("a batch of %d failed in %s; retrying one by one", len(batch), self.name)
            for item in batch:
                await self._execute(_Running([item], running.stop))
            return
        elapsed = max(time.perf_counter() - started, 1e-6)
        self._texts_per_s = 0.8 * self._texts_per_s + 0.2 * (len(batch) / elapsed)
        for item, result in zip(batch, results, strict=True):
            self.metrics.tokens.labels(self.name).inc(len(result.tokens))
            self.metrics.segments.labels(self.name).inc(result.segments)
            if not item.future.done():
                item.future.set_result(result)

    async def _run(
        self, texts: list[str], key: BatchKey, stop: threading.Event
    ) -> list[Translation]:
        call = functools.partial(
            self.translator.translate,
            texts,
            key.decoding,
            return_alignment=key.alignment,
            return_attention=key.attention,
            glossary=dict(key.glossary) or None,
            should_stop=stop.is_set,
        )
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)


def retry_after_s(err: QueueFullError) -> int:
    return max(1, math.ceil(err.retry_after_s))
