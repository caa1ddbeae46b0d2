"""LibreTranslate-compatible routes: request forms, answer shapes and LibreTranslate's errors."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.serving.conftest import AppFactory

Q = {"q": "Open the file menu.", "source": "en", "target": "de"}


def lt_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str), body
    return str(body["error"])


def v1_text(client: TestClient, text: str, **decoding: Any) -> str:
    body = {"text": text, "source": "en", "target": "de", "decoding": decoding or None}
    return str(client.post("/v1/translate", json=body).json()["translations"]["text"])


def test_json_form_and_multipart_requests_agree(client: TestClient) -> None:
    want = v1_text(client, Q["q"])
    as_json = client.post("/translate", json=Q).json()
    assert as_json == {"translatedText": want}  # no alternatives, no detection unless asked
    assert client.post("/translate", data=Q).json() == as_json
    multipart = client.post("/translate", data=Q, files={"unused": ("f.txt", b"x")})
    assert multipart.json() == as_json
    assert client.post("/translate", params=Q).json() == as_json  # query string, as Flask reads
    assert client.post("/translate", json={**Q, "format": "html"}).status_code == 200


def test_a_list_q_gives_lists_and_auto_reports_the_language(client: TestClient) -> None:
    body = {"q": ["Open the file menu.", "Save the document."], "source": "auto", "target": "de"}
    answer = client.post("/translate", json={**body, "alternatives": 2}).json()
    assert answer["translatedText"] == [v1_text(client, q) for q in body["q"]]
    assert len(answer["alternatives"]) == 2
    assert all(isinstance(a, list) and len(a) <= 2 for a in answer["alternatives"])
    assert answer["detectedLanguage"][0]["language"] == "en"
    assert 0 <= answer["detectedLanguage"][0]["confidence"] <= 100
    one = client.post("/translate", json={**Q, "source": "auto", "alternatives": 1}).json()
    assert isinstance(one["translatedText"], str) and isinstance(one["alternatives"], list)
    assert one["detectedLanguage"]["language"] == "en"


def test_languages_and_detect(client: TestClient) -> None:
    languages = client.get("/languages").json()
    assert languages == [
        {"code": "de", "name": "German", "targets": []},
        {"code": "en", "name": "English", "targets": ["de"]},
    ]
    # as LibreTranslate: GET only (libretranslatepy sends GET with a form body)
    assert "not allowed" in lt_error(client.post("/languages"), 405)
    found = client.post("/detect", data={"q": "Öffnen Sie die Datei und klicken Sie auf Speichern"})
    assert found.json()[0]["language"] == "de" and found.json()[0]["confidence"] > 50
    english = client.post("/detect", json={"q": ["Open the file", "Das ist die Datei"]}).json()
    assert [d[0]["language"] for d in english] == ["en", "de"]


def test_errors_take_libretranslates_shape_and_codes(client: TestClient) -> None:
    assert "missing q" in lt_error(client.post("/translate", json={**Q, "q": ""}), 400)
    assert "missing source" in lt_error(
        client.post("/translate", data={"q": "x", "target": "de"}), 400
    )
    assert "missing target" in lt_error(
        client.post("/translate", data={"q": "x", "source": "en"}), 400
    )
    assert (
        lt_error(client.post("/translate", json={**Q, "target": "xx"}), 400)
        == "xx is not supported"
    )
    assert (
        lt_error(client.post("/translate", json={**Q, "source": "fr"}), 400)
        == "fr is not supported"
    )
    message = lt_error(client.post("/translate", json={**Q, "source": "de", "target": "de"}), 400)
    assert message == "German -> German is not served; this server translates English -> German"
    message = lt_error(client.post("/translate", json={**Q, "source": "de", "target": "en"}), 400)
    assert message == "German -> English is not served; this server translates English -> German"
    assert "format" in lt_error(client.post("/translate", json={**Q, "format": "pdf"}), 400)
    assert "alternatives" in lt_error(client.post("/translate", json={**Q, "alternatives": 9}), 400)
    assert "alternatives" in lt_error(
        client.post("/translate", json={**Q, "alternatives": "a"}), 400
    )
    assert "exceeds text limit" in lt_error(
        client.post("/translate", json={**Q, "q": "x" * 5001}), 400
    )
    assert "exceeds text limit" in lt_error(
        client.post("/translate", json={**Q, "q": ["x"] * 101}), 400
    )
    headers = {"Content-Type": "application/json"}
    assert "JSON" in lt_error(client.post("/translate", content=b"{", headers=headers), 400)
    assert lt_error(client.post("/translate", json={**Q, "q": [1]}), 400)
    assert lt_error(client.post("/detect", json={}), 400)
    assert lt_error(client.get("/translate"), 405)


def test_keys_as_libretranslate_answers_them(make_app: AppFactory) -> None:
    with TestClient(make_app(api_keys="k1", rate_limit_per_minute=1, rate_limit_burst=1)) as c:
        assert "API key" in lt_error(c.post("/translate", json=Q), 400)
        assert lt_error(c.post("/translate", json={**Q, "api_key": "x"}), 403) == "Invalid API key"
        assert c.post("/translate", data={**Q, "api_key": "k1"}).status_code == 200
        slow = c.post("/translate", data={**Q, "api_key": "k1"})
        assert lt_error(slow, 429).startswith("Slowdown:") and slow.headers["retry-after"]
        assert c.get("/languages").status_code == 200  # as in LibreTranslate: no key needed


def test_body_limit_is_413_in_libretranslate_shape(make_app: AppFactory) -> None:
    with TestClient(make_app(max_body_bytes=1024)) as c:
        assert "1024" in lt_error(c.post("/translate", data={**Q, "q": "x" * 2000}), 413)
