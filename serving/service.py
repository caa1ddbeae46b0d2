"""Service routes: GET /healthz, GET /readyz, GET /metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from serving.deps import services
from serving.errors import error_responses
from serving.schemas import Health

router = APIRouter(tags=["service"])


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Health,
    responses=error_responses([503]),
    summary="Bundles loaded and their self-test translation passed",
)
async def readyz(request: Request) -> Any:
    registry = services(request).registry
    if not registry.ready or registry.closing:
        why = "shutting down" if registry.closing else "loading models"
        return JSONResponse(
            {"error": {"code": "not_ready", "message": why}},
            status_code=503,
            headers={"Retry-After": "1"},
        )
    return {
        "status": "ready",
        "models": [{"id": m.id, "version": m.version} for m in registry.models],
    }


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="Prometheus metrics",
)
async def metrics(request: Request) -> Response:
    found = services(request).metrics
    return Response(found.render(), media_type=found.content_type)
