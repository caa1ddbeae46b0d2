"""LibreTranslate's POST /suggest (`q` the source text, `s` the suggested translation, `source`,
`target`, `api_key`) -> {"success": true}, stored in the suggestions database
(`serving.suggestions`).

The table feeds training, so the route takes no cross-origin request: a plain form POST from any
page needs no preflight, so CORS alone would not stop one. A request whose `Origin` is not this
server's own, or that a browser marks `Sec-Fetch-Site: cross-site`/`same-site`, is refused
(403) before anything is read; and it never carries CORS headers (serving.app.ScopedCORS).
Keys: required when keys are on, as on /translate.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request

from serving.deps import services
from serving.errors import ApiError, error_responses
from serving.libretranslate import _bad, _body, _check_key, _fields, _pair_error, _params
from serving.security import presented_key
from serving.suggestions import SuggestionStore

router = APIRouter(tags=["LibreTranslate"])


def same_origin(request: Request) -> bool:
    """Whether the request came from this server's own pages (or from no browser at all)."""
    site = request.headers.get("sec-fetch-site", "")
    if site in ("cross-site", "same-site"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser's cross-origin request (curl, a server-side client)
    host = request.headers.get("host", "")
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower()


def store(request: Request) -> SuggestionStore:
    found: SuggestionStore | None = getattr(request.app.state, "suggestions", None)
    if found is None:
        raise ApiError(503, "unavailable", "the suggestions database is not ready")
    return found


@router.post(
    "/suggest",
    responses={
        **_fields(success={"type": "boolean"}),
        **error_responses([400, 403, 429], libretranslate=True),
    },
    summary="Suggest a better translation (LibreTranslate-compatible; same origin only)",
    openapi_extra=_body("LibreTranslateSuggestRequest"),
)
async def suggest(request: Request) -> dict[str, Any]:
    svc = services(request)
    if not svc.settings.suggestions:
        raise _bad("Suggestions are disabled on this server.", 403)
    if not same_origin(request):
        raise _bad("Suggestions are accepted from this server's own page only.", 403)
    params = await _params(request)
    _check_key(request, params)
    fields: dict[str, str] = {}
    for name in ("q", "s", "source", "target"):
        value = params.get(name)
        if not value or not isinstance(value, str):
            raise _bad(f"Invalid request: missing {name} parameter")
        fields[name] = value
    for name in ("q", "s"):
        if len(fields[name]) > svc.settings.max_chars:
            raise _bad(
                f"Invalid request: request ({len(fields[name])}) exceeds text limit "
                f"({svc.settings.max_chars})"
            )
    models = svc.registry.models
    found = [m for m in models if (m.source, m.target) == (fields["source"], fields["target"])]
    if not found:
        known = {m.source for m in models} | {m.target for m in models}
        for code in (fields["source"], fields["target"]):
            if code not in known:
                raise _bad(f"{code} is not supported")
        raise _pair_error(fields["source"], fields["target"], models)
    model = found[0]
    key = params.get("api_key")
    await asyncio.to_thread(
        store(request).add,
        source_text=fields["q"],
        suggestion=fields["s"],
        source_lang=model.source,
        target_lang=model.target,
        model_id=model.id,
        model_version=model.version,
        key=presented_key(request, key if isinstance(key, str) else None),
    )
    return {"success": True}
