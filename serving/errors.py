"""Errors and their HTTP form: the one place that maps exceptions to responses.

Our own routes answer `{"error": {"code": "...", "message": "..."}}`; the LibreTranslate routes
(every path outside /v1/ and the service routes, unknown ones included:
`is_libretranslate_path`) answer `{"error": "<message>"}`, as LibreTranslate does, because its
clients read that shape. FastAPI's default `{"detail": ...}` never reaches a client: validation
errors, unknown routes (404), wrong methods (405) and anything unexpected (500) go through here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger(__name__)

# Our own routes: the versioned API (/v1/..., and /v2/... were there one) and the service
# routes. Every other path, unknown ones included, is LibreTranslate's namespace (/translate,
# /detect, /frontend/settings, /foo ...), answered in its shape: a simple LibreTranslate client
# shows `error` as it is.
_OWN_API = re.compile(r"^/v[0-9]+(/|$)")
_OWN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json"})


def is_libretranslate_path(path: str) -> bool:
    """Whether errors on `path` take LibreTranslate's `{"error": "..."}` shape."""
    return not (path in _OWN_PATHS or path.startswith("/static/") or _OWN_API.match(path))


class ApiError(Exception):
    """An answer other than success: HTTP `status`, a stable machine `code`, a human `message`
    and extra `headers` (Retry-After, Allow)."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def too_large(message: str) -> ApiError:
    return ApiError(413, "too_large", message)


def invalid_field(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_request", f"{field}: {message}")


def retry_later(status: int, code: str, message: str, retry_after_s: float) -> ApiError:
    """429 / 503 with a Retry-After in whole seconds (at least 1)."""
    return ApiError(status, code, message, {"Retry-After": str(max(1, round(retry_after_s)))})


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    """Every error of the v1 API and of the service routes."""

    error: ErrorDetail


class LibreTranslateError(BaseModel):
    """Every error of the LibreTranslate-compatible routes."""

    error: str


_DESCRIPTIONS = {
    400: "Bad request (unsupported language pair, bad parameter)",
    401: "API key missing",
    403: "API key wrong, or not the admin key",
    404: "Not found",
    405: "Method not allowed",
    409: "The bundle failed verification; the old model keeps serving",
    413: "Body, text or text count over the limit",
    415: "Content-Type is not application/json",
    422: "Malformed JSON or a field out of range; the message names the field",
    429: "Too many requests: the key's rate limit, wrong keys from this client or its work in "
    "flight; see Retry-After",
    503: "Queue full or not ready; see Retry-After",
    504: "The request's deadline passed",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def error_responses(codes: Sequence[int], *, libretranslate: bool = False) -> dict[int | str, Any]:
    """OpenAPI `responses` entries for `codes`, with the error schema of the route's kind."""
    model = LibreTranslateError if libretranslate else ErrorResponse
    out: dict[int | str, Any] = {}
    for code in codes:
        entry: dict[str, Any] = {"model": model, "description": _DESCRIPTIONS[code]}
        if code in (429, 503):
            entry["headers"] = _RETRY_AFTER
        out[code] = entry
    return out


def error_response(request: Request, err: ApiError) -> JSONResponse:
    """The JSON answer to `err` in the shape the requested route's clients expect."""
    if is_libretranslate_path(request.url.path):
        body: dict[str, Any] = {"error": err.message}
    else:
        body = {"error": {"code": err.code, "message": err.message}}
    return JSONResponse(body, status_code=err.status, headers=err.headers)


def _field_name(loc: Sequence[Any]) -> str:
    """('body', 'decoding', 'beam_size') -> 'decoding.beam_size'; list indices in brackets."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    name = ""
    for part in parts:
        name += f"[{part}]" if part.isdigit() else (f".{part}" if name else part)
    return name or "body"


def describe_validation(errors: Sequence[Mapping[str, Any]]) -> str:
    """One line naming each bad field: 'decoding.beam_size: Input should be <= 16; ...'."""
    lines = []
    for e in errors[:5]:
        if e.get("type") == "json_invalid":
            reason = e.get("ctx", {}).get("error", "invalid JSON")
            lines.append(f"body: malformed JSON ({reason})")
            continue
        message = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        lines.append(f"{_field_name(e.get('loc', ()))}: {message}")
    return "; ".join(lines)


async def _on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(request, exc)


def _key_error(request: Request) -> ApiError | None:
    """The key check of a v1 route, for a request whose body could not be parsed: the body is
    read before the route's dependencies run, and a client without a valid key must learn that
    (401/403/429), not how its body is wrong."""
    path = request.url.path
    if not path.startswith("/v1/"):
        return None
    from serving.deps import check_admin_key, check_api_key  # deps imports this module

    try:
        (check_admin_key if path == "/v1/models/reload" else check_api_key)(request)
    except ApiError as err:
        return err
    return None


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    refused = _key_error(request)
    if refused is not None:
        return error_response(request, refused)
    status = 400 if is_libretranslate_path(request.url.path) else 422
    err = ApiError(status, "invalid_request", describe_validation(exc.errors()))
    return error_response(request, err)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 400: "bad_request"}


def _allowed_methods(request: Request) -> str:
    """Every method some route of this path takes (Starlette's Allow names only the first
    route's, and /languages has one route per method). Asks each route whether it would take
    the request with that method, so included routers are searched too."""
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status, headers = exc.status_code, dict(exc.headers or {})
    code = _HTTP_CODES.get(status, "http_error")
    message = str(exc.detail)
    if status == 404:
        message = f"no route {request.url.path}"
    elif status == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    elif status == 400 and (refused := _key_error(request)) is not None:
        return error_response(request, refused)
    elif status == 400 and not is_libretranslate_path(request.url.path):
        # FastAPI's body parser gives 400 for a body it cannot decode (not UTF-8): to us that
        # is malformed JSON like any other, 422.
        status, code, message = 422, "invalid_request", f"body: malformed JSON ({message})"
    return error_response(request, ApiError(status, code, message, headers))


def install_error_handlers(app: FastAPI) -> None:
    """Map our errors, validation and HTTP errors. Anything else (a bug, a failing model) is
    answered by `serving.middleware.RequestContext`, which sits inside Starlette's outermost
    error middleware and so can still add the request id and keep the connection."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
