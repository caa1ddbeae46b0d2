"""Micro-batching: grouping by length under the token budget, per-request results, isolation of
a failing text, and batching invariance on the real fp32 bundle."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from nmt.config import DecodingConfig
from nmt.translator import Translation
from serving.batching import Batcher, BatchKey, DeadlineExceededError
from serving.metrics import Metrics
from tests.serving.conftest import AppFactory, serve
from tests.waiting import DEADLINE_S, until

GREEDY = BatchKey(DecodingConfig(mode="greedy"), False, False)
BEAM = BatchKey(DecodingConfig(mode="beam", beam_size=2), False, False)

SENTENCES = [
    "Open the file menu.",
    "Save the document before you close the window.",
    "Click Save to keep the changes.",
    "The folder %s could not be found.",
    "Select <b>Print</b> to print the current page.",
    "Version 1.5 of the program is installed.",
    "Delete",
    "Do you want to replace the existing file {name}?",
    "Press Ctrl+Q to quit the application.",
    "No network connection. Check your settings and try again.",
]


class FakeTranslator:
    """Upper-cases texts; records each batch; fails any batch holding 'bad'."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def translate(
        self, texts: Sequence[str], decoding: DecodingConfig, **_: Any
    ) -> list[Translation]:
        self.batches.append(list(texts))
        if any("bad" in t for t in texts):
            raise ValueError("cannot translate 'bad'")
        return [Translation(text=t.upper(), score=-1.0, tokens=(1, 2), segments=1) for t in texts]


def batcher(fake: FakeTranslator, **overrides: Any) -> Batcher:
    options: dict[str, Any] = {
        "name": "fake", "max_texts": 8, "max_tokens": 100, "max_wait_s": 0.05, "queue_size": 100,
        "concurrency": 1, "wait_when_idle": False,
    }  # fmt: skip
    options.update(overrides)
    return Batcher(fake, metrics=Metrics(), **options)  # type: ignore[arg-type]


def test_batches_group_by_length_under_the_token_budget() -> None:
    fake = FakeTranslator()
    short = ["s1", "s2", "s3", "s4", "s5"]  # 1 token each by the estimate
    long = ["L" * 200 + str(i) for i in range(3)]  # 51 tokens each: two exceed the budget of 100

    async def main() -> list[list[Translation]]:
        b = batcher(fake)
        b.start()
        requests = [
            b.translate([t], GREEDY, timeout_s=5)
            for t in (short[0], long[0], *short[1:], *long[1:])
        ]
        results = await asyncio.gather(*requests)
        await b.close()
        return results

    results = asyncio.run(main())
    assert fake.batches == [short, [long[0]], [long[1]], [long[2]]]  # the oldest anchors each
    texts = [short[0], long[0], *short[1:], *long[1:]]
    assert [r[0].text for r in results] == [t.upper() for t in texts]  # each its own result


def test_different_settings_never_share_a_batch_and_max_texts_holds() -> None:
    fake = FakeTranslator()

    async def main() -> None:
        b = batcher(fake, max_texts=3)
        b.start()
        await asyncio.gather(
            b.translate(["a", "b", "c", "d"], GREEDY, timeout_s=5),
            b.translate(["e"], BEAM, timeout_s=5),
        )
        await b.close()

    asyncio.run(main())
    assert sorted(map(sorted, fake.batches)) == [["a", "b", "c"], ["d"], ["e"]]


def test_a_failing_text_fails_only_its_request() -> None:
    fake = FakeTranslator()

    async def main() -> list[Any]:
        b = batcher(fake)
        b.start()
        results = await asyncio.gather(
            b.translate(["good one"], GREEDY, timeout_s=5),
            b.translate(["bad one"], GREEDY, timeout_s=5),
            return_exceptions=True,
        )
        await b.close()
        return results

    good, bad = asyncio.run(main())
    assert good[0].text == "GOOD ONE"
    assert isinstance(bad, ValueError)
    assert fake.batches[0] == ["good one", "bad one"]  # tried together, then one by one


