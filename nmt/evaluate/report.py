"""`nmt evaluate`: score a model on a test set and write a report folder.

For each decoding (greedy, beam 1, 2, 5, 10 by default): BLEU, chrF, TER and lowercased BLEU
per test part with signatures and 95% bootstrap intervals, and the speed. For the model's
default decoding also: BLEU by source-length bucket, placeholder preservation (placed by the
model vs inserted by the fallback), greedy vs default paired bootstrap, and attention matrices
of a few sentences for the heatmaps. Written as report.json, report.md and PNG plots.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nmt.config import DecodingConfig, to_dict
from nmt.evaluate.scores import corpus_scores, paired_bootstrap, part_scores
from nmt.evaluate.testsets import TestSet
from nmt.protect import protect
from nmt.translator import Translation, Translator

logger = logging.getLogger(__name__)

BEAMS = (1, 2, 5, 10)
LENGTH_BUCKETS = ((1, 5), (6, 10), (11, 20), (21, 40), (41, 10_000))  # source words
HEATMAPS = 3


@dataclasses.dataclass(frozen=True)
class Run:
    """One decoding of the whole test set: its label, settings, outputs and wall time."""

    label: str
    decoding: DecodingConfig
    translations: list[Translation]
    seconds: float

    @property
    def texts(self) -> list[str]:
        return [t.text for t in self.translations]


def decodings(default: DecodingConfig, beams: Sequence[int]) -> list[tuple[str, DecodingConfig]]:
    """(label, settings) to compare: greedy, then each beam size with the default's other
    settings (length penalty, length limits)."""
    out = [("greedy", dataclasses.replace(default, mode="greedy", n_best=1))]
    for beam in beams:
        out.append(
            (f"beam {beam}", dataclasses.replace(default, mode="beam", beam_size=beam, n_best=1))
        )
    return out


def decode(translator: Translator, testset: TestSet, label: str, cfg: DecodingConfig) -> Run:
    started = time.perf_counter()
    translations = translator.translate(testset.sources, cfg, return_alignment=False)
    seconds = time.perf_counter() - started
    logger.info("%s: %d sentences in %.1f s", label, len(testset), seconds)
    return Run(label, cfg, translations, seconds)


def evaluate(
    translator: Translator,
    testset: TestSet,
    *,
    model: str,
    beams: Sequence[int] = BEAMS,
    n_bootstrap: int = 1000,
) -> dict[str, Any]:
    """The report (JSON-able) for `translator` on `testset`; see the module docstring."""
    default = translator.decoding
    runs = [decode(translator, testset, label, cfg) for label, cfg in decodings(default, beams)]
    default_label = "greedy" if default.mode == "greedy" else f"beam {default.beam_size}"
    main = next((r for r in runs if r.label == default_label), None)
    if main is None:  # a default beam size outside `beams`
        main = decode(translator, testset, default_label, default)
        runs.append(main)
    greedy = runs[0]
    return {
        "model": model,
        "testset": {
            "name": testset.name,
            "sentences": len(testset),
            "parts": {k: b - a for k, (a, b) in testset.parts.items()},
            "groups": {k: len(lines) for k, lines in testset.groups.items()},
        },
        "default_decoding": {"label": default_label, **to_dict(default)},
        "decodings": [_run_summary(run, testset, n_bootstrap) for run in runs],
        "length_buckets": length_buckets(testset, main.texts),
        "placeholders": placeholder_stats(testset, main.translations),
        "greedy_vs_default": _paired(testset, greedy, main),
        "attention": attention_examples(translator, testset, default),
        "outputs": {"default": main.texts},
    }


def _run_summary(run: Run, testset: TestSet, n_bootstrap: int) -> dict[str, Any]:
    return {
        "label": run.label,
        "mode": run.decoding.mode,
        "beam_size": run.decoding.beam_size if run.decoding.mode == "beam" else 1,
        "seconds": round(run.seconds, 2),
        "sentences_per_s": round(len(testset) / run.seconds, 1) if run.seconds else None,
        "parts": part_scores(testset, run.texts, n_bootstrap=n_bootstrap),
    }


def _paired(testset: TestSet, greedy: Run, main: Run) -> dict[str, Any]:
    """Paired bootstrap, greedy as the baseline, per part (beam runs only)."""
    if main is greedy or main.texts == greedy.texts:
        return {}
    out = {}
    for part, (start, end) in testset.parts.items():
        out[part] = paired_bootstrap(
            testset.references[start:end],
            {greedy.label: greedy.texts[start:end], main.label: main.texts[start:end]},
        )
    return out


def length_buckets(testset: TestSet, hypotheses: Sequence[str]) -> list[dict[str, Any]]:
    """BLEU of the sentences whose source has `lo..hi` words, over the whole test set."""
    out = []
    for lo, hi in LENGTH_BUCKETS:
        idx = [i for i, s in enumerate(testset.sources) if lo <= len(s.split()) <= hi]
        if not idx:
            continue
        scores = corpus_scores(
            [hypotheses[i] for i in idx],
            [testset.references[i] for i in idx],
            metrics=("bleu",),
            n_bootstrap=1,
        )
        label = f"{lo}-{hi}" if hi < 10_000 else f"{lo}+"
        out.append({"words": label, "sentences": len(idx), "bleu": scores["bleu"]["score"]})
    return out


def placeholder_stats(testset: TestSet, translations: Sequence[Translation]) -> dict[str, Any]:
    """Protected spans (placeholders, tags, URLs...) in the sources, and how many the model
    placed itself vs how many the fallback inserted; sentences that had any."""
    with_spans = [i for i, s in enumerate(testset.sources) if protect(s).spans]
    placed = sum(translations[i].placed for i in with_spans)
    inserted = sum(translations[i].inserted for i in with_spans)
    total = placed + inserted
    return {
        "sentences_with_placeholders": len(with_spans),
        "placeholders": total,
        "placed_by_model": placed,
        "inserted_by_fallback": inserted,
        "placed_share": round(placed / total, 4) if total else None,
    }


def attention_examples(
    translator: Translator, testset: TestSet, cfg: DecodingConfig, count: int = HEATMAPS
) -> list[dict[str, Any]]:
    """Attention of a few test sentences of 6-15 words, spread over the set (first part
    first), for the heatmaps."""
    picks = [s for s in testset.sources if 6 <= len(s.split()) <= 15]
    picks = [picks[int(i * len(picks) / count)] for i in range(count)] if picks else []
    out = []
    for text, result in zip(
        picks, translator.translate(picks, cfg, return_attention=True), strict=True
    ):
        if result.attention is not None:
            out.append({"source": text, "translation": result.text, **result.attention.as_dict()})
    return out


def write_report(report: dict[str, Any], out_dir: Path, *, plots: bool = True) -> list[Path]:
    """report.json, report.md and (with `plots`) the PNGs in `out_dir`; returns the files."""
    from nmt.evaluate.markdown import render_report

    out_dir.mkdir(parents=True, exist_ok=True)
    report = dict(report)
    # Outputs go to their own file: the JSON stays small enough to read and to commit.
    outputs = report.pop("outputs", {})
    files = [out_dir / "report.json", out_dir / "report.md"]
    for label, texts in outputs.items():
        files.append(out_dir / f"hypotheses.{label}.txt")
        files[-1].write_text("".join(f"{t}\n" for t in texts), encoding="utf-8")
    if plots:
        from nmt.evaluate.plots import write_plots

        report = {**report, "plots": [p.name for p in write_plots(report, out_dir)]}
        files += [out_dir / name for name in report["plots"]]
    files[0].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    files[1].write_text(render_report(report), encoding="utf-8")
    return files
