"""Recording test scores in a bundle: manifest `scores["test"]` and the model card's table."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nmt.bundle import Bundle, load_bundle, update_bundle
from nmt.model_card import render_model_card

logger = logging.getLogger(__name__)


def manifest_scores(report: Mapping[str, Any]) -> dict[str, Any]:
    """The default decoding's scores from an evaluation report, per part, as a manifest entry."""
    label = report["default_decoding"]["label"]
    run = next(r for r in report["decodings"] if r["label"] == label)
    sizes = {**report["testset"]["parts"], **report["testset"].get("groups", {})}
    sizes.setdefault("all", report["testset"]["sentences"])
    return {
        "testset": report["testset"]["name"],
        "decoding": label,
        "parts": {
            part: {"sentences": sizes.get(part), **scores} for part, scores in run["parts"].items()
        },
        "greedy_vs_default": report.get("greedy_vs_default") or {},
        "placeholders": report.get("placeholders"),
    }


def record_scores(bundle_dir: Path, report: Mapping[str, Any], corpus_dir: Path) -> Bundle:
    """Write the report's test scores into the bundle's manifest and model card. The card's data
    section needs the corpus manifest: it is used when its sha256 is the one the bundle records."""
    bundle = load_bundle(bundle_dir)
    scores = {**bundle.manifest.scores, "test": manifest_scores(report)}
    corpus = _corpus_manifest(corpus_dir, bundle.manifest.corpus_manifest_sha256)
    card = render_model_card(dataclasses.replace(bundle.manifest, scores=scores), corpus)
    return update_bundle(bundle_dir, scores=scores, model_card_text=card)


def _corpus_manifest(corpus_dir: Path, expected: str | None) -> dict[str, Any] | None:
    try:
        raw = (corpus_dir / "manifest.json").read_bytes()
    except OSError:
        logger.warning("no corpus manifest in %s: the card lists no sources", corpus_dir)
        return None
    if hashlib.sha256(raw).hexdigest() != expected:
        logger.warning("%s is not the corpus this bundle was trained on", corpus_dir)
        return None
    manifest: dict[str, Any] = json.loads(raw)
    return manifest
