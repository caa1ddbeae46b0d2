"""LibreTranslate drop-in: LibreTranslate's own API test cases (1.9.6, tests/test_api/) written
as HTTP requests, its discovery routes, 404s and CORS as it answers them, Weblate's backend, and
language identification for /detect and `source: auto`."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.serving.conftest import AppFactory
from tests.serving.test_libretranslate import lt_error


# --- LibreTranslate's API tests, case by case (its pair en-es is en-de here) ---------------------
def test_lt_translate_cases(client: TestClient) -> None:
    form = {"q": "Hello", "source": "en", "target": "de", "format": "text"}
    one = client.post("/translate", data=form)
    assert one.status_code == 200 and isinstance(one.json()["translatedText"], str)
    batch = client.post("/translate", json={**form, "q": ["Hello", "World"]})
    assert batch.status_code == 200
    assert isinstance(batch.json()["translatedText"], list)
    assert len(batch.json()["translatedText"]) == 2
    assert lt_error(client.post("/translate", data={**form, "target": "zz"}), 400) == (
        "zz is not supported"
    )
    missing = {k: v for k, v in form.items() if k != "q"}
    assert lt_error(client.post("/translate", data=missing), 400) == (
        "Invalid request: missing q parameter"
    )


def test_lt_detect_cases(client: TestClient) -> None:
    found = client.post("/detect", data={"q": "Hello"})
    assert found.status_code == 200
    assert len(found.json()) >= 1
    assert {"confidence", "language"} <= set(found.json()[0])
    assert lt_error(client.post("/detect"), 400)
    assert client.get("/detect").status_code == 405


def test_lt_languages_health_spec_and_settings_cases(client: TestClient) -> None:
    languages = client.get("/languages")
    assert languages.status_code == 200
    assert {"code", "name"} <= set(languages.json()[0])
    assert client.post("/languages").status_code == 405
    assert client.get("/health").json() == {"status": "ok"}
    assert client.post("/health").status_code == 405
    spec = client.get("/spec")
    assert spec.status_code == 200 and "/translate" in spec.json()["paths"]
    assert "HTTPValidationError" not in spec.text  # every reference resolves
    for path in ("/translate_file", "/download_file/{name}", "/suggest", "/frontend/settings"):
        assert path in spec.json()["paths"], path
    assert client.post("/spec").status_code == 405
    assert client.get("/frontend/settings").status_code == 200


def test_frontend_settings_come_from_the_real_settings(make_app: AppFactory) -> None:
    with TestClient(make_app(max_chars=1234, api_keys="k1", frontend_timeout_ms=250)) as c:
        got = c.get("/frontend/settings").json()  # no key needed, as LibreTranslate
    assert got["charLimit"] == 1234 and got["frontendTimeout"] == 250
    assert got["apiKeys"] is True and got["keyRequired"] is True
    assert got["suggestions"] is False
    assert isinstance(got["filesTranslation"], bool)
    assert isinstance(got["supportedFilesFormat"], list)
    assert got["language"] == {
        "source": {"code": "en", "name": "English"},
        "target": {"code": "de", "name": "German"},
    }
    assert got["textLimit"] == 100 and got["alternativesLimit"] == 3
    assert "k1" not in str(got)  # whether keys are on, never the keys


def test_unknown_paths_answer_in_the_shape_of_their_api(client: TestClient) -> None:
    assert lt_error(client.get("/no/such/thing"), 404) == "no route /no/such/thing"
    assert lt_error(client.post("/translate_nothing", data={"q": "x"}), 404)
    v1 = client.get("/v1/no-such-route")
    assert v1.status_code == 404 and v1.json()["error"]["code"] == "not_found"
    assert client.get("/healthz").json()["status"] == "ok"  # ours stays ours


def test_weblate_backend_offers_english_to_german_only_as_served(client: TestClient) -> None:
    # Weblate 5.14's LibreTranslate backend: the listed codes are its languages, a pair is
    # offered when both are listed; a request for a pair not served gets an error it shows.
    codes = [entry["code"] for entry in client.get("/languages").json()]
    assert "en" in codes and "de" in codes
    by_code = {e["code"]: e["targets"] for e in client.get("/languages").json()}
    assert by_code == {"en": ["de"], "de": []}
    base = {"source": "en", "target": "de", "format": "html", "alternatives": 2}
    answer = client.post("/translate", json={**base, "q": ["<b>Open</b> the file", "Save"]})
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["translatedText"]) == 2 and len(body["alternatives"]) == 2
    assert "<b>" in body["translatedText"][0]
    wrong = client.post("/translate", json={**base, "source": "de", "target": "en", "q": ["x"]})
    assert lt_error(wrong, 400) == (
        "German -> English is not served; this server translates English -> German"
    )


# --- CORS ------------------------------------------------------------------------------------
PREFLIGHT = {
    "Origin": "https://page.example",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


def test_cors_is_open_on_the_translation_routes_by_default(client: TestClient) -> None:
    origin = {"Origin": "https://page.example"}
    for path in ("/translate", "/detect", "/v1/translate"):
        preflight = client.options(path, headers=PREFLIGHT)
        assert preflight.status_code == 200, path
        assert preflight.headers["access-control-allow-origin"] == "*", path
    simple = client.post("/translate", data={"q": "Hello", "source": "en", "target": "de"},
                         headers=origin)  # fmt: skip
    assert simple.headers["access-control-allow-origin"] == "*"
    for path in ("/languages", "/frontend/settings", "/health"):
        assert client.get(path, headers=origin).headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["/suggest", "/v1/models/reload", "/metrics"])
def test_admin_suggest_and_metrics_never_answer_cross_origin(client: TestClient, path: str) -> None:
    preflight = client.options(path, headers=PREFLIGHT)
    assert preflight.status_code != 200
    assert "access-control-allow-origin" not in preflight.headers
    plain = client.post(path, data={"q": "x"}, headers={"Origin": "https://page.example"})
    assert "access-control-allow-origin" not in plain.headers


def test_cors_can_be_narrowed_or_turned_off(make_app: AppFactory) -> None:
    with TestClient(make_app(cors_origins="https://l10n.example")) as c:
        ok = c.options("/translate", headers={**PREFLIGHT, "Origin": "https://l10n.example"})
        assert ok.headers["access-control-allow-origin"] == "https://l10n.example"
        assert c.options("/translate", headers=PREFLIGHT).status_code == 400
    with TestClient(make_app(cors_origins="")) as c:
        got = c.get("/languages", headers={"Origin": "https://page.example"})
        assert "access-control-allow-origin" not in got.headers


# --- language identification ------------------------------------------------------------------
def top(response: httpx.Response) -> tuple[str, float]:
    assert response.status_code == 200, response.text
    first = response.json()[0]
    assert 0 <= first["confidence"] <= 100
    return first["language"], first["confidence"]


def test_detect_knows_languages_beyond_the_served_ones(client: TestClient) -> None:
    assert top(client.post("/detect", data={"q": "Datei öffnen"}))[0] == "de"
    assert top(client.post("/detect", data={"q": "Ouvrir le fichier"}))[0] == "fr"
    assert top(client.post("/detect", data={"q": "保存"}))[0] in ("zh", "ja")
    lang, confidence = top(client.post("/detect", data={"q": "Hello"}))
    assert lang == "en" and confidence < 50  # a greeting is short: honest, low
    assert top(client.post("/detect", data={"q": "1234 !!"})) == ("en", 0.0)
    batch = client.post("/detect", json={"q": ["Open the file menu", "Das ist die Datei"]})
    assert [d[0]["language"] for d in batch.json()] == ["en", "de"]


def test_auto_refuses_a_confident_other_language_and_falls_back_when_unsure(
    client: TestClient,
) -> None:
    auto = {"source": "auto", "target": "de"}
    german = client.post("/translate", json={**auto, "q": "Öffnen Sie die Datei im Menü."})
    message = lt_error(german, 400)
    assert message.startswith("German (de) was detected")
    assert message.endswith("this server translates English -> German")
    french = client.post("/translate", json={**auto, "q": "Ouvrir le fichier"})
    assert lt_error(french, 400).startswith("French (fr) was detected")
    short = client.post("/translate", json={**auto, "q": "Status"}).json()
    assert short["detectedLanguage"]["language"] == "en"  # unsure: the one served source
    english = client.post("/translate", json={**auto, "q": "Open the file and save it."}).json()
    assert english["detectedLanguage"]["language"] == "en"
    assert english["detectedLanguage"]["confidence"] > 0


def test_a_raw_utf8_form_body_reads_as_utf8(client: TestClient) -> None:
    # curl -d q='Datei öffnen' sends the bytes as they are, not percent-encoded
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    raw = client.post("/detect", content="q=Datei öffnen".encode(), headers=form)
    encoded = client.post("/detect", data={"q": "Datei öffnen"})
    assert raw.json() == encoded.json() and top(raw)[0] == "de"
    repeated = client.post("/detect", content=b"q=Save&q=Open+the+file", headers=form)
    assert len(repeated.json()) == 2  # a repeated field is a list, as before
    bad = client.post("/detect", content=b"q=\xff\xfe", headers=form)
    assert "not UTF-8" in lt_error(bad, 400)
