"""Issue 16's rows as tests, scaled down with settings: a request's cost bounded before any work,
deadlines that stop the engine, fair turns, a bounded drain, no 500 from odd input, and the open
edges closed (reload, Host, failed keys, key before body, paths, header timeout)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from nmt.config import DecodingConfig
from nmt.search import SearchCancelledError
from nmt.translator import TextCost, Translation
from serving.batching import Batcher, BatcherClosedError, BatchKey, DeadlineExceededError
from serving.connections import GuardedH11Protocol
from serving.metrics import Metrics
from tests.serving.conftest import AppFactory, settings_for
from tests.serving.test_errors import OK, error

GREEDY = BatchKey(DecodingConfig(mode="greedy"), False, False)


# --- 1-3: cost bounded before any work ------------------------------------------------------


def test_pieces_steps_and_attention_over_their_limits_are_413_naming_them(
    make_app: AppFactory,
) -> None:
    app = make_app(max_pieces=40, max_request_steps=3000, max_attention_cells=2000)
    long = "Open the file menu and save the document. " * 8
    with TestClient(app) as c:
        message = error(c.post("/v1/translate", json={**OK, "text": long}), 413, "too_large")
        assert "pieces" in message and "limit is 40" in message
        many = {**OK, "text": ["Open the file menu."] * 20, "decoding": {"beam_size": 16}}
        message = error(c.post("/v1/translate", json=many), 413, "too_large")
        assert "decoder steps" in message and "limit is 3000" in message
        heat = {
            **OK,
            "text": "Save the document before you close it.",
            "return": {"attention": True},
        }
        heat["decoding"] = {"max_length_ratio": 10.0}
        message = error(c.post("/v1/translate", json=heat), 413, "too_large")
        assert "attention" in message and "limit is 2000" in message
        assert c.post("/v1/translate", json=OK).status_code == 200  # a normal one passes
        lt = c.post("/translate", json={"q": long, "source": "en", "target": "de"})
        assert lt.status_code == 400 and "limit is 40" in lt.json()["error"]


class StoppableTranslator:
    """Runs a 'search' that only ends when its should_stop says so (or `finish` is set)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = threading.Event()
        self.finish = threading.Event()
        self.batches: list[list[str]] = []

    def translate(self, texts: Sequence[str], _: DecodingConfig, **kw: Any) -> list[Translation]:
        self.batches.append(list(texts))
        self.started.set()
        should_stop = kw["should_stop"]
        while not self.finish.wait(0.001):
            if should_stop():
                self.stopped.set()
                raise SearchCancelledError("stopped")
        return [Translation(text=t.upper(), score=-1.0, segments=1) for t in texts]


def make_batcher(fake: Any, **overrides: Any) -> Batcher:
    options: dict[str, Any] = {
        "name": "fake", "max_texts": 4, "max_tokens": 10_000, "max_wait_s": 0.0,
        "queue_size": 1000, "concurrency": 1, "wait_when_idle": False,
    }  # fmt: skip
    options.update(overrides)
    return Batcher(fake, metrics=Metrics(), **options)


def test_a_deadline_stops_the_running_search_within_a_step() -> None:
    fake = StoppableTranslator()

    async def main() -> None:
        b = make_batcher(fake)
        b.start()
        with pytest.raises(DeadlineExceededError):
            await b.translate(["long text"], GREEDY, timeout_s=0.05)
        assert await asyncio.to_thread(fake.stopped.wait, 5)  # the engine was told to stop
        fake.finish.set()
        assert await b.translate(["next"], GREEDY, timeout_s=5) == [
            Translation(text="NEXT", score=-1.0, segments=1)
        ]
        await b.close()

    asyncio.run(main())


