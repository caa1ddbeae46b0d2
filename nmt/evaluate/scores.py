"""Corpus scores with sacreBLEU: BLEU, chrF, TER and lowercased BLEU, each with its signature
and a 95% bootstrap interval; per test part; and paired significance tests between systems.

A score is a plain dict (JSON as is) so it can go into a bundle's manifest and a report:
`{"score", "mean", "ci", "signature", "verbose"}`: `score` is the corpus score, `mean` and `ci`
the bootstrap mean and the half-width of its 95% interval (sacreBLEU's `μ ± ci`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nmt.evaluate.testsets import TestSet

N_BOOTSTRAP = 1000
METRICS = ("bleu", "chrf", "ter", "bleu_lc", "exact")
EXACT_SIGNATURE = "exact|case:mixed|strip:yes|v:1"


def exact_match(
    hypotheses: Sequence[str], references: Sequence[str], *, n_bootstrap: int = N_BOOTSTRAP
) -> dict[str, Any]:
    """Share (%) of hypotheses equal to their reference after stripping outer spaces: the
    measure of a UI string, where one word more or less is a different label. The interval is a
    percentile bootstrap (seeded, so a report is reproducible)."""
    import numpy as np

    hits = np.array([h.strip() == r.strip() for h, r in zip(hypotheses, references, strict=True)])
    n = len(hits)
    score = 100.0 * hits.mean() if n else 0.0
    mean, ci = score, 0.0
    if n and n_bootstrap > 1:
        rng = np.random.default_rng(12345)
        samples = 100.0 * hits[rng.integers(0, n, size=(n_bootstrap, n))].mean(axis=1)
        mean = float(samples.mean())
        ci = float((np.percentile(samples, 97.5) - np.percentile(samples, 2.5)) / 2)
    return {
        "score": round(float(score), 2),
        "mean": round(mean, 2),
        "ci": round(ci, 2),
        "signature": EXACT_SIGNATURE,
        "verbose": f"exact = {score:.2f} ({int(hits.sum())}/{n})",
    }


def _metric(name: str) -> Any:
    from sacrebleu.metrics.bleu import BLEU
    from sacrebleu.metrics.chrf import CHRF
    from sacrebleu.metrics.ter import TER

    if name == "bleu":
        return BLEU()
    if name == "bleu_lc":
        return BLEU(lowercase=True)
    if name == "chrf":
        return CHRF()
    if name == "ter":
        return TER()
    raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")


def corpus_scores(
    hypotheses: Sequence[str],
    references: Sequence[str],
    *,
    metrics: Sequence[str] = METRICS,
    n_bootstrap: int = N_BOOTSTRAP,
) -> dict[str, dict[str, Any]]:
    """{metric: score dict} for one system on one reference set (line-aligned)."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    out = {}
    for name in metrics:
        if name == "exact":
            out[name] = exact_match(hypotheses, references, n_bootstrap=n_bootstrap)
            continue
        metric = _metric(name)
        result = metric.corpus_score(
            list(hypotheses), [list(references)], n_bootstrap=n_bootstrap if n_bootstrap > 1 else 1
        )
        out[name] = {
            "score": round(float(result.score), 2),
            "mean": round(float(getattr(result, "_mean", result.score)), 2),
            "ci": round(float(getattr(result, "_ci", 0.0)), 2),
            "signature": str(metric.get_signature()),
            "verbose": result.format(),
        }
    return out


def part_scores(
    testset: TestSet,
    hypotheses: Sequence[str],
    *,
    metrics: Sequence[str] = METRICS,
    n_bootstrap: int = N_BOOTSTRAP,
) -> dict[str, dict[str, dict[str, Any]]]:
    """{part: {metric: score}} for every part of `testset`, plus "all" when it has several,
    plus its groups (`ui/seen`, `ui/unseen`); an empty group is left out."""
    if len(hypotheses) != len(testset):
        raise ValueError(f"{len(hypotheses)} hypotheses for a test set of {len(testset)}")
    return {
        part: corpus_scores(
            [hypotheses[i] for i in lines],
            [testset.references[i] for i in lines],
            metrics=metrics,
            n_bootstrap=n_bootstrap,
        )
        for part, lines in testset.selections().items()
        if lines
    }


def paired_bootstrap(
    references: Sequence[str],
    systems: Mapping[str, Sequence[str]],
    *,
    metrics: Sequence[str] = ("bleu", "chrf"),  # distinct kinds: sacreBLEU keys by kind
    n_samples: int = N_BOOTSTRAP,
) -> dict[str, Any]:
    """sacreBLEU's paired bootstrap resampling: the first system is the baseline, every other
    is compared with it. Returns {metric: {system: {score, mean, ci, p_value}}} and
    `signatures`; a p-value < 0.05 means the difference from the baseline is significant."""
    from sacrebleu.significance import PairedTest

    if len(systems) < 2:
        raise ValueError("a paired test needs a baseline and at least one other system")
    named: list[tuple[str, Sequence[str]]] = [(name, list(h)) for name, h in systems.items()]
    test = PairedTest(
        named,
        {name: _metric(name) for name in metrics},
        [list(references)],
        test_type="bs",
        n_samples=n_samples,
    )
    signatures, results = test()
    table: dict[str, Any] = dict(results)  # {System: [names], BLEU: [Result, ...], ...}
    # sacreBLEU keys both by the metric's display name (BLEU, chrF2), in the order given.
    shown = [key for key in table if key != "System"]
    out: dict[str, Any] = {
        "signatures": dict(zip(metrics, map(str, signatures.values()), strict=True))
    }
    for metric_name, key in zip(metrics, shown, strict=True):
        out[metric_name] = {
            system: {
                "score": round(float(res.score), 2),
                "mean": round(float(res.mean), 2) if res.mean is not None else None,
                "ci": round(float(res.ci), 2) if res.ci is not None else None,
                "p_value": float(res.p_value) if res.p_value is not None else None,
            }
            for system, res in zip(systems, table[key], strict=True)
        }
    return out


def paired_exact(
    references: Sequence[str],
    systems: Mapping[str, Sequence[str]],
    *,
    n_samples: int = N_BOOTSTRAP,
) -> dict[str, dict[str, Any]]:
    """Paired bootstrap of exact match, the way sacreBLEU tests BLEU: the same resampled lines
    for both systems, p-value of the centred difference against the observed one (two-sided).
    Returns {system: {score, p_value}}; the first system is the baseline (p_value None)."""
    import numpy as np

    names = list(systems)
    hits = {
        name: np.array([h.strip() == r.strip() for h, r in zip(hyp, references, strict=True)])
        for name, hyp in systems.items()
    }
    n = len(references)
    rng = np.random.default_rng(12345)
    rows = rng.integers(0, n, size=(n_samples, n)) if n else np.zeros((0, 0), dtype=int)
    base = hits[names[0]]
    out: dict[str, dict[str, Any]] = {
        names[0]: {"score": round(100.0 * float(base.mean()) if n else 0.0, 2), "p_value": None}
    }
    for name in names[1:]:
        diff = hits[name].astype(float) - base.astype(float)
        observed = float(diff.mean()) if n else 0.0
        deltas = diff[rows].mean(axis=1) if n else np.zeros(1)
        extreme = np.abs(deltas - deltas.mean()) >= abs(observed)
        p_value = float((1 + extreme.sum()) / (len(deltas) + 1))
        score = 100.0 * float(hits[name].mean()) if n else 0.0
        out[name] = {"score": round(score, 2), "p_value": p_value}
    return out
