"""report.md and compare.md: the tables carry the JSON report's numbers."""

from __future__ import annotations

from typing import Any

from nmt.evaluate.markdown import render_compare, render_report


def _score(value: float, name: str) -> dict[str, Any]:
    return {"score": value, "ci": 0.5, "mean": value, "signature": f"{name}-sig", "p_value": 0.01}


def _scores(bleu: float) -> dict[str, Any]:
    return {m: _score(bleu + i, m) for i, m in enumerate(("bleu", "chrf", "ter", "bleu_lc"))}


REPORT: dict[str, Any] = {
    "model": "models/en-de",
    "testset": {"name": "en-de/test", "sentences": 3, "parts": {"help": 2, "ding": 1}},
    "default_decoding": {"label": "beam 5", "length_penalty": {"type": "avg"}},
    "decodings": [
        {"label": "greedy", "sentences_per_s": 12.5, "parts": {"help": _scores(20.0)}},
        {"label": "beam 5", "sentences_per_s": 4.0, "parts": {"help": _scores(22.25)}},
    ],
    "greedy_vs_default": {
        "help": {
            m: {"greedy": _score(20.0, m), "beam 5": _score(22.25, m)} for m in ("bleu", "chrf")
        }
    },
    "length_buckets": [{"words": "1-5", "sentences": 2, "bleu": 31.0}],
    "placeholders": {
        "sentences_with_placeholders": 1,
        "placeholders": 2,
        "placed_by_model": 2,
        "inserted_by_fallback": 0,
        "placed_share": 1.0,
    },
    "plots": ["bleu_by_beam.png"],
}


def test_the_report_tables_hold_every_decoding_and_section() -> None:
    text = render_report(REPORT)
    assert text.startswith("# Evaluation of models/en-de\n")
    assert (
        "| greedy | help | 20.00 ± 0.50 | 21.00 ± 0.50 | 22.00 ± 0.50 | 23.00 ± 0.50 |  | 12.5 |"
        in text
    )
    assert "| beam 5 | help | 22.25 ± 0.50 |" in text
    assert "- BLEU: `bleu-sig`" in text and "- BLEU lc: `bleu_lc-sig`" in text
    assert "| help | bleu | 20.00 | 22.25 | 0.0100 |" in text
    assert "| 1-5 | 2 | 31.00 |" in text
    assert "2 placed by the model, 0 inserted by the fallback" in text
    assert "![bleu_by_beam.png](bleu_by_beam.png)" in text


def test_without_a_paired_test_or_plots_those_sections_are_left_out() -> None:
    text = render_report({**REPORT, "greedy_vs_default": {}, "plots": []})
    assert "paired bootstrap" not in text and "## Plots" not in text


def test_the_comparison_names_the_baseline_and_the_p_values() -> None:
    names = ["a/int8", "b/fp32"]
    compare = {
        "models": names,
        "testset": "en-de/test",
        "n_samples": 100,
        "parts": {
            "help": {
                m: {n: _score(21.0 + i, m) for i, n in enumerate(names)} for m in ("bleu", "chrf")
            }
        },
        "signatures": "nrefs:1",
    }
    text = render_compare(compare)
    assert text.startswith("# a/int8 vs b/fp32\n") and "a/int8 is the baseline" in text
    assert "| help | bleu | 21.00 (21.00 ± 0.50) | 22.00 (22.00 ± 0.50) | 0.0100 |" in text
    assert text.rstrip().endswith("Signatures: `nrefs:1`")
