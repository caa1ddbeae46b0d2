"""LibreTranslate-compatible routes: POST /translate, GET /languages, POST /detect,
GET /frontend/settings, GET /health, GET /spec.

Existing LibreTranslate clients (libretranslatepy, Weblate's backend) work unchanged: requests
are JSON, form-encoded or multipart, `q` a string or (JSON) a list; answers and errors take
LibreTranslate's shapes and status codes (`{"error": "<message>"}`, 400 for bad parameters and
over-limit text, 400/403 for a missing/wrong key, 429 "Slowdown: ..."). `format` "html" and
"text" go through the same pipeline, which protects tags and entities either way.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData

from serving import languages
from serving.batching import BatchKey
from serving.deps import admit, is_json, note_work, peer_client, run_batch, services
from serving.errors import ApiError, error_responses
from serving.registry import Model
from serving.schemas import check_text
from serving.security import presented_key
from serving.settings import Settings

router = APIRouter(tags=["LibreTranslate"])

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_LT_ERRORS = error_responses([400, 403, 413, 429, 503, 504], libretranslate=True)


def _body(schema: str) -> dict[str, Any]:
    """An OpenAPI request body in every media type these routes read: `schema` as JSON, its
    `...Form` variant as a form (where a list of one text is that text, and there is no null).
    Required: the query-string parameters LibreTranslate also reads are left undocumented."""
    json_body = {"schema": {"$ref": f"#/components/schemas/{schema}"}}
    form = {"schema": {"$ref": f"#/components/schemas/{schema}Form"}}
    content = {"application/json": json_body, **dict.fromkeys(_FORM_TYPES, form)}
    return {"requestBody": {"required": True, "content": content}}


def _bad(message: str, status: int = 400) -> ApiError:
    return ApiError(status, "invalid_request", message)


async def _params(request: Request) -> dict[str, Any]:
    """The request's parameters from the query string and a JSON or form body, as Flask's
    `request.values` / `get_json()` give them to LibreTranslate."""
    params: dict[str, Any] = dict(request.query_params)
    ctype = request.headers.get("content-type", "")
    body = await request.body()
    if not body:
        return params
    if is_json(ctype):
        try:
            data = json.loads(body)
        # JSONDecodeError and UnicodeDecodeError are ValueErrors, so is a number over Python's
        # 4,300-digit limit; RecursionError: nesting deeper than the interpreter's stack allows
        except (ValueError, RecursionError):
            raise _bad(
                "Invalid request: malformed JSON (or numbers or nesting too large)"
            ) from None
        if not isinstance(data, dict):
            raise _bad("Invalid request: the JSON body must be an object")
        return {**params, **data}
    media = ctype.split(";")[0].strip().lower()
    if media == _FORM_TYPES[0]:
        # parsed here, not by request.form(): its parser reads bytes that are not
        # percent-encoded as Latin-1, and `curl -d q='Datei öffnen'` sends raw UTF-8
        try:
            pairs = urllib.parse.parse_qsl(
                body.decode("utf-8"), keep_blank_values=True, max_num_fields=1000
            )
        except (UnicodeDecodeError, ValueError):
            raise _bad("Invalid request: malformed form body (not UTF-8)") from None
        found: dict[str, list[str]] = {}
        for key, value in pairs:
            found.setdefault(key, []).append(value)
        for key, values in found.items():
            params[key] = values[0] if len(values) == 1 else values
        return params
    if media in _FORM_TYPES:
        try:
            form: FormData = await request.form()
        except Exception:  # python-multipart's parse errors have no common base class
            raise _bad("Invalid request: malformed form body") from None
        for key in form:
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            params[key] = values[0] if len(values) == 1 else values
    return params


def _check_key(request: Request, params: dict[str, Any]) -> None:
    """Keys and rate limit, with the key from the headers or the `api_key` field."""
    field = params.get("api_key")
    if field is not None and not isinstance(field, str):
        raise _bad("Invalid request: api_key must be a string")
    services(request).guard.check(
        presented_key(request, field), client=peer_client(request), libretranslate=True
    )


def _texts(params: dict[str, Any]) -> tuple[list[str], bool]:
    """`q` as a list of strings, and whether it came as a list (a batch)."""
    q = params.get("q")
    if q is None or q == "" or q == []:
        raise _bad("Invalid request: missing q parameter")
    batch = isinstance(q, list)
    texts = q if batch else [q]
    if not all(isinstance(t, str) for t in texts):
        raise _bad("Invalid request: q must be a string or a list of strings")
    for text in texts:
        try:
            check_text(text)
        except ValueError as err:
            raise _bad(f"Invalid request: {err}") from None
    return texts, batch


def _check_limits(texts: list[str], request: Request) -> None:
    settings = services(request).settings
    if len(texts) > settings.max_texts:
        raise _bad(
            f"Invalid request: request ({len(texts)}) exceeds text limit ({settings.max_texts})"
        )
    longest = max(len(t) for t in texts)
    if longest > settings.max_chars:
        raise _bad(
            f"Invalid request: request ({longest}) exceeds text limit ({settings.max_chars})"
        )


def served_pairs(models: list[Model]) -> str:
    """'English -> German' for each served pair, comma-separated."""
    pairs = sorted({(m.source, m.target) for m in models})
    return ", ".join(f"{languages.name(a)} -> {languages.name(b)}" for a, b in pairs)


def _pair_error(source: str, target: str, models: list[Model]) -> ApiError:
    return _bad(
        f"{languages.name(source)} -> {languages.name(target)} is not served; this server "
        f"translates {served_pairs(models)}"
    )


def _model(request: Request, source: str, target: str, texts: list[str]) -> tuple[Model, float]:
    """The model for the pair, and the detection confidence when `source` is auto.

    A code that no served model knows is "xx is not supported" (LibreTranslate's words, which
    its clients match); two known languages that are not a served pair name what is served."""
    models = services(request).registry.models
    known = {m.source for m in models} | {m.target for m in models}
    if target not in known:
        raise _bad(f"{target} is not supported")
    if source == "auto":
        return _detected_model(request, texts, target)
    if source not in known:
        raise _bad(f"{source} is not supported")
    found = [m for m in models if m.source == source and m.target == target]
    if not found:
        raise _pair_error(source, target, models)
    return found[0], 0.0


def _detected_model(request: Request, texts: list[str], target: str) -> tuple[Model, float]:
    """The model for `source: auto`: the detected language when a model for it is served; a
    400 naming it when it is confidently another; below `detect_min_confidence` (short strings
    such as "Status" are the same in many languages) the served source language, when only one
    is served for `target`."""
    svc = services(request)
    models = svc.registry.models
    candidates = {m.source: m for m in models if m.target == target}
    ranked = languages.identify(" ".join(texts))
    scores = dict(ranked)
    for code, confidence in ranked[:1]:
        if code in candidates:
            return candidates[code], confidence
        if confidence >= svc.settings.detect_min_confidence:
            raise _bad(
                f"{languages.name(code)} ({code}) was detected (confidence {confidence:g}) and "
                f"is not served; this server translates {served_pairs(models)}"
            )
    served = [code for code, _ in ranked if code in candidates]
    if served:  # a served language among the next guesses
        return candidates[served[0]], scores[served[0]]
    if len(candidates) == 1:
        (only,) = candidates.values()
        return only, 0.0
    raise _bad(
        "Invalid request: the source language could not be detected; name it in source "
        f"(served: {served_pairs(models)})"
    )


def _alternatives(params: dict[str, Any], limit: int) -> int:
    raw = params.get("alternatives", 0)
    try:  # an int, or its decimal string (forms); not a bool, not 2.5
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError(raw)
        if isinstance(raw, str) and len(raw.strip()) > 6:
            raise ValueError(raw)  # no count that long is allowed; int() of it could be slow
        count = int(raw)
    except (TypeError, ValueError, OverflowError):
        raise _bad("Invalid request: alternatives must be an integer") from None
    if count < 0 or count > limit:
        raise _bad(f"Invalid request: alternatives ({count}) exceeds limit ({limit})")
    return count


@router.post(
    "/translate",
    responses={
        200: {
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/LibreTranslateTranslateResponse"}
                }
            }
        },
        **_LT_ERRORS,
    },
    openapi_extra=_body("LibreTranslateTranslateRequest"),
    summary="Translate (LibreTranslate-compatible)",
)
async def translate(request: Request) -> dict[str, Any]:
    svc = services(request)
    params = await _params(request)
    _check_key(request, params)
    texts, batch = _texts(params)
    source, target = params.get("source"), params.get("target")
    if not source or not isinstance(source, str):
        raise _bad("Invalid request: missing source parameter")
    if not target or not isinstance(target, str):
        raise _bad("Invalid request: missing target parameter")
    fmt = params.get("format", "text")  # absent: text; empty or another value: 400
    if fmt not in ("text", "html"):
        raise _bad(f"{fmt} format is not supported")
    count = _alternatives(params, svc.settings.max_alternatives)
    _check_limits(texts, request)
    model, confidence = _model(request, source, target, texts)
    decoding = model.decoding
    if count:  # alternatives need a beam wide enough to hold them
        beam = max(decoding.beam_size, count + 1)
        decoding = dataclasses.replace(decoding, mode="beam", beam_size=beam, n_best=count + 1)
    note_work(request, len(texts))
    key = BatchKey(decoding, False, False)
    admission = await admit(request, model, texts, key, libretranslate=True)
    results = await run_batch(request, model, texts, key, admission, libretranslate=True)
    note_work(request, len(texts), results)
    detected = {"confidence": confidence, "language": model.source}
    outs = [r.text for r in results]
    alts = [[a.text for a in r.alternatives][:count] for r in results]
    answer: dict[str, Any] = {"translatedText": outs if batch else outs[0]}
    if count:
        answer["alternatives"] = alts if batch else alts[0]
    if source == "auto":
        answer["detectedLanguage"] = [detected] * len(texts) if batch else detected
    return answer


_LANGUAGES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/LibreTranslateLanguages"}}
        }
    },
}


@router.get(
    "/languages",
    responses=_LANGUAGES,
    summary="Languages and their targets (LibreTranslate-compatible)",
)
async def list_languages(request: Request) -> list[dict[str, Any]]:
    """Every language of a served pair, each with the targets served from it. A language that
    is only a target is listed too (with no targets): Weblate's backend reads the codes alone
    and offers a pair only when both of its languages are listed."""
    models = services(request).registry.models
    codes = sorted({m.source for m in models} | {m.target for m in models})
    return [
        {
            "code": code,
            "name": languages.name(code),
            "targets": sorted(m.target for m in models if m.source == code),
        }
        for code in codes
    ]


@router.post(
    "/detect",
    responses={
        200: {
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/LibreTranslateDetections"}
                }
            }
        },
        **_LT_ERRORS,
    },
    openapi_extra=_body("LibreTranslateDetectRequest"),
    summary="Detect the language among the 176 the model knows (LibreTranslate-compatible)",
)
async def detect(request: Request) -> list[Any]:
    svc = services(request)
    params = await _params(request)
    _check_key(request, params)
    texts, batch = _texts(params)
    _check_limits(texts, request)
    fallback = min(m.source for m in svc.registry.models) if svc.registry.models else "en"
    found = []
    for text in texts:
        ranked = languages.identify(text) or [(fallback, 0.0)]
        found.append([{"confidence": c, "language": lang} for lang, c in ranked])
    return found if batch else found[0]


def _object(schema: str) -> dict[int | str, dict[str, Any]]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {200: {"content": {"application/json": {"schema": ref}}}}


def _fields(**properties: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """A 200 answer that is a JSON object of exactly these (required) fields."""
    schema = {"type": "object", "required": list(properties), "properties": properties}
    return {200: {"content": {"application/json": {"schema": schema}}}}


@router.get(
    "/frontend/settings",
    responses=_object("LibreTranslateFrontendSettings"),
    summary="What a client may send and whether a key is needed (LibreTranslate-compatible)",
)
async def frontend_settings(request: Request) -> dict[str, Any]:
    svc = services(request)
    settings = svc.settings
    models = svc.registry.models
    formats = file_formats(settings)
    pairs = sorted({(m.source, m.target) for m in models})
    wanted = (settings.frontend_source, settings.frontend_target)
    served = [p for p in pairs if wanted[0] in (p[0], "auto") and p[1] == wanted[1]]
    source, target = (wanted if served else pairs[0]) if pairs else ("en", "de")

    def language(code: str) -> dict[str, str]:
        return {"code": code, "name": "Auto Detect" if code == "auto" else languages.name(code)}

    return {
        "charLimit": settings.max_chars,
        "frontendTimeout": settings.frontend_timeout_ms,
        "apiKeys": settings.keys_on,
        "keyRequired": settings.keys_on,
        "suggestions": settings.suggestions,
        "filesTranslation": bool(formats),
        "supportedFilesFormat": formats,
        "language": {
            "source": language(source),
            "target": language(target),
        },
        # ours, beyond LibreTranslate's fields: the other limits a client should know
        "textLimit": settings.max_texts,
        "alternativesLimit": settings.max_alternatives,
    }


def file_formats(settings: Settings) -> list[str]:
    """The file extensions /translate_file takes ([] when file translation is off)."""
    from serving import lt_files  # it imports this module

    return lt_files.supported_formats(settings)


@router.get(
    "/health",
    responses=_object("LibreTranslateHealth"),
    summary="The process is alive (LibreTranslate-compatible; /readyz tells whether models are)",
)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/spec", summary="The OpenAPI document (LibreTranslate's /spec)")
async def spec(request: Request) -> dict[str, Any]:
    document: dict[str, Any] = request.app.openapi()
    return document


def openapi_schemas(settings: Settings) -> dict[str, Any]:
    """Component schemas referenced above (added to the OpenAPI document by the app factory),
    as tight as the routes' checks: a body valid by its schema is one the route takes (the cost
    limits aside; the app factory adds the served languages as enums)."""
    # an empty q is refused, an empty item of a list is translated (to itself)
    text = {"type": "string", "maxLength": settings.max_chars}
    many = {"type": "array", "items": text, "minItems": 1, "maxItems": settings.max_texts}
    q = {"oneOf": [{**text, "minLength": 1}, many]}
    key = {"type": ["string", "null"], "description": "an API key (null or absent: none)"}
    code = {"type": "string", "minLength": 1, "maxLength": 32}
    translate = {
        "q": q,
        "source": {**code, "description": "A language code, or auto"},
        "target": code,
        "format": {"type": "string", "enum": ["text", "html"]},
        "alternatives": {"type": "integer", "minimum": 0, "maximum": settings.max_alternatives},
        "api_key": key,
    }
    # A form has no null, and a field given once is a string: q as a list needs two texts or
    # more (q=a&q=b); an empty api_key is none.
    form_q = {"oneOf": [{**text, "minLength": 1}, {**many, "minItems": 2}]}
    form_key = {"type": "string", "description": "an API key (empty or absent: none)"}
    form = {"q": form_q, "api_key": form_key}
    one_text = {**text, "minLength": 1}
    suggest: dict[str, Any] = {
        "type": "object",
        "required": ["q", "s", "source", "target"],
        "properties": {
            "q": one_text,
            "s": one_text,
            "source": code,
            "target": code,
            "api_key": key,
        },
    }
    return {
        "LibreTranslateTranslateRequest": {
            "type": "object",
            "required": ["q", "source", "target"],
            "properties": translate,
        },
        "LibreTranslateTranslateRequestForm": {
            "type": "object",
            "required": ["q", "source", "target"],
            "properties": {**translate, **form},
        },
        "LibreTranslateDetectRequest": {
            "type": "object",
            "required": ["q"],
            "properties": {"q": q, "api_key": key},
        },
        "LibreTranslateDetectRequestForm": {
            "type": "object",
            "required": ["q"],
            "properties": form,
        },
        # /suggest: one source text and its suggested translation (no lists, no auto)
        "LibreTranslateSuggestRequest": suggest,
        "LibreTranslateSuggestRequestForm": {
            **suggest,
            "properties": {**suggest["properties"], "api_key": form_key},
        },
        "LibreTranslateTranslateResponse": {
            "type": "object",
            "required": ["translatedText"],
            "properties": {
                "translatedText": {
                    "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
                },
                "alternatives": {"type": "array"},
                "detectedLanguage": {"oneOf": [{"type": "object"}, {"type": "array"}]},
            },
        },
        "LibreTranslateLanguages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "name", "targets"],
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "targets": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "LibreTranslateDetections": {"type": "array"},
        "LibreTranslateHealth": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string"}},
        },
        "LibreTranslateFrontendSettings": {
            "type": "object",
            "required": [
                "charLimit",
                "frontendTimeout",
                "apiKeys",
                "keyRequired",
                "suggestions",
                "filesTranslation",
                "supportedFilesFormat",
                "language",
            ],
            "properties": {
                "charLimit": {"type": "integer"},
                "frontendTimeout": {"type": "integer"},
                "apiKeys": {"type": "boolean"},
                "keyRequired": {"type": "boolean"},
                "suggestions": {"type": "boolean"},
                "filesTranslation": {"type": "boolean"},
                "supportedFilesFormat": {"type": "array", "items": {"type": "string"}},
                "language": {"type": "object"},
                "textLimit": {"type": "integer"},
                "alternativesLimit": {"type": "integer"},
            },
        },
    }
