"""Every error code of the v1 API in its shape {"error": {"code", "message"}}, and the
batcher's refusals (503 queue full, 504 deadline) leaving other requests alone."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.serving.conftest import AppFactory, Gate, registry, serve, until

OK = {"text": "Open the file menu.", "source": "en", "target": "de"}


def error(response: httpx.Response, status: int, code: str | None = None) -> str:
    """Assert the v1 error shape and status; return the message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    if code is not None:
        assert body["error"]["code"] == code
    return str(body["error"]["message"])


def test_unknown_pair_and_ambiguous_auto_are_400(client: TestClient) -> None:
    message = error(client.post("/v1/translate", json={**OK, "target": "fr"}), 400)
    assert "served pairs: en-de" in message
    message = error(
        client.post("/v1/translate", json={**OK, "source": "auto", "target": "fr"}), 400
    )
    assert "auto" in message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**OK, "decoding": {"beam_size": 17}}, "decoding.beam_size"),
        ({**OK, "decoding": {"beam_size": 0}}, "decoding.beam_size"),
        ({**OK, "decoding": {"mode": "sample"}}, "decoding.mode"),
        ({**OK, "decoding": {"beam_size": 2, "n_best": 3}}, "decoding.n_best"),
        ({**OK, "decoding": {"mode": "greedy", "n_best": 2}}, "decoding.n_best"),
        ({**OK, "decoding": {"length_penalty": {"type": "gnmt", "alpha": 2.5}}}, "alpha"),
        ({**OK, "decoding": {"length_penalty": {"type": "wu"}}}, "length_penalty.type"),
        ({**OK, "decoding": {"max_length_ratio": 0}}, "decoding.max_length_ratio"),
        ({**OK, "decoding": {"max_length_ratio": 10.5}}, "decoding.max_length_ratio"),
        ({**OK, "decoding": {"min_length": -1}}, "decoding.min_length"),
        ({**OK, "return": {"scores": "maybe"}}, "return.scores"),
        ({**OK, "text": 5}, "text"),
        ({**OK, "text": ["ok", 5]}, "text"),
        ({"text": "x", "target": "de"}, "source"),
        ({**OK, "source": "en us"}, "source"),
        ({**OK, "colour": "red"}, "colour"),
    ],
)
def test_a_field_out_of_range_is_422_naming_it(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    message = error(client.post("/v1/translate", json=body), 422, "invalid_request")
    assert field in message


def test_malformed_json_and_bad_characters_are_422(client: TestClient) -> None:
    headers = {"Content-Type": "application/json"}
    message = error(client.post("/v1/translate", content=b'{"text": ', headers=headers), 422)
    assert "malformed JSON" in message
    raw = b'{"text": "a\\ud800b", "source": "en", "target": "de"}'  # a lone surrogate
    assert "text" in error(client.post("/v1/translate", content=raw, headers=headers), 422)
    assert error(client.post("/v1/translate", content=b"[1, 2]", headers=headers), 422)


def test_not_json_is_415(client: TestClient) -> None:
    response = client.post(
        "/v1/translate", content=json.dumps(OK), headers={"Content-Type": "text/plain"}
    )
    error(response, 415, "unsupported_media_type")
    error(client.post("/v1/translate", data={"text": "x"}), 415)


def test_unknown_route_404_and_wrong_method_405(client: TestClient) -> None:
    error(client.get("/v2/translate"), 404, "not_found")
    response = client.get("/v1/translate")
    error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"
    error(client.put("/v1/models"), 405)


def test_limits_are_413(make_app: AppFactory) -> None:
    with TestClient(make_app(max_chars=50, max_texts=3, max_body_bytes=2048)) as c:
        assert "50" in error(c.post("/v1/translate", json={**OK, "text": "x" * 51}), 413)
        assert "text[1]" in error(
            c.post("/v1/translate", json={**OK, "text": ["a", "b" * 60]}), 413
        )
        assert "3" in error(c.post("/v1/translate", json={**OK, "text": ["a"] * 4}), 413)
        big = json.dumps({**OK, "text": "x" * 3000}).encode()
        headers = {"Content-Type": "application/json"}
        error(c.post("/v1/translate", content=big, headers=headers), 413, "too_large")

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while it is read
            yield big[:1500]
            yield big[1500:]

        error(c.post("/v1/translate", content=chunks(), headers=headers), 413, "too_large")
        assert c.post("/v1/translate", json={**OK, "text": ["a", "b"]}).status_code == 200


def test_keys_401_403_and_rate_limit_429(make_app: AppFactory) -> None:
    app = make_app(api_keys="k1,k2", rate_limit_per_minute=1, rate_limit_burst=2)
    with TestClient(app) as c:
        error(c.post("/v1/translate", json=OK), 401, "missing_api_key")
        error(c.post("/v1/translate", json=OK, headers={"X-API-Key": "nope"}), 403)
        error(c.get("/v1/models"), 401)
        assert c.post("/v1/translate", json=OK, headers={"X-API-Key": "k1"}).status_code == 200
        bearer = {"Authorization": "Bearer k1"}
        assert c.post("/v1/translate", json=OK, headers=bearer).status_code == 200
        limited = c.post("/v1/translate", json=OK, headers={"X-API-Key": "k1"})
        error(limited, 429, "rate_limited")
        assert int(limited.headers["retry-after"]) >= 1
        # another key has its own bucket; health and docs need no key
        assert c.post("/v1/translate", json=OK, headers={"X-API-Key": "k2"}).status_code == 200
        assert c.get("/healthz").status_code == 200
        # reload is disabled without an admin key while keys are on
        error(c.post("/v1/models/reload", headers={"X-API-Key": "k1"}), 403, "admin_disabled")


def test_admin_key_guards_reload(make_app: AppFactory) -> None:
    with TestClient(make_app(api_keys="k1", admin_key="root")) as c:
        error(c.post("/v1/models/reload"), 401)
        error(c.post("/v1/models/reload", headers={"X-API-Key": "k1"}), 403, "invalid_api_key")
        assert c.post("/v1/models/reload", headers={"X-API-Key": "root"}).status_code == 200


def test_full_queue_is_503_and_the_queued_requests_still_succeed(make_app: AppFactory) -> None:
    app = make_app(queue_size=2, batch_wait_ms=0, batch_concurrency=1)  # one batch in the thread

    async def main() -> None:
        async with serve(app) as c:
            model = registry(app).models[0]
            gate = Gate(model.translator)
            first = asyncio.create_task(c.post("/v1/translate", json=OK))
            await until(gate.entered.is_set)  # the first text is in the model thread
            queued = [
                asyncio.create_task(c.post("/v1/translate", json={**OK, "text": f"Text {i}."}))
                for i in range(2)
            ]
            await until(lambda: model.batcher.depth == 2)
            refused = await c.post("/v1/translate", json=OK)
            error(refused, 503, "overloaded")
            assert int(refused.headers["retry-after"]) >= 1
            gate.open.set()
            done = await asyncio.gather(first, *queued)
            assert [r.status_code for r in done] == [200, 200, 200]

    asyncio.run(main())


def test_deadline_is_504_and_drops_the_queued_text(make_app: AppFactory) -> None:
    app = make_app(request_timeout_s=0.5, batch_wait_ms=0, batch_concurrency=1)

    async def main() -> None:
        async with serve(app) as c:
            model = registry(app).models[0]
            gate = Gate(model.translator)
            running = asyncio.create_task(c.post("/v1/translate", json=OK))
            await until(gate.entered.is_set)
            waiting = await c.post("/v1/translate", json={**OK, "text": "Another text."})
            error(waiting, 504, "deadline_exceeded")
            assert model.batcher.depth == 0  # dropped from the queue, never translated
            error(await running, 504)
            gate.open.set()
            # a generous deadline from here on, so a slow machine cannot fail the check below
            svc = app.state.services
            roomy = svc.settings.model_copy(update={"request_timeout_s": 120.0})
            app.state.services = dataclasses.replace(svc, settings=roomy)
            after = await c.post("/v1/translate", json=OK)
            assert after.status_code == 200
            assert gate.calls == 2  # the first batch and the last: the dropped text never ran

    asyncio.run(main())


def test_a_bad_bundle_fails_startup_with_its_problem(
    own_models: Path, make_app: AppFactory
) -> None:
    (own_models / "en-de" / "decoder_step.onnx").write_bytes(b"not a graph")
    with pytest.raises(Exception, match=r"decoder_step\.onnx"), TestClient(make_app(own_models)):
        pass
