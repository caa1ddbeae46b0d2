"""Request-scoped helpers shared by the route modules: the app's state, content type, limits."""

from __future__ import annotations

import dataclasses
import email.message

from fastapi import Request

from nmt.translator import Translation
from serving.batching import BatcherClosedError, BatchKey, DeadlineExceededError, QueueFullError
from serving.errors import ApiError, retry_later, too_large
from serving.metrics import Metrics
from serving.registry import Model, Registry
from serving.security import Guard, presented_key
from serving.settings import Settings


@dataclasses.dataclass(frozen=True, slots=True)
class Services:
    """What the lifespan builds once and the routes use (on `app.state.services`)."""

    settings: Settings
    registry: Registry
    metrics: Metrics
    guard: Guard


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def require_json(request: Request) -> None:
    """415 for a body that is not declared JSON (a dependency of the v1 POST routes)."""
    if request.headers.get("content-length", "0") == "0" and "transfer-encoding" not in (
        request.headers
    ):
        return  # no body: nothing to declare (reload takes an optional body)
    if not is_json(request.headers.get("content-type")):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send Content-Type: application/json, not {request.headers.get('content-type')!r}",
        )


def check_limits(texts: list[str], settings: Settings, *, what: str = "text") -> None:
    """413 when a request holds too many texts or too long a text."""
    if len(texts) > settings.max_texts:
        raise too_large(f"{len(texts)} texts in one request; the limit is {settings.max_texts}")
    for i, text in enumerate(texts):
        if len(text) > settings.max_chars:
            where = f"{what}[{i}]" if len(texts) > 1 else what
            raise too_large(
                f"{where} has {len(text)} characters; the limit is {settings.max_chars}"
            )


def note_work(request: Request, texts: int, results: list[Translation] | None = None) -> None:
    """Record for the access log how many texts the request carried and, once translated, how
    many segments (sentences) they held."""
    request.state.texts = texts
    if results is not None:
        request.state.segments = sum(r.segments for r in results)


async def run_batch(
    model: Model, texts: list[str], key: BatchKey, settings: Settings
) -> list[Translation]:
    """Queue `texts` on `model`'s batcher; its refusals become 503 / 504 ApiErrors."""
    try:
        return await model.batcher.translate(texts, key, timeout_s=settings.request_timeout_s)
    except QueueFullError as err:
        raise retry_later(503, "overloaded", str(err), err.retry_after_s) from None
    except BatcherClosedError as err:
        raise retry_later(503, "unavailable", str(err), 1) from None
    except DeadlineExceededError as err:
        raise ApiError(504, "deadline_exceeded", str(err)) from None


async def api_key(request: Request) -> None:
    """Dependency of the v1 translation routes: key and rate limit."""
    services(request).guard.check(presented_key(request))


async def admin_key(request: Request) -> None:
    services(request).guard.check_admin(presented_key(request))
