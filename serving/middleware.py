"""One ASGI middleware around every request: request id, Host check, body size limit, the
last-resort error answer, metrics, access log.

Pure ASGI (not BaseHTTPMiddleware): it adds no task or body copy per request.
- Host: a request whose Host header (port aside) is not among `allowed_hosts` is refused (400)
  before the app runs: a browser page on another name that resolves to this server (DNS
  rebinding) cannot reach it. ["*"] allows any.
- Last resort: an exception no handler mapped (a bug, a failing model) is answered here with a
  500 in the route kind's error shape and the request id, and logged as one JSON line with its
  traceback in a field; it never reaches uvicorn (which would print a plain-text traceback and
  drop the connection).
- `X-Request-ID`: taken from the request when it is a sane token (<= 128 visible ASCII
  characters), else made; echoed on the response and written in the access log.
- Body limit: a declared Content-Length over `max_body_bytes` is refused at once (413); a body
  streamed without one is counted as it is read and refused when it passes the limit.
- Metrics: requests by route template, method and status; latency by route template.
- Access log: one JSON line per request on the `serving.access` logger: request id, method,
  route, path, status, latency, texts and segments (sentences) translated, client.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.errors import ApiError, is_libretranslate_path
from serving.metrics import Metrics

access_logger = logging.getLogger("serving.access")
logger = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"^[!-~]{1,128}$")
# Request ids need to be unique, not secret: a PRNG seeded once from the OS gives 128 random
# bits without uuid4's urandom system call on every request (measured on the event loop's
# profile under 32 clients: uuid4 was a tenth of its time).
_IDS = random.Random()


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"request body over {limit} bytes")


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched"
    return str(path) or "/"


async def _send_error(scope: Scope, send: Send, err: ApiError) -> None:
    """Answer directly (before the app runs), in the route kind's error shape."""
    if is_libretranslate_path(scope.get("path", "")):
        body: dict[str, Any] = {"error": err.message}
    else:
        body = {"error": {"code": err.code, "message": err.message}}
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def host_allowed(host_header: str, allowed: list[str]) -> bool:
    """Whether a Host header names one of `allowed` (its port ignored; "*" allows any)."""
    if "*" in allowed:
        return True
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8000
        host = host[: host.find("]") + 1]
    elif host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    return host in allowed


def _unexpected(scope: Scope, exc: BaseException) -> ApiError:
    if is_libretranslate_path(scope.get("path", "")):
        return ApiError(500, "internal_error", f"Cannot translate text: {type(exc).__name__}")
    return ApiError(500, "internal_error", "internal error; the server log has the details")


class RequestContext:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        max_body_bytes: int,
        log: bool,
        allowed_hosts: list[str] | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.log = log
        self.allowed_hosts = [h.lower() for h in allowed_hosts or ["*"]]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else f"{_IDS.getrandbits(128):032x}"
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500  # what the client sees if the app fails before answering
        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                extra = [(b"x-request-id", request_id.encode())]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            declared = headers.get("content-length", "")
            if not host_allowed(headers.get("host", ""), self.allowed_hosts):
                err = ApiError(400, "invalid_host", "this Host is not served (NMT_ALLOWED_HOSTS)")
                await _send_error(scope, send_with_id, err)
            elif declared.isdigit() and int(declared) > self.max_body_bytes:
                await _send_error(scope, send_with_id, _too_large(self.max_body_bytes))
            else:
                await self.app(scope, self._counting(receive), send_with_id)
        except Exception as exc:  # the last resort: see the module docstring
            fields = {"request_id": request_id, "path": scope.get("path", "")}
            logger.error("unhandled %s", type(exc).__name__, exc_info=exc, extra={"fields": fields})
            if not started_response:
                await _send_error(scope, send_with_id, _unexpected(scope, exc))
        finally:
            self._observe(scope, status, time.perf_counter() - started, request_id)

    def _counting(self, receive: Receive) -> Receive:
        """`receive` that refuses a body over the limit: an HTTPException(413), which FastAPI's
        body parser lets through (it turns other errors into 400) to the app's error handler."""
        seen = 0
        limit = self.max_body_bytes

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, _too_large(limit).message)
            return message

        return counted

    def _observe(self, scope: Scope, status: int, elapsed: float, request_id: str) -> None:
        route = _route_label(scope)
        method = scope.get("method", "")
        self.metrics.requests.labels(route, method, str(status)).inc()
        self.metrics.latency.labels(route).observe(elapsed)
        if not self.log:
            return
        client = scope.get("client")
        record = {
            "request_id": request_id,
            "method": method,
            "route": route,
            "path": scope.get("path", ""),
            "status": status,
            "latency_ms": round(elapsed * 1000, 2),
            "texts": scope.get("state", {}).get("texts", 0),
            "segments": scope.get("state", {}).get("segments", 0),
            "client": client[0] if client else None,
        }
        access_logger.info("access", extra={"fields": record})
