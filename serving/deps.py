"""Request-scoped helpers shared by the route modules: the app's state, content type, limits,
admission by cost."""

from __future__ import annotations

import asyncio
import dataclasses
import email.message
import math

from fastapi import Request

from nmt.translator import TextCost, Translation
from serving.batching import BatcherClosedError, BatchKey, DeadlineExceededError, QueueFullError
from serving.errors import ApiError, retry_later, too_large
from serving.metrics import Metrics
from serving.registry import Model, Registry
from serving.security import ClientBudget, Guard, client_id, peer_address, presented_key
from serving.settings import Settings

# Up to this many characters a request's costs are counted on the event loop (one SentencePiece
# call: tens of microseconds); a larger one is counted in a thread (~50 ms for 500 KB).
_INLINE_COST_CHARS = 4096


@dataclasses.dataclass(frozen=True, slots=True)
class Services:
    """What the lifespan builds once and the routes use (on `app.state.services`)."""

    settings: Settings
    registry: Registry
    metrics: Metrics
    guard: Guard
    budget: ClientBudget


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


@dataclasses.dataclass(frozen=True, slots=True)
class Admission:
    """A request let in: its texts' costs and the client its steps are charged to."""

    costs: list[TextCost]
    client: str

    @property
    def steps(self) -> int:
        return sum(c.steps for c in self.costs)


async def admit(
    request: Request, model: Model, texts: list[str], key: BatchKey, *, libretranslate: bool
) -> Admission:
    """Count what `texts` may cost on `model` with `key` (real pieces, decoder steps, attention
    size) and refuse at once, naming the limit, a request over `max_pieces` (per text),
    `max_request_steps` or `max_attention_cells`: 413 (LibreTranslate routes: 400)."""
    settings = services(request).settings

    def refuse(message: str) -> ApiError:
        if libretranslate:
            return ApiError(400, "invalid_request", f"Invalid request: {message}")
        return too_large(message)

    costs_of = model.translator.costs
    if sum(len(t) for t in texts) <= _INLINE_COST_CHARS:
        costs = costs_of(texts, key.decoding)
    else:
        costs = await asyncio.to_thread(costs_of, texts, key.decoding)

    for i, cost in enumerate(costs):
        if cost.pieces > settings.max_pieces:
            where = f"text[{i}]" if len(texts) > 1 else "text"
            raise refuse(
                f"{where} has {cost.pieces} pieces (tokens); the limit is {settings.max_pieces}"
            )
    steps = sum(c.steps for c in costs)
    if steps > settings.max_request_steps:
        raise refuse(
            f"the request may cost {steps} decoder steps (beam width x output limit over its "
            f"sentences); the limit is {settings.max_request_steps}: send fewer or shorter "
            "texts, a smaller beam or max_length_ratio"
        )
    if key.attention:
        cells = sum(c.attention_cells for c in costs)
        if cells > settings.max_attention_cells:
            raise refuse(
                f"the attention asked for may hold {cells} weights; the limit is "
                f"{settings.max_attention_cells}: ask attention for shorter texts"
            )
    return Admission(costs, client_id(request, settings))


def note_work(request: Request, texts: int, results: list[Translation] | None = None) -> None:
    """Record for the access log how many texts the request carried and, once translated, how
    many segments (sentences) they held."""
    request.state.texts = texts
    if results is not None:
        request.state.segments = sum(r.segments for r in results)


async def run_batch(
    request: Request,
    model: Model,
    texts: list[str],
    key: BatchKey,
    admission: Admission,
    *,
    libretranslate: bool = False,
) -> list[Translation]:
    """Queue `texts` on `model`'s batcher, charged to the admission's client: a client whose
    requests in flight would pass `max_client_steps` gets 429 with Retry-After. The batcher's
    refusals become 503 / 504 ApiErrors."""
    svc = services(request)
    steps = admission.steps
    if not svc.budget.reserve(admission.client, steps):
        wait = max(1, math.ceil(svc.settings.request_timeout_s / 4))
        message = (
            f"this client already has {svc.budget.used(admission.client)} decoder steps in "
            f"flight; the limit is {svc.settings.max_client_steps}: wait for your other requests"
        )
        raise retry_later(
            429, "too_much_work", f"Slowdown: {message}" if libretranslate else message, wait
        )
    try:
        return await model.batcher.translate(
            texts, key, timeout_s=svc.settings.request_timeout_s, costs=admission.costs
        )
    except QueueFullError as err:
        raise retry_later(503, "overloaded", str(err), err.retry_after_s) from None
    except BatcherClosedError as err:
        raise retry_later(503, "unavailable", str(err), 1) from None
    except DeadlineExceededError as err:
        raise ApiError(504, "deadline_exceeded", str(err)) from None
    finally:
        svc.budget.release(admission.client, steps)


def peer_client(request: Request) -> str:
    """The client address that failed keys are charged to."""
    return "ip:" + peer_address(request, services(request).settings.trusted_proxies)


def check_api_key(request: Request) -> None:
    """Key, failed-key throttle and rate limit of a v1 translation route (raises ApiError)."""
    services(request).guard.check(presented_key(request), client=peer_client(request))


def check_admin_key(request: Request) -> None:
    """The admin key of reload (raises ApiError)."""
    services(request).guard.check_admin(presented_key(request), client=peer_client(request))


async def api_key(request: Request) -> None:
    """Dependency form of `check_api_key`."""
    check_api_key(request)


async def admin_key(request: Request) -> None:
    """Dependency form of `check_admin_key`."""
    check_admin_key(request)