def test_a_short_request_goes_before_the_rest_of_a_long_one() -> None:
    fake = StoppableTranslator()
    fake.finish.set()
    heavy = [TextCost(pieces=10, steps=1000, attention_cells=0)] * 12
    light = [TextCost(pieces=3, steps=20, attention_cells=0)]

    async def main() -> None:
        gate = asyncio.Event()
        original = fake.translate

        def held(*args: Any, **kw: Any) -> list[Translation]:
            asyncio.run_coroutine_threadsafe(gate.wait(), loop).result(5)
            return original(*args, **kw)

        loop = asyncio.get_running_loop()
        fake.translate = held  # type: ignore[method-assign]
        b = make_batcher(fake, max_steps=4000, light_steps=100)
        b.start()
        big = asyncio.create_task(
            b.translate([f"h{i}" for i in range(12)], GREEDY, timeout_s=9, costs=heavy)
        )
        await asyncio.sleep(0.05)  # the first heavy batch is in the engine
        small = asyncio.create_task(b.translate(["s"], GREEDY, timeout_s=9, costs=light))
        await asyncio.sleep(0.05)
        gate.set()
        await asyncio.gather(big, small)
        await b.close()

    asyncio.run(main())
    # batches of 4 heavy texts (max_steps 4000); the short request is served second, not fourth
    assert fake.batches[1] == ["s"] and len(fake.batches) == 4


def test_light_lane_keeps_the_last_slot_for_short_batches() -> None:
    fake = StoppableTranslator()

    async def main() -> None:
        b = make_batcher(fake, concurrency=2, max_steps=1000, light_steps=100, max_texts=1)
        b.start()
        heavy = [TextCost(pieces=10, steps=1000, attention_cells=0)] * 2
        big = asyncio.create_task(b.translate(["h1", "h2"], GREEDY, timeout_s=9, costs=heavy))
        await asyncio.to_thread(fake.started.wait, 5)
        await asyncio.sleep(0.05)
        assert b.running == 1  # the second heavy text waits: the last slot is the light lane
        small = b.translate(["s"], GREEDY, timeout_s=9, costs=[TextCost(3, 20, 0)])
        small_task = asyncio.create_task(small)
        await asyncio.sleep(0.05)
        assert b.running == 2 and fake.batches[-1] == ["s"]
        fake.finish.set()
        await asyncio.gather(big, small_task)
        await b.close()

    asyncio.run(main())


def test_close_is_bounded_queued_texts_fail_and_running_batches_stop() -> None:
    fake = StoppableTranslator()

    async def main() -> None:
        b = make_batcher(fake, max_texts=1)
        b.start()
        first = asyncio.create_task(b.translate(["a"], GREEDY, timeout_s=60))
        await asyncio.to_thread(fake.started.wait, 5)
        second = asyncio.create_task(b.translate(["b"], GREEDY, timeout_s=60))
        await asyncio.sleep(0.02)
        started = time.monotonic()
        await b.close(timeout_s=0.1)
        assert time.monotonic() - started < 5
        for task in (first, second):
            with pytest.raises(BatcherClosedError):
                await task
        assert fake.stopped.is_set()

    asyncio.run(main())


# --- 6: no 500 from odd input; the last resort answers with a request id ---------------------


