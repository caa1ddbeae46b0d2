"""Server settings: the one home of the serving defaults.

Every field is read from an environment variable `NMT_<FIELD>` (`NMT_BEAM_SIZE=4`); lists take
commas (`NMT_API_KEYS=k1,k2`, `NMT_BUNDLES=en-de,en-fr`) or a JSON list. Tests and embedders pass
keyword arguments instead: `Settings(models_dir=Path("/tmp/models"))`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Every bundle (a folder holding manifest.json) found directly under `models_dir`.
ALL_BUNDLES = "*"


def _split_list(value: Any) -> Any:
    """'a, b' -> ['a', 'b']; a JSON list string or a real list passes through to pydantic."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """All knobs of the translation service, with their defaults."""

    model_config = SettingsConfigDict(env_prefix="NMT_", extra="ignore", frozen=True)

    # --- what is served --------------------------------------------------------------------------
    models_dir: Path = Path("models")
    # Bundle folders to serve: names under `models_dir`, paths, or "*" for every bundle there.
    bundles: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["en-de"])
    self_test_text: str = "Open the file menu."

    # --- process ---------------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1)  # uvicorn worker processes, each with its own models
    threads: int = Field(default=0, ge=0)  # ONNX Runtime intra-op threads per model; 0 = all cores
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = True  # one JSON line per request on the `serving.access` logger

    # --- decoding defaults (a request's `decoding` overrides them) ----------------------------
    decoding_mode: Literal["greedy", "beam"] = "beam"
    beam_size: int = Field(default=5, ge=1, le=16)
    # Output tokens per sentence at most (on top of the ratio limit): bounds the work one
    # pathological input (a very long sentence that never ends) can cost.
    max_output_tokens: int = Field(default=512, ge=1)

    # --- micro-batching --------------------------------------------------------------------------
    batch_max_texts: int = Field(default=32, ge=1)  # texts in one micro-batch
    # padded source tokens: texts x longest estimate
    batch_max_tokens: int = Field(default=2048, ge=1)
    # how long the oldest text may wait for company while another batch runs (idle: no wait)
    batch_wait_ms: float = Field(default=2.0, ge=0)
    batch_wait_idle: bool = False  # wait for company on an idle model too (bulk traffic)
    # micro-batches of one model in flight at once: a second one uses the cores a single
    # search leaves idle (bench/results/loadtest-*: measured throughput and latency)
    batch_concurrency: int = Field(default=2, ge=1, le=8)
    # decoder steps (rows x steps at most) in one micro-batch: bounds how long a batch holds a
    # slot, so the next request's turn comes soon (a single text over it runs alone)
    batch_max_steps: int = Field(default=131072, ge=1)
    # a batch of at most this many decoder steps is light; heavier batches never take the last
    # free slot (with batch_concurrency >= 2), so short requests are not stuck behind long ones.
    # 0: no lanes
    batch_light_steps: int = Field(default=4096, ge=0)
    # texts waiting per model; beyond: 503 + Retry-After
    queue_size: int = Field(default=1024, ge=1)
    request_timeout_s: float = Field(default=30.0, gt=0)  # a request's deadline; past it: 504
    # SIGTERM: how long in-flight work may take
    shutdown_timeout_s: float = Field(default=60.0, gt=0)

    # --- limits ----------------------------------------------------------------------------------
    max_chars: int = Field(default=5000, ge=1)  # per text; over: 413 (400 on LibreTranslate routes)
    # per request; over: 413 (400 on LibreTranslate routes)
    max_texts: int = Field(default=100, ge=1)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)  # request body; over: 413
    max_alternatives: int = Field(default=3, ge=0, le=15)  # LibreTranslate `alternatives`
    # per text: SentencePiece pieces over its sentences, counted by the served model's own
    # tokenizer (5,000 characters of English are ~1,300; of CJK up to ~15,000); over: 413
    max_pieces: int = Field(default=2048, ge=1)
    # per request: decoder steps at most (beam width x output cap, summed over its sentences;
    # ~20-40 s of the engine on 2 cores at worst, far less in practice); over: 413
    max_request_steps: int = Field(default=600_000, ge=1)
    # per client (API key, else address): decoder steps of its requests in flight; over: 429
    max_client_steps: int = Field(default=1_200_000, ge=1)
    # attention weights in one response (output pieces x source pieces, summed over texts)
    max_attention_cells: int = Field(default=250_000, ge=1)

    # --- LibreTranslate compatibility -----------------------------------------------------------
    # how long the web page waits after the last key stroke before translating (its
    # `frontendTimeout`, milliseconds)
    frontend_timeout_ms: int = Field(default=500, ge=0)
    # the pair the web page starts on (its `language.source/target`) when served; else the
    # first served pair. Source "auto": the page starts on "Detect language"
    frontend_source: str = "en"
    frontend_target: str = "de"
    # language identification: below this confidence (0-100) `source: auto` takes the served
    # source language (when only one is served) instead of refusing the detected one
    detect_min_confidence: float = Field(default=50.0, ge=0, le=100)
    # POST /translate_file and GET /download_file/<name>; off: 403/400, as LibreTranslate
    files_translation: bool = True
    # where translated files are kept (None: $NMT_HOME/files); several replicas: a shared folder
    files_dir: Path | None = None
    files_keep_s: float = Field(default=1800.0, gt=0)  # then deleted; never served after
    files_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1)  # an upload; over: 413
    files_max_chars: int = Field(default=200_000, ge=1)  # text in one file; over: 413
    files_timeout_s: float = Field(default=300.0, gt=0)  # one file's translation; past it: 504
    # POST /suggest stores corrections (the database below); off: 403, as LibreTranslate
    suggestions: bool = False
    # the suggestions database (SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/nmt);
    # None: SQLite at $NMT_HOME/suggestions.sqlite. Several replicas: one shared PostgreSQL
    database_url: SecretStr | None = None

    # --- security --------------------------------------------------------------------------------
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)  # empty: off
    admin_key: SecretStr | None = None  # for POST /v1/models/reload
    rate_limit_per_minute: float = Field(default=600.0, ge=0)  # per API key; 0 = unlimited
    rate_limit_burst: int = Field(default=60, ge=1)  # requests a key may send at once
    # Origins whose pages may call the translation routes (LibreTranslate's and /v1/translate,
    # /v1/models) from a browser; ["*"]: any, as LibreTranslate; empty: none. The admin routes,
    # /suggest and /metrics never answer cross-origin, whatever this says.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])
    # Host header values served; empty: the loopback names when bound to loopback, any host
    # otherwise (HOST=0.0.0.0, Kubernetes probes). "*" allows any.
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # peers whose X-Forwarded-For names the client (per-client limits); none: the peer address
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # failed keys per client: a bucket of `auth_fail_burst` refilled at this rate; over: 429
    auth_fail_per_minute: float = Field(default=10.0, gt=0)
    auth_fail_burst: int = Field(default=20, ge=1)
    # connections: the request head must arrive within header_timeout_s; an idle keep-alive
    # connection closes after idle_timeout_s
    header_timeout_s: float = Field(default=10.0, gt=0)
    idle_timeout_s: float = Field(default=5.0, gt=0)

    @field_validator(
        "bundles", "api_keys", "cors_origins", "allowed_hosts", "trusted_proxies", mode="before"
    )
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("bundles")
    @classmethod
    def _some_bundle(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one bundle must be configured")
        return value

    @property
    def hosts(self) -> list[str]:
        """The Host names served (see `allowed_hosts`); ["*"] for any."""
        if self.allowed_hosts:
            return self.allowed_hosts
        if self.host in ("127.0.0.1", "::1", "localhost"):
            return ["localhost", "127.0.0.1", "::1", "[::1]"]
        return ["*"]

    @property
    def keys_on(self) -> bool:
        """API keys are required on the translation routes."""
        return bool(self.api_keys)