class GatedTranslator(FakeTranslator):
    """A FakeTranslator whose calls block until `gate` is set: keeps a batch in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def translate(
        self, texts: Sequence[str], decoding: DecodingConfig, **options: Any
    ) -> list[Translation]:
        self.gate.wait(timeout=10)
        return super().translate(texts, decoding, **options)


async def _busy(b: Batcher) -> asyncio.Future[list[Translation]]:
    """Start one batch ("first") on `b` and return its pending result once it is running."""
    first = asyncio.ensure_future(b.translate(["first"], GREEDY, timeout_s=30))
    await until(lambda: bool(b.running), '"first" running')
    return first


def test_an_idle_model_starts_a_lone_text_at_once() -> None:
    fake = FakeTranslator()

    async def main() -> None:
        b = batcher(fake, max_wait_s=60.0)  # waiting for company would outlast the test
        b.start()
        result = await asyncio.wait_for(b.translate(["alone"], GREEDY, timeout_s=30), 5)
        assert result[0].text == "ALONE"
        await b.close()

    asyncio.run(main())
    assert fake.batches == [["alone"]]


def test_wait_when_idle_keeps_a_lone_text_waiting_for_company() -> None:
    fake = FakeTranslator()

    async def main() -> None:
        b = batcher(fake, max_wait_s=10.0, wait_when_idle=True)
        b.start()
        pending = asyncio.ensure_future(b.translate(["alone"], GREEDY, timeout_s=30))
        await asyncio.sleep(0.05)
        assert b.depth == 1 and not b.running  # idle, yet waiting
        await b.close()  # closing starts it
        assert (await pending)[0].text == "ALONE"

    asyncio.run(main())


def test_while_a_batch_runs_texts_wait_for_company() -> None:
    gated = GatedTranslator()

    async def main() -> None:
        b = batcher(gated, max_wait_s=0.2, concurrency=2)
        b.start()
        first = await _busy(b)
        second = asyncio.ensure_future(b.translate(["a"], GREEDY, timeout_s=30))
        await until(lambda: b.depth == 1, '"a" queued')  # well inside the 0.2 s wait
        third = asyncio.ensure_future(b.translate(["b"], GREEDY, timeout_s=30))
        gated.gate.set()
        results = await asyncio.gather(first, second, third)
        assert [r[0].text for r in results] == ["FIRST", "A", "B"]
        await b.close()

    asyncio.run(main())
    assert gated.batches == [["first"], ["a", "b"]]  # the second slot waited and grouped them


def test_close_drains_the_queue_and_refuses_after() -> None:
    gated = GatedTranslator()

    async def main() -> None:
        b = batcher(gated, max_wait_s=10.0, concurrency=2)  # only closing makes them run early
        b.start()
        first = await _busy(b)
        pending = asyncio.gather(*(b.translate([f"t{i}"], GREEDY, timeout_s=30) for i in range(5)))
        await until(lambda: b.depth == 5, "5 texts queued")
        gated.gate.set()
        await b.close()
        assert [r[0].text for r in await pending] == [f"T{i}" for i in range(5)]
        assert (await first)[0].text == "FIRST"
        with pytest.raises(Exception, match="shutting down"):
            await b.translate(["late"], GREEDY, timeout_s=1)

    asyncio.run(main())


def test_deadline_while_queued() -> None:
    async def main() -> None:
        gated = GatedTranslator()
        b = batcher(gated, max_wait_s=10.0, concurrency=2)
        b.start()
        first = await _busy(b)
        with pytest.raises(DeadlineExceededError):
            await b.translate(["slow"], GREEDY, timeout_s=0.05)
        assert b.depth == 0
        gated.gate.set()
        await first
        await b.close()

    asyncio.run(main())


class SlowTranslator(FakeTranslator):
    """A FakeTranslator whose calls wait at `gate`, counting how many run at the same time."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.gate = threading.Event()  # a batch holds its place in flight until the gate opens

    def translate(
        self, texts: Sequence[str], decoding: DecodingConfig, **options: Any
    ) -> list[Translation]:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.gate.wait(timeout=DEADLINE_S)
        with self._lock:
            self.running -= 1
        return super().translate(texts, decoding, **options)


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_concurrency_bounds_batches_in_flight_and_close_drains(concurrency: int) -> None:
    async def main() -> None:
        slow = SlowTranslator()
        b = batcher(slow, max_texts=1, max_wait_s=0.0, concurrency=concurrency)  # type: ignore[arg-type]
        b.start()
        texts = [f"text {i}" for i in range(6)]
        pending = [asyncio.ensure_future(b.translate([t], GREEDY, timeout_s=5)) for t in texts]
        # Every batch allowed in flight is in flight, and held there: one more would show.
        await until(lambda: slow.running == concurrency, f"{concurrency} batches in flight")
        slow.gate.set()
        await b.close()  # drains: every text queued before close is translated
        results = await asyncio.gather(*pending)
        assert [r[0].text for r in results] == [t.upper() for t in texts]
        assert slow.most == concurrency
        assert sorted(x for batch in slow.batches for x in batch) == sorted(texts)

    asyncio.run(main())


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        batcher(FakeTranslator(), concurrency=0)


