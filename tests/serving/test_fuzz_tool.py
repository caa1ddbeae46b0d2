"""bench/fuzz.py's per-route summary of a schemathesis event stream (the run itself is `make fuzz`,
a CI step of its own)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_fuzz", ROOT / "bench" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _case(method: str, mode: str, status: int, media: str | None = "application/json") -> Any:
    value = {"method": method, "media_type": media, "meta": {"generation": {"mode": mode}}}
    return value, {"response": {"status_code": status}}


def _scenario(label: str, cases: list[Any], failed: dict[int, str] | None = None) -> str:
    checks = {str(i): [{"name": name, "status": "failure"}] for i, name in (failed or {}).items()}
    recorder = {
        "label": label,
        "cases": {str(i): {"value": value} for i, (value, _) in enumerate(cases)},
        "interactions": {str(i): interaction for i, (_, interaction) in enumerate(cases)},
        "checks": checks,
    }
    return json.dumps({"ScenarioFinished": {"status": "success", "recorder": recorder}})


def test_summary_counts_500s_undocumented_statuses_and_schema_mismatches(tmp_path: Path) -> None:
    document = {
        "paths": {
            "/translate": {"post": {"responses": {"200": {}, "400": {}}}},
            "/healthz": {"get": {"responses": {"200": {}}}},
        }
    }
    stream = tmp_path / "events.ndjson"
    translate = [
        _case("POST", "positive", 200),
        _case("POST", "positive", 400, "multipart/form-data"),
        _case("POST", "negative", 400, "application/x-www-form-urlencoded"),
        _case("POST", "negative", 500),
        _case("DELETE", "negative", 405, None),  # an other-method probe: not undocumented
    ]
    healthz = [_case("GET", "positive", 200, None)]
    lines = [
        '{"Initialize": {}}',
        _scenario("POST /translate", translate, {0: "response_schema_conformance"}),
        _scenario("GET /healthz", healthz),
    ]
    stream.write_text("\n".join(lines) + "\n")
    routes = _tool().summarize(stream, document)
    t = routes["POST /translate"]
    assert t["cases"] == 5 and t["status_500"] == 1 and t["status_5xx"] == 1
    assert t["undocumented_statuses"] == 1 and t["undocumented_seen"] == [500]
    assert t["schema_mismatches"] == 1 and t["other_method_probes"] == {"405": 1}
    assert t["positive_cases"] == 2 and t["positive_2xx"] == 1 and t["positive_2xx_share"] == 0.5
    assert t["by_media_type"] == {
        "application/json": 2,
        "application/x-www-form-urlencoded": 1,
        "multipart/form-data": 1,
        "no body": 1,
    }
    h = routes["GET /healthz"]
    assert h["cases"] == 1 and h["undocumented_statuses"] == 0 and h["status_500"] == 0
