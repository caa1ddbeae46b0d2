"""The v1 API: POST /v1/translate, GET /v1/models, POST /v1/models/reload."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from nmt.config import DecodingConfig, LengthPenaltyConfig
from nmt.translator import Translation
from serving.batching import BatchKey
from serving.deps import (
    admin_key,
    admit,
    api_key,
    check_limits,
    note_work,
    require_json,
    run_batch,
    services,
)
from serving.errors import error_responses, invalid_field
from serving.schemas import (
    Decoding,
    ModelsResponse,
    ReloadRequest,
    ReloadResponse,
    ReturnOptions,
    TranslateRequest,
    TranslateResponse,
)

router = APIRouter(prefix="/v1", tags=["v1"])

SCORE_DECIMALS = 4  # float32 noise between batch shapes sits far below this


def resolve_decoding(req: Decoding | None, default: DecodingConfig) -> DecodingConfig:
    """The request's decoding over the model's default. 422 (naming the field) for an n_best
    that the mode or beam size does not allow. n_best > 1 or a beam_size alone imply beam."""
    if req is None:
        return default
    n_best = req.n_best or 1
    implied = "beam" if req.beam_size is not None or n_best > 1 else default.mode
    mode = req.mode or implied
    beam_size = req.beam_size or default.beam_size
    if mode == "greedy" and n_best != 1:
        raise invalid_field("decoding.n_best", "must be 1 for greedy decoding")
    if mode == "beam" and n_best > beam_size:
        raise invalid_field("decoding.n_best", f"must be <= beam_size ({beam_size})")
    changes: dict[str, Any] = {"mode": mode, "beam_size": beam_size, "n_best": n_best}
    if req.length_penalty is not None:
        lp = req.length_penalty
        changes["length_penalty"] = LengthPenaltyConfig(type=lp.type, alpha=lp.alpha)
    if req.max_length_ratio is not None:
        changes["max_length_ratio"] = req.max_length_ratio
    if req.min_length is not None:
        changes["min_length"] = req.min_length
    return dataclasses.replace(default, **changes)


def translation_out(result: Translation, ret: ReturnOptions) -> dict[str, Any]:
    """One Translation as the API shows it: scores rounded, parts only on request."""

    def score(value: float) -> float | None:
        return round(value, SCORE_DECIMALS) if ret.scores else None

    out: dict[str, Any] = {
        "text": result.text,
        "score": score(result.score),
        "alternatives": [{"text": a.text, "score": score(a.score)} for a in result.alternatives],
    }
    if ret.alignment:
        out["alignment"] = [list(link) for link in result.alignment]
    if ret.attention and result.attention is not None:
        out["attention"] = result.attention.as_dict()
    return out


@router.post(
    "/translate",
    response_model=TranslateResponse,
    response_model_exclude_none=True,
    responses=error_responses([400, 401, 403, 405, 413, 415, 422, 429, 503, 504]),
    dependencies=[Depends(require_json), Depends(api_key)],
    summary="Translate a text or a list of texts",
)
async def translate(body: TranslateRequest, request: Request) -> dict[str, Any]:
    svc = services(request)
    texts = [body.text] if isinstance(body.text, str) else body.text
    check_limits(texts, svc.settings)
    model = svc.registry.resolve(body.source, body.target)
    cfg = resolve_decoding(body.decoding, model.decoding)
    note_work(request, len(texts))
    glossary = tuple(sorted((body.glossary or {}).items()))
    key = BatchKey(cfg, body.return_.alignment, body.return_.attention, glossary)
    admission = await admit(request, model, texts, key, libretranslate=False)
    results = await run_batch(request, model, texts, key, admission)
    note_work(request, len(texts), results)
    outs = [translation_out(r, body.return_) for r in results]
    return {
        "translations": outs[0] if isinstance(body.text, str) else outs,
        "model": {"id": model.id, "version": model.version},
    }


@router.get(
    "/models",
    response_model=ModelsResponse,
    responses=error_responses([401, 403, 405, 429]),
    dependencies=[Depends(api_key)],
    summary="The served models",
)
async def models(request: Request) -> dict[str, Any]:
    registry = services(request).registry
    return {
        "models": [
            {**m.describe(), "decoding": dataclasses.asdict(m.decoding)} for m in registry.models
        ]
    }


@router.post(
    "/models/reload",
    response_model=ReloadResponse,
    responses=error_responses([401, 403, 404, 405, 409, 413, 415, 422, 429]),
    dependencies=[Depends(require_json), Depends(admin_key)],
    summary="Re-read the configured bundles (or one named bundle) and swap them in atomically",
)
async def reload(
    request: Request, body: Annotated[ReloadRequest | None, Body()] = None
) -> dict[str, Any]:
    swaps = await services(request).registry.reload(body.bundle if body else None)
    return {"reloaded": [dataclasses.asdict(s) for s in swaps]}
