"""report.md and compare.md from the JSON reports of `nmt evaluate`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

METRIC_COLUMNS = (
    ("bleu", "BLEU"),
    ("chrf", "chrF"),
    ("ter", "TER"),
    ("bleu_lc", "BLEU lc"),
    ("exact", "exact %"),
)


def _cell(score: Mapping[str, Any]) -> str:
    return f"{score['score']:.2f} ± {score['ci']:.2f}"


def render_report(report: Mapping[str, Any]) -> str:
    test = report["testset"]
    lines = [
        f"# Evaluation of {report['model']}",
        "",
        f"Test set {test['name']}: {test['sentences']} sentences "
        f"({', '.join(f'{k} {v}' for k, v in test['parts'].items())}). "
        f"Default decoding: {report['default_decoding']['label']}, length penalty "
        f"{report['default_decoding']['length_penalty']}. Scores are sacreBLEU corpus scores "
        "± the half-width of the 95% bootstrap interval.",
        "",
        "## Scores by decoding",
        "",
        "| decoding | part | BLEU | chrF | TER | BLEU lc | exact % | sentences/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in report["decodings"]:
        for part, scores in run["parts"].items():
            cells = " | ".join(_cell(scores[m]) if m in scores else "" for m, _ in METRIC_COLUMNS)
            lines.append(f"| {run['label']} | {part} | {cells} | {run['sentences_per_s']} |")
    first = report["decodings"][0]["parts"]
    signatures = next(iter(first.values()))
    lines += ["", "Signatures:", ""]
    lines += [
        f"- {name}: `{signatures[m]['signature']}`" for m, name in METRIC_COLUMNS if m in signatures
    ]
    lines += _paired_section(report.get("greedy_vs_default") or {})
    lines += [
        "",
        "## BLEU by source length (default decoding, whole test set)",
        "",
        "| source words | sentences | BLEU |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {b['words']} | {b['sentences']} | {b['bleu']:.2f} |" for b in report["length_buckets"]
    ]
    ph = report["placeholders"]
    lines += [
        "",
        "## Placeholders",
        "",
        f"{ph['sentences_with_placeholders']} test sentences hold {ph['placeholders']} protected "
        f"spans (placeholders, tags, URLs, entities): {ph['placed_by_model']} placed by the "
        f"model, {ph['inserted_by_fallback']} inserted by the fallback "
        f"(placed share {ph['placed_share']}). Every span is in the output either way.",
    ]
    if report.get("plots"):
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in report["plots"]]
    return "\n".join(lines) + "\n"


def _paired_section(paired: Mapping[str, Any]) -> list[str]:
    if not paired:
        return []
    lines = [
        "",
        "## Greedy vs default: paired bootstrap (1000 samples)",
        "",
        "| part | metric | greedy | default | p-value |",
        "|---|---|---:|---:|---:|",
    ]
    for part, result in paired.items():
        for metric in ("bleu", "chrf"):
            base, other = list(result[metric].values())
            lines.append(
                f"| {part} | {metric} | {base['score']:.2f} | {other['score']:.2f} | "
                f"{other['p_value']:.4f} |"
            )
    return lines


def render_compare(compare: Mapping[str, Any]) -> str:
    names = compare["models"]
    lines = [
        f"# {names[0]} vs {names[1]}",
        "",
        f"Test set {compare['testset']}, each model's default decoding; paired bootstrap "
        f"resampling ({compare['n_samples']} samples), {names[0]} is the baseline. "
        "p < 0.05: the difference is significant.",
        "",
        "| part | metric | " + " | ".join(names) + " | p-value |",
        "|---|---|---:|---:|---:|",
    ]
    for part, result in compare["parts"].items():
        for metric in ("bleu", "chrf"):
            base, other = (result[metric][name] for name in names)
            lines.append(
                f"| {part} | {metric} | {base['score']:.2f} ({base['mean']:.2f} ± {base['ci']:.2f})"
                f" | {other['score']:.2f} ({other['mean']:.2f} ± {other['ci']:.2f}) | "
                f"{other['p_value']:.4f} |"
            )
        if "exact" in result:
            base, other = (result["exact"][name] for name in names)
            lines.append(
                f"| {part} | exact % | {base['score']:.2f} | {other['score']:.2f} | "
                f"{other['p_value']:.4f} |"
            )
    lines += ["", f"Signatures: `{compare['signatures']}`"]
    return "\n".join(lines) + "\n"
