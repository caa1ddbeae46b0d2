"""What the schemathesis runs (`make fuzz`) found, kept as tests: each a request the published
OpenAPI document allows (or a status it must declare), and what the service answers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.serving.conftest import AppFactory
from tests.serving.test_errors import OK, error

ADMIN = "admin-secret"


@pytest.mark.parametrize(
    "name",
    [
        "a" * 300,  # longer than any folder name can be (ENAMETOOLONG was a 500)
        "é" * 200,  # 200 characters, 400 bytes
        "a\x00b",
        "\ud800",  # a lone surrogate (JSON escape): not encodable as a file name
        " ",
    ],
)
def test_reload_of_a_name_no_folder_can_have_is_404(make_app: AppFactory, name: str) -> None:
    with TestClient(make_app(admin_key=ADMIN), raise_server_exceptions=False) as c:
        body = json.dumps({"bundle": name})  # ASCII: a lone surrogate goes as its escape
        headers = {"X-API-Key": ADMIN, "Content-Type": "application/json"}
        r = c.post("/v1/models/reload", content=body, headers=headers)
    message = error(r, 404, "not_found")
    assert len(message) < 200  # a long name is not echoed whole


def test_every_status_reload_answers_is_documented(client: TestClient) -> None:
    # 429: wrong admin keys are throttled per client (tests/serving/test_hardening.py)
    paths = client.get("/openapi.json").json()["paths"]
    assert "429" in paths["/v1/models/reload"]["post"]["responses"]


def test_integers_written_with_a_zero_fraction_are_integers(client: TestClient) -> None:
    """JSON Schema counts 5.0 an integer, so the schema allows it: the route takes it too (and
    still refuses 4.5, "4" and true)."""
    body = {**OK, "decoding": {"beam_size": 2.0, "n_best": 2.0, "min_length": 0.0}}
    r = client.post("/v1/translate", json=body)
    assert r.status_code == 200, r.text
    assert len(r.json()["translations"]["alternatives"]) == 1
    for bad in (4.5, "4", True):
        error(client.post("/v1/translate", json={**OK, "decoding": {"beam_size": bad}}), 422)


def _body_schemas(client: TestClient, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    document = client.get("/openapi.json").json()
    body = document["paths"][path]["post"]["requestBody"]
    assert body["required"] is True  # a generator sends a body; without one q is missing
    components = document["components"]["schemas"]

    def resolve(media: str) -> dict[str, Any]:
        ref: str = body["content"][media]["schema"]["$ref"]
        found: dict[str, Any] = components[ref.rsplit("/", 1)[1]]
        return found

    form = resolve("application/x-www-form-urlencoded")
    assert resolve("multipart/form-data") == form
    return resolve("application/json"), form


@pytest.mark.parametrize("path", ["/translate", "/detect"])
def test_form_bodies_are_described_as_forms_carry_them(client: TestClient, path: str) -> None:
    """A form has no null and no one-item list (q=x is the text x): the form schema says so,
    so a form valid by it is one the route takes."""
    as_json, form = _body_schemas(client, path)
    assert as_json["properties"]["api_key"]["type"] == ["string", "null"]
    assert form["properties"]["api_key"]["type"] == "string"
    texts, batch = form["properties"]["q"]["oneOf"]
    assert texts["type"] == "string" and texts["minLength"] == 1
    assert batch["type"] == "array" and batch["minItems"] == 2  # an empty item is fine in it
    pair = {"source": "en", "target": "de"} if path == "/translate" else {}
    for fields in ({"q": "Open the file.", "api_key": ""}, {"q": ["Open the file.", ""]}):
        for files in (None, {"unused": ("x", b"")}):  # urlencoded, then multipart
            r = client.post(path, data={**fields, **pair}, files=files)
            assert r.status_code == 200, (fields, files, r.text)
    # what the form schema rules out is what the route refuses
    refused = client.post(path, data={"q": [""], **pair})
    assert refused.status_code == 400 and "missing q" in refused.json()["error"]
