"""POST /v1/models/reload: atomic swaps under concurrent requests, refusal of a bad bundle,
one named bundle, and a new language pair served without code."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from nmt.bundle import load_bundle
from tests.serving.conftest import AppFactory, registry, serve, variant
from tests.waiting import until

ADMIN = "admin-secret"  # reload always needs the admin key
AS_ADMIN = {"X-API-Key": ADMIN}

OK = {"text": "Open the file menu.", "source": "en", "target": "de", "decoding": {"mode": "greedy"}}


def test_reload_under_concurrent_requests_fails_none(
    own_models: Path, base_bundle: Path, make_app: AppFactory, tmp_path: Path
) -> None:
    old_version = load_bundle(own_models / "en-de").version
    staged = variant(base_bundle, tmp_path / "staged", model_card_text="# v2\n")
    app = make_app(own_models, batch_wait_ms=1, admin_key=ADMIN)

    async def main() -> None:
        async with serve(app) as c:
            stop = asyncio.Event()
            seen: list[tuple[int, str]] = []

            async def client() -> None:
                while not stop.is_set():
                    r = await c.post("/v1/translate", json=OK)
                    seen.append((r.status_code, r.json().get("model", {}).get("version", "")))

            clients = [asyncio.create_task(client()) for _ in range(6)]
            await until(lambda: len(seen) >= 12, "requests answered before the reload")
            shutil.rmtree(own_models / "en-de")  # a new bundle lands on disk ...
            shutil.copytree(staged.path, own_models / "en-de")
            reloaded = await c.post("/v1/models/reload", headers=AS_ADMIN)  # ... and is swapped in
            assert reloaded.status_code == 200, reloaded.text
            assert reloaded.json()["reloaded"] == [
                {"id": "en-de", "pair": "en-de", "old_version": old_version,
                 "new_version": staged.version}
            ]  # fmt: skip
            before = len(seen)
            # the 6 in flight during the swap, then 6 more that can only meet the new model
            await until(lambda: len(seen) >= before + 12, "requests answered after the reload")
            stop.set()
            await asyncio.gather(*clients)
            assert {status for status, _ in seen} == {200}  # not one request failed
            assert {v for _, v in seen} <= {old_version, staged.version}
            assert {v for _, v in seen[before + 6 :]} == {staged.version}  # after: only the new
            assert (await c.get("/v1/models")).json()["models"][0]["version"] == staged.version

    asyncio.run(main())


def test_a_bad_bundle_is_refused_and_the_old_keeps_serving(
    own_models: Path, make_app: AppFactory
) -> None:
    app = make_app(own_models, admin_key=ADMIN)
    with TestClient(app) as c:
        version = c.get("/v1/models").json()["models"][0]["version"]
        graph = own_models / "en-de" / "encoder.onnx"
        graph.write_bytes(graph.read_bytes()[:-10])  # truncated
        refused = c.post("/v1/models/reload", headers=AS_ADMIN)
        assert refused.status_code == 409
        message = refused.json()["error"]["message"]
        assert "encoder.onnx is truncated" in message and "old models keep serving" in message
        assert str(own_models) not in message  # no server path in what a client is told
        after = c.post("/v1/translate", json=OK)
        assert after.status_code == 200 and after.json()["model"]["version"] == version
        assert c.get("/readyz").status_code == 200


def test_a_named_bundle_adds_a_pair_without_code(
    own_models: Path, base_bundle: Path, make_app: AppFactory
) -> None:
    fr = variant(base_bundle, own_models / "en-fr", pair="en-fr")
    app = make_app(own_models, admin_key=ADMIN)
    with TestClient(app) as c:
        assert c.post("/v1/translate", json={**OK, "target": "fr"}).status_code == 400
        missing = c.post("/v1/models/reload", headers=AS_ADMIN, json={"bundle": "en-xx"})
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        assert (
            c.post("/v1/models/reload", headers=AS_ADMIN, json={"bundle": "../en-de"}).status_code
            == 404
        )
        added = c.post("/v1/models/reload", headers=AS_ADMIN, json={"bundle": "en-fr"})
        assert added.json()["reloaded"] == [
            {"id": "en-fr", "pair": "en-fr", "old_version": None, "new_version": fr.version}
        ]
        translated = c.post("/v1/translate", json={**OK, "target": "fr"})
        assert translated.json()["model"]["id"] == "en-fr"
        assert [m["pair"] for m in c.get("/v1/models").json()["models"]] == ["en-de", "en-fr"]
        languages: list[dict[str, Any]] = c.get("/languages").json()
        assert {"code": "en", "name": "English", "targets": ["de", "fr"]} in languages
        # source auto is now ambiguous for no target: each target has one pair
        assert (
            c.post("/v1/translate", json={**OK, "source": "auto", "target": "fr"}).status_code
            == 200
        )


def test_every_bundle_of_the_folder_with_star(
    own_models: Path, base_bundle: Path, make_app: AppFactory
) -> None:
    variant(base_bundle, own_models / "en-fr", pair="en-fr")
    app = make_app(own_models, bundles="*", admin_key=ADMIN)
    with TestClient(app) as c:
        assert sorted(m.pair for m in registry(app).models) == ["en-de", "en-fr"]
        assert c.post("/v1/translate", json={**OK, "target": "fr"}).status_code == 200
