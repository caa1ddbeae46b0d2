"""The FastAPI application: `create_app(settings)`.

Models load once, in the lifespan (startup fails with the bundle's problem named if one cannot
be used), and their queues drain in its shutdown: uvicorn stops accepting connections on
SIGTERM, lets in-flight requests finish (their texts are queued, so they are translated), then
runs the shutdown, which stops each batcher once its queue is empty.

`uvicorn --factory serving.app:create_app` builds the app from the environment (`NMT_*`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Receive, Scope, Send

from nmt import __version__
from serving import languages, libretranslate, logs, lt_files, lt_suggest, service, v1
from serving.deps import Services
from serving.errors import ErrorResponse, install_error_handlers
from serving.metrics import Metrics
from serving.middleware import RequestContext
from serving.registry import Registry
from serving.security import ClientBudget, Guard
from serving.settings import Settings
from serving.suggestions import SuggestionStore

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service for `settings` (default: from the environment). Nothing loads until the
    lifespan starts (the first request of a TestClient, or uvicorn's startup)."""
    settings = settings or Settings()
    logs.configure(settings.log_level)
    metrics = Metrics()
    registry = Registry(settings, metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await registry.load()
        await asyncio.to_thread(languages.load)
        await asyncio.to_thread(lt_files.file_store(settings).sweep)
        if settings.suggestions:
            url = settings.database_url.get_secret_value() if settings.database_url else None
            app.state.suggestions = SuggestionStore(url)
            await asyncio.to_thread(app.state.suggestions.migrate)
        try:
            yield
        finally:
            if settings.suggestions:
                app.state.suggestions.close()
            logger.info("shutting down: draining the queues")
            await registry.close()
            logger.info("drained; bye")

    # FastAPIOffline: /docs and /redoc with Swagger UI and ReDoc served by the app itself, not
    # from a CDN: the service is meant to run where nothing outside can be reached.
    app = FastAPIOffline(
        title="nmt translation service",
        version=__version__,
        description="Offline English->German machine translation for software-localization "
        "text: a v1 API, LibreTranslate-compatible routes, health and metrics.",
        lifespan=lifespan,
    )
    app.state.services = Services(
        settings, registry, metrics, Guard(settings), ClientBudget(settings.max_client_steps)
    )
    install_error_handlers(app)
    app.include_router(v1.router)
    app.include_router(libretranslate.router)
    app.include_router(lt_files.router)
    app.include_router(lt_suggest.router)
    app.include_router(service.router)
    _web(app)
    if settings.cors_origins:
        app.add_middleware(ScopedCORS, origins=settings.cors_origins)
    app.add_middleware(
        RequestContext,
        metrics=metrics,
        max_body_bytes=settings.max_body_bytes,
        log=settings.access_log,
        allowed_hosts=settings.hosts,
    )
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    return app


# The routes a page on another origin may call: translation and what a client needs to discover
# (LibreTranslate's, as it allows them; /v1/translate and /v1/models). Not the admin routes, not
# /suggest (it feeds training: a plain form POST from any page needs no preflight), not /metrics.
CORS_PATHS = frozenset(
    {
        "/translate", "/detect", "/languages", "/translate_file", "/frontend/settings", "/spec",
        "/health", "/v1/translate", "/v1/models",
    }
)  # fmt: skip
CORS_PREFIXES = ("/download_file/",)


class ScopedCORS:
    """Starlette's CORS middleware on `CORS_PATHS` only; every other path is passed on as it
    came, so it never carries an Access-Control-Allow-Origin header and its preflight fails."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "Authorization", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path in CORS_PATHS or path.startswith(CORS_PREFIXES):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _web(app: FastAPI) -> None:
    """The web page at / and its files under /static (no build step)."""

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """FastAPI's schema, with the LibreTranslate schemas and our error body as components, and
    FastAPI's unused {"detail"} validation schemas removed. The text fields carry this server's
    limits (characters, texts), so a schema-valid body is one the server takes."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(libretranslate.openapi_schemas(settings))
    components.setdefault("ErrorResponse", ErrorResponse.model_json_schema())
    # The served languages as enums, so that a body valid by the schema names a served pair
    # (the fuzzer then reaches the handlers). Over-limit text stays a documented 413, not a
    # schema violation, as schemathesis counts 413 as acceptance.
    models = app.state.services.registry.models
    sources = [*sorted({m.source for m in models}), "auto"]
    targets = sorted({m.target for m in models})
    props = components.get("TranslateRequest", {}).get("properties", {})
    for name, values in (("source", sources), ("target", targets)):
        if name in props and values:
            props[name]["enum"] = values
    for lt in ("LibreTranslateTranslateRequest", "LibreTranslateTranslateRequestForm"):
        lt_props = components[lt]["properties"]
        lt_props["source"]["enum"] = sources
        lt_props["target"]["enum"] = targets
    for lt in ("LibreTranslateSuggestRequest", "LibreTranslateSuggestRequestForm"):
        lt_props = components[lt]["properties"]
        lt_props["source"] = {**lt_props["source"], "enum": sources[:-1]}  # no "auto" here
        lt_props["target"] = {**lt_props["target"], "enum": targets}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    # FastAPI's own 422 entries (routes with path parameters) name that removed schema; a
    # path parameter that fails is answered by the route itself
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422", {})
            if "HTTPValidationError" in str(answer):
                del operation["responses"]["422"]
    app.openapi_schema = schema
    return schema
