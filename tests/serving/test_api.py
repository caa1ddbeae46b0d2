"""The v1 API, health, metrics, docs and the OpenAPI schema, on the tiny real ONNX bundle."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

from fastapi.testclient import TestClient

from tests.serving.conftest import AppFactory

TEXT = "Open the file menu."
BASE = {"source": "en", "target": "de"}


def post(client: TestClient, **body: Any) -> Any:
    response = client.post("/v1/translate", json={**BASE, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_string_gives_one_translation_and_a_list_gives_a_list(client: TestClient) -> None:
    one = post(client, text=TEXT)
    assert isinstance(one["translations"], dict)
    assert one["translations"]["text"] and isinstance(one["translations"]["score"], float)
    assert one["model"]["id"] == "en-de" and re.fullmatch(r"[0-9a-f]{12}", one["model"]["version"])
    many = post(client, text=[TEXT, "Save the document.", ""])
    assert many["translations"][0]["text"] == one["translations"]["text"]
    assert len(many["translations"]) == 3 and many["translations"][2]["text"] == ""
    assert post(client, text=[])["translations"] == []


def test_decoding_options_are_honoured(client: TestClient) -> None:
    greedy = post(client, text=TEXT, decoding={"mode": "greedy"})["translations"]
    beam1 = post(client, text=TEXT, decoding={"mode": "beam", "beam_size": 1})["translations"]
    assert greedy["text"] == beam1["text"]  # beam 1 is greedy
    assert greedy["alternatives"] == []
    nbest = post(client, text=TEXT, decoding={"beam_size": 4, "n_best": 4})["translations"]
    texts = [nbest["text"], *(a["text"] for a in nbest["alternatives"])]
    assert len(nbest["alternatives"]) >= 1 and len(set(texts)) == len(texts)  # distinct
    short = post(client, text=TEXT, decoding={"mode": "greedy", "max_length_ratio": 0.2})
    long = post(client, text=TEXT, decoding={"mode": "greedy", "min_length": 30})
    assert len(short["translations"]["text"]) < len(long["translations"]["text"])
    lp = {"mode": "beam", "length_penalty": {"type": "none", "alpha": 0.0}}
    assert post(client, text=TEXT, decoding=lp)["translations"]["text"]


def test_return_options(client: TestClient) -> None:
    plain = post(client, text=TEXT, **{"return": {"scores": False}})["translations"]
    assert "score" not in plain and "alignment" not in plain and "attention" not in plain
    full = post(
        client,
        text=TEXT,
        decoding={"mode": "greedy"},
        **{"return": {"alignment": True, "attention": True}},
    )["translations"]
    attention = full["attention"]
    assert attention["src_tokens"][-1] == "</s>"
    assert len(attention["weights"]) == len(attention["tgt_tokens"])
    assert all(len(row) == len(attention["src_tokens"]) for row in attention["weights"])
    for row in attention["weights"]:  # a distribution over the source (rounded to 4 places)
        assert abs(sum(row) - 1.0) < 1e-2
    assert isinstance(full["alignment"], list)
    for a, b, c, d in full["alignment"]:
        assert 0 <= a < b <= len(TEXT) and 0 <= c < d <= len(full["text"])


def test_source_auto_picks_the_only_pair_with_that_target(client: TestClient) -> None:
    auto = post(client, text=TEXT, source="auto", decoding={"mode": "greedy"})
    assert (
        auto["translations"]["text"]
        == post(client, text=TEXT, decoding={"mode": "greedy"})["translations"]["text"]
    )


def test_models_health_ready_docs(client: TestClient) -> None:
    models = client.get("/v1/models").json()["models"]
    assert [(m["id"], m["pair"], m["source"], m["target"]) for m in models] == [
        ("en-de", "en-de", "en", "de")
    ]
    assert models[0]["quantization"] == "fp32" and models[0]["decoding"]["beam_size"] == 5
    assert models[0]["decoding"]["max_length"] == 512  # NMT_MAX_OUTPUT_TOKENS
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["models"][0]["id"] == "en-de"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "cdn" not in docs.text.lower()  # offline: the page's scripts come from this server
    script = re.search(r'src="([^"]+swagger-ui-bundle\.js)"', docs.text)
    assert script and client.get(script.group(1)).status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and 'id="translate"' in page.text
    assert client.get("/static/app.js").status_code == 200


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    error = client.get("/nope")
    assert error.status_code == 404 and error.headers["x-request-id"]


def test_metrics_text(client: TestClient) -> None:
    post(client, text=[TEXT, "Save the document."], decoding={"mode": "greedy"})
    client.post("/v1/translate", json={**BASE, "text": "x", "target": "xx"})
    text = client.get("/metrics").text
    assert re.search(
        r'nmt_requests_total\{method="POST",route="/v1/translate",status="200"\} [1-9]', text
    )
    assert 'nmt_requests_total{method="POST",route="/v1/translate",status="400"}' in text
    assert re.search(
        r'nmt_request_duration_seconds_bucket\{le="0.04",route="/v1/translate"\}', text
    )
    assert re.search(r'nmt_batch_size_count\{model="en-de"\} [1-9]', text)
    assert 'nmt_queue_depth{model="en-de"} 0.0' in text
    tokens = re.search(r'nmt_tokens_translated_total\{model="en-de"\} (\d+)', text)
    assert tokens and int(tokens.group(1)) > 0
    assert re.search(r'nmt_segments_translated_total\{model="en-de"\} [1-9]', text)


def test_cors_origins(make_app: AppFactory) -> None:
    with TestClient(make_app(cors_origins="https://l10n.example")) as c:
        preflight = c.options(
            "/v1/translate",
            headers={
                "Origin": "https://l10n.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://l10n.example"
        other = c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_openapi_declares_the_error_shape_everywhere(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    assert "HTTPValidationError" not in components and "ErrorResponse" in components
    translate = schema["paths"]["/v1/translate"]["post"]["responses"]
    for code in ("400", "401", "403", "405", "413", "415", "422", "429", "503", "504"):
        ref = translate[code]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorResponse"), code
    assert "Retry-After" in translate["503"]["headers"]
    reload = schema["paths"]["/v1/models/reload"]["post"]["responses"]
    assert {"401", "403", "404", "409"} <= set(reload)
    lt = schema["paths"]["/translate"]["post"]["responses"]["400"]
    assert lt["content"]["application/json"]["schema"]["$ref"].endswith("/LibreTranslateError")


def test_importing_the_app_imports_no_torch() -> None:
    code = (
        "import sys\nfrom serving.app import create_app\nfrom serving.settings import Settings\n"
        "create_app(Settings())\n"
        "import nmt.search.onnx_backend\n"
        "heavy = ('torch', 'lightning', 'pytorch_lightning', 'training', 'ray')\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_length_penalty_defaults_are_the_configs(client: TestClient) -> None:
    """One home for defaults: the request schema takes them from nmt.config, and says so in the
    OpenAPI document."""
    from nmt.config import LengthPenaltyConfig, to_dict
    from serving.schemas import LengthPenalty

    assert LengthPenalty().model_dump() == to_dict(LengthPenaltyConfig())
    fields = client.get("/openapi.json").json()["components"]["schemas"]["LengthPenalty"]
    assert fields["properties"]["alpha"]["default"] == LengthPenaltyConfig().alpha
    assert fields["properties"]["type"]["default"] == LengthPenaltyConfig().type


def test_a_request_glossary_puts_its_targets_in(client: TestClient) -> None:
    """Whatever the tiny model writes, restore places the target term (issue 14)."""
    out = post(client, text=[TEXT, "No term here."], glossary={"FILE": "Datei"})["translations"]
    assert "Datei" in out[0]["text"] and "Datei" not in out[1]["text"]
    for bad in ({"file": ""}, {"a\tb": "x"}, {f"t{n}": "x" for n in range(257)}, ["file"]):
        response = client.post("/v1/translate", json={**BASE, "text": TEXT, "glossary": bad})
        assert response.status_code == 422, response.text