def _requests(texts: list[str]) -> list[dict[str, Any]]:
    every = {"alignment": True, "attention": True}
    return [
        *({"text": t, "decoding": {"mode": "greedy"}, "return": every} for t in texts),
        *({"text": t, "decoding": {"beam_size": 4, "n_best": 3}, "return": every} for t in texts),
        {"text": texts[:4], "decoding": {"beam_size": 4, "n_best": 3}, "return": every},
    ]


@pytest.mark.parametrize("concurrency", [1, 2])
def test_results_are_identical_batched_or_alone(make_app: AppFactory, concurrency: int) -> None:
    """fp32 graphs: each request's JSON equals its JSON when translated alone, also with two
    micro-batches in flight at once."""
    bodies = [{"source": "en", "target": "de", **b} for b in _requests(SENTENCES)]
    alone_app = make_app(batch_wait_ms=0)
    batched_app = make_app(
        batch_wait_ms=300,
        batch_max_texts=64,
        batch_max_tokens=100_000,
        batch_concurrency=concurrency,
    )

    async def run(app: Any, concurrent: bool) -> tuple[list[Any], str]:
        async with serve(app) as c:

            async def one(body: dict[str, Any]) -> Any:
                response = await c.post("/v1/translate", json=body)
                assert response.status_code == 200, response.text
                return response.json()

            if concurrent:
                out = list(await asyncio.gather(*(one(b) for b in bodies)))
            else:
                out = [await one(b) for b in bodies]
            metrics = (await c.get("/metrics")).text
            return out, metrics

    alone, _ = asyncio.run(run(alone_app, False))
    batched, metrics = asyncio.run(run(batched_app, True))
    assert batched == alone
    count = re.search(r'nmt_batch_size_count\{model="en-de"\} (\S+)', metrics)
    total = re.search(r'nmt_batch_size_sum\{model="en-de"\} (\S+)', metrics)
    assert count and total
    assert float(count.group(1)) <= 4  # 24 + 4 texts in a handful of batches, not 28
    assert float(total.group(1)) == 2 * len(SENTENCES) + 4


def test_http_client_errors_do_not_reach_other_requests(make_app: AppFactory) -> None:
    async def main() -> None:
        async with serve(make_app(batch_wait_ms=50)) as c:
            good = {"text": "Open the file menu.", "source": "en", "target": "de"}
            bad = {**good, "target": "fr"}
            results: list[httpx.Response] = await asyncio.gather(
                *(c.post("/v1/translate", json=b) for b in (good, bad, good))
            )
            assert [r.status_code for r in results] == [200, 400, 200]

    asyncio.run(main())