def test_libretranslate_huge_numbers_and_deep_nesting_are_400(client: TestClient) -> None:
    huge = '{"q": "Open", "source": "en", "target": "de", "alternatives": ' + "9" * 5000 + "}"
    deep = '{"q": ' + "[" * 100_000 + "]" * 100_000 + ', "source": "en", "target": "de"}'
    for path in ("/translate", "/detect"):
        for body in (huge, deep):
            r = client.post(path, content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 400, r.text
            assert set(r.json()) == {"error"} and r.headers["x-request-id"]
    form = client.post("/translate", data={"q": "Open", "source": "en", "target": "de",
                                           "alternatives": "9" * 5000})  # fmt: skip
    assert form.status_code == 400 and "integer" in form.json()["error"]


def test_an_unexpected_error_is_a_500_in_the_route_shape_with_a_request_id(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/v1/boom", headers={"X-Request-ID": "req-1"})
    error(r, 500, "internal_error")
    assert r.headers["x-request-id"] == "req-1" and "a bug" not in r.text
    logged = [rec for rec in caplog.records if rec.name == "serving.middleware"]
    assert logged and logged[0].exc_info is not None  # one record, its traceback in a field


def test_detect_takes_a_null_api_key_as_its_schema_says(client: TestClient) -> None:
    r = client.post("/detect", json={"q": "Open the file", "api_key": None})
    assert r.status_code == 200
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert schema["LibreTranslateDetectRequest"]["properties"]["api_key"]["type"] == [
        "string",
        "null",
    ]


# --- 9-14: open edges ----------------------------------------------------------------------


def test_reload_without_an_admin_key_is_disabled_even_with_keys_off(
    make_app: AppFactory,
) -> None:
    with TestClient(make_app()) as c:
        r = c.post("/v1/models/reload", headers={"Origin": "http://evil.example"})
        error(r, 403, "admin_disabled")


def test_host_must_be_a_loopback_name_when_bound_to_loopback(make_app: AppFactory) -> None:
    app = make_app(allowed_hosts=[], host="127.0.0.1")
    with TestClient(app, base_url="http://localhost:8000") as c:
        assert c.get("/healthz").status_code == 200
        error(c.get("/healthz", headers={"Host": "evil.example"}), 400, "invalid_host")
        assert c.get("/healthz", headers={"Host": "127.0.0.1:8000"}).status_code == 200
        assert c.get("/healthz", headers={"Host": "[::1]:8000"}).status_code == 200
    assert settings_for(
        app.state.services.settings.models_dir, host="0.0.0.0", allowed_hosts=[]
    ).hosts == ["*"]


def test_wrong_keys_are_throttled_per_client(make_app: AppFactory) -> None:
    app = make_app(api_keys="k1", admin_key="root", auth_fail_burst=3, auth_fail_per_minute=1)
    with TestClient(app) as c:
        for _ in range(3):
            error(c.post("/v1/translate", json=OK, headers={"X-API-Key": "bad"}), 403)
        limited = c.post("/v1/translate", json=OK, headers={"X-API-Key": "bad"})
        error(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) >= 1
        lt = c.post("/translate", json={"q": "x", "source": "en", "target": "de", "api_key": "b"})
        assert lt.status_code == 429 and lt.json()["error"].startswith("Slowdown")
        error(c.post("/v1/models/reload", headers={"X-API-Key": "guess"}), 429)


def test_keys_on_a_malformed_body_without_a_key_is_401(make_app: AppFactory) -> None:
    with TestClient(make_app(api_keys="k1")) as c:
        bad = c.post(
            "/v1/translate", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        error(bad, 401, "missing_api_key")
        wrong = c.post(
            "/v1/translate",
            content=b"{not json",
            headers={"Content-Type": "application/json", "X-API-Key": "k1"},
        )
        error(wrong, 422)  # with a valid key the body's problem is told


# --- 12: connections that never finish their request head are closed -------------------------


@pytest.fixture
def tiny_server() -> Iterator[int]:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    GuardedH11Protocol.header_timeout_s = 0.3
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, http=GuardedH11Protocol, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield port
    server.should_exit = True
    thread.join(10)
    GuardedH11Protocol.header_timeout_s = None


def test_a_connection_without_a_full_request_head_is_closed(tiny_server: int) -> None:
    silent = socket.create_connection(("127.0.0.1", tiny_server))
    partial = socket.create_connection(("127.0.0.1", tiny_server))
    partial.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never the blank line
    for conn in (silent, partial):
        conn.settimeout(5)
        assert conn.recv(100) == b""  # closed by the server, well before 5 s
        conn.close()
    with socket.create_connection(("127.0.0.1", tiny_server)) as ok:
        ok.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        ok.settimeout(5)
        assert ok.recv(100).startswith(b"HTTP/1.1 200")


def test_settings_of_the_new_limits_have_documented_defaults() -> None:
    from serving.settings import Settings

    s = Settings()
    assert (s.max_pieces, s.max_request_steps, s.max_attention_cells) == (2048, 600_000, 250_000)
    assert s.hosts == ["localhost", "127.0.0.1", "::1", "[::1]"]
    assert json.dumps(s.header_timeout_s) == "10.0"
