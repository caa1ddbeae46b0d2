"""`nmt evaluate --compare A B`: two models' default decodings on one test set, side by side
with sacreBLEU's paired bootstrap test per part."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nmt.evaluate.scores import N_BOOTSTRAP, paired_bootstrap, paired_exact
from nmt.evaluate.testsets import TestSet
from nmt.translator import Translator


def compare(
    models: dict[str, Translator], testset: TestSet, *, n_samples: int = N_BOOTSTRAP
) -> dict[str, Any]:
    """{models, testset, n_samples, parts: {part: paired result}, signatures}; the first model
    is the baseline. Every part, "all", and the test set's groups (`ui/seen`, `ui/unseen`) get
    BLEU and chrF (sacreBLEU's paired bootstrap) and exact match (`paired_exact`)."""
    if len(models) != 2:
        raise ValueError("compare takes exactly two models")
    outputs = {
        name: [t.text for t in tr.translate(testset.sources, return_alignment=False)]
        for name, tr in models.items()
    }
    parts = {}
    for part, lines in testset.selections().items():
        if not lines:
            continue
        references = [testset.references[i] for i in lines]
        systems = {name: [texts[i] for i in lines] for name, texts in outputs.items()}
        parts[part] = paired_bootstrap(references, systems, n_samples=n_samples)
        parts[part]["exact"] = paired_exact(references, systems, n_samples=n_samples)
    signatures = next(iter(parts.values()))["signatures"]
    return {
        "models": list(models),
        "testset": testset.name,
        "n_samples": n_samples,
        "parts": parts,
        "signatures": signatures,
        "identical_outputs": sum(a == b for a, b in zip(*outputs.values(), strict=True)),
    }


def write_compare(result: dict[str, Any], out_dir: Path) -> list[Path]:
    import json

    from nmt.evaluate.markdown import render_compare

    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / "compare.json", out_dir / "compare.md"]
    files[0].write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    files[1].write_text(render_compare(result), encoding="utf-8")
    return files
