"""LibreTranslate's /suggest into the suggestions database (SQLite by default; a real
PostgreSQL under the `database` marker), same-origin only, exported for training."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from serving.suggestions import SuggestionStore, key_digest
from tests.serving.conftest import AppFactory
from tests.serving.test_libretranslate import lt_error

S = {"q": "Open the file menu.", "s": "Öffnen Sie das Dateimenü.", "source": "en", "target": "de"}


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'suggestions.sqlite'}"


def test_a_suggestion_is_stored_with_pair_model_time_and_key(
    make_app: AppFactory, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    with TestClient(make_app(suggestions=True, database_url=url)) as c:
        assert c.get("/frontend/settings").json()["suggestions"] is True
        assert c.post("/suggest", data=S).json() == {"success": True}
        same_page = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
        assert c.post("/suggest", json={**S, "s": "Dateimenü öffnen."}, headers=same_page).json()
        version = c.get("/v1/models").json()["models"][0]["version"]
    rows = SuggestionStore(url).rows()
    assert [(r.source_text, r.suggestion) for r in rows] == [
        (S["q"], S["s"]),
        (S["q"], "Dateimenü öffnen."),
    ]
    assert {(r.source_lang, r.target_lang, r.model_id) for r in rows} == {("en", "de", "en-de")}
    assert rows[0].model_version == version and rows[0].created is not None
    assert rows[0].key_sha256 is None


def test_disabled_missing_fields_and_pairs(make_app: AppFactory, tmp_path: Path) -> None:
    with TestClient(make_app()) as c:
        assert lt_error(c.post("/suggest", data=S), 403) == (
            "Suggestions are disabled on this server."
        )
    with TestClient(make_app(suggestions=True, database_url=sqlite_url(tmp_path))) as c:
        for name in ("q", "s", "source", "target"):
            partial = {k: v for k, v in S.items() if k != name}
            message = lt_error(c.post("/suggest", data=partial), 400)
            assert message == f"Invalid request: missing {name} parameter"
        reverse = {**S, "source": "de", "target": "en"}
        assert "this server translates English -> German" in lt_error(
            c.post("/suggest", data=reverse), 400
        )
        assert lt_error(c.post("/suggest", data={**S, "target": "zz"}), 400) == (
            "zz is not supported"
        )
        assert "exceeds text limit" in lt_error(
            c.post("/suggest", data={**S, "s": "x" * 5001}), 400
        )
    assert SuggestionStore(sqlite_url(tmp_path)).rows() == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},
    ],
)
def test_a_cross_origin_suggestion_is_refused(
    make_app: AppFactory, tmp_path: Path, headers: dict[str, str]
) -> None:
    url = sqlite_url(tmp_path)
    with TestClient(make_app(suggestions=True, database_url=url)) as c:
        answer = c.post("/suggest", data=S, headers=headers)  # a plain form POST, no preflight
        assert "own page only" in lt_error(answer, 403)
        assert "access-control-allow-origin" not in answer.headers
    assert SuggestionStore(url).rows() == []


def test_keys_are_required_when_on_and_stored_hashed(make_app: AppFactory, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    with TestClient(make_app(suggestions=True, database_url=url, api_keys="k1")) as c:
        assert "API key" in lt_error(c.post("/suggest", data=S), 400)
        assert lt_error(c.post("/suggest", data={**S, "api_key": "no"}), 403) == "Invalid API key"
        assert c.post("/suggest", data={**S, "api_key": "k1"}).json() == {"success": True}
    (row,) = SuggestionStore(url).rows()
    assert row.key_sha256 == key_digest("k1") and row.key_sha256 != "k1"


def test_export_writes_the_latest_suggestion_per_text(tmp_path: Path) -> None:
    store = SuggestionStore(sqlite_url(tmp_path))
    store.migrate()
    common = {"source_lang": "en", "target_lang": "de", "model_id": "en-de", "key": None}
    store.add(source_text="Save", suggestion="Sichern", model_version="a", **common)
    store.add(source_text="Save", suggestion="Speichern", model_version="a", **common)
    store.add(source_text="Open\tthe\nfile", suggestion="Datei öffnen", model_version="b", **common)
    out = tmp_path / "out" / "suggestions.tsv"
    assert store.export(out) == 2
    assert out.read_text(encoding="utf-8") == "Save\tSpeichern\nOpen the file\tDatei öffnen\n"
    assert store.export(tmp_path / "fr.tsv", ("en", "fr")) == 0


def test_the_export_command(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    store = SuggestionStore(url)
    store.migrate()
    store.add(source_text="Quit", suggestion="Beenden", source_lang="en", target_lang="de",
              model_id="en-de", model_version="v", key=None)  # fmt: skip
    out = tmp_path / "export.tsv"
    nmt = Path(sys.executable).parent / "nmt"
    done = subprocess.run(
        [str(nmt), "suggestions", "--database-url", url, "export", str(out)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"pairs": 1' in done.stdout and out.read_text(encoding="utf-8") == "Quit\tBeenden\n"


# --- a real PostgreSQL server (.ci/run installs and starts it) -----------------------------
def postgres_url() -> str:
    url = os.environ.get("NMT_TEST_DATABASE_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but NMT_TEST_DATABASE_URL is not set (.ci/run starts PostgreSQL)")
        pytest.skip("NMT_TEST_DATABASE_URL is not set (a PostgreSQL database to use)")
    return url


@pytest.fixture
def postgres() -> Any:
    url = postgres_url()
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # a clean schema for each test
        connection.execute(sa.text("DROP TABLE IF EXISTS suggestions, alembic_version"))
    engine.dispose()
    return url


@pytest.mark.database
def test_suggestions_in_postgresql(make_app: AppFactory, postgres: str, tmp_path: Path) -> None:
    with TestClient(make_app(suggestions=True, database_url=postgres)) as c:
        assert c.post("/suggest", data=S).json() == {"success": True}
    store = SuggestionStore(postgres)
    assert store.engine.dialect.name == "postgresql"
    (row,) = store.rows()
    assert (row.source_text, row.suggestion, row.model_id) == (S["q"], S["s"], "en-de")
    assert row.created.tzinfo is not None
    with store.engine.connect() as connection:
        head = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert head == "0001"  # the schema came from the migrations
    assert store.export(tmp_path / "pg.tsv") == 1
    assert (tmp_path / "pg.tsv").read_text(encoding="utf-8") == f"{S['q']}\t{S['s']}\n"
    store.close()
