"""PNG plots of an evaluation report (matplotlib, headless): BLEU against beam size, BLEU by
source length, and attention heatmaps."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_plots(report: Mapping[str, Any], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    files = [
        _bleu_by_beam(report, out_dir / "bleu_by_beam.png"),
        _bleu_by_length(report, out_dir / "bleu_by_length.png"),
    ]
    for i, example in enumerate(report.get("attention", []), 1):
        files.append(_heatmap(example, out_dir / f"attention_{i}.png"))
    return files


def _bleu_by_beam(report: Mapping[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    runs = [r for r in report["decodings"] if r["mode"] == "beam"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for part in runs[0]["parts"] if runs else []:
        beams = [r["beam_size"] for r in runs]
        scores = [r["parts"][part]["bleu"] for r in runs]
        ax.errorbar(
            beams,
            [s["score"] for s in scores],
            yerr=[s["ci"] for s in scores],
            marker="o",
            capsize=3,
            label=part,
        )
    greedy = report["decodings"][0]
    for scores in greedy["parts"].values():
        ax.scatter([1], [scores["bleu"]["score"]], marker="x", color="black")
    ax.set(
        xlabel="beam size (x: greedy)",
        ylabel="BLEU",
        title="BLEU by beam size",
        xscale="log",
        xticks=[1, 2, 5, 10],
        xticklabels=["1", "2", "5", "10"],
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _bleu_by_length(report: Mapping[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt

    buckets = report["length_buckets"]
    fig, ax = plt.subplots(figsize=(6, 4))
    bars = ax.bar([b["words"] for b in buckets], [b["bleu"] for b in buckets])
    for bar, bucket in zip(bars, buckets, strict=True):
        ax.annotate(
            f"n={bucket['sentences']}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set(
        xlabel="source length (words)",
        ylabel="BLEU",
        title=f"BLEU by source length ({report['default_decoding']['label']})",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _heatmap(example: Mapping[str, Any], path: Path) -> Path:
    import matplotlib.pyplot as plt
    import numpy as np

    weights = np.asarray(example["weights"], dtype=float)  # [target tokens, source tokens]
    src, tgt = example["src_tokens"], example["tgt_tokens"]
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * len(src) + 2), max(3, 0.3 * len(tgt) + 2)))
    ax.imshow(weights, cmap="Greys", aspect="auto", vmin=0, vmax=1)
    ax.set_xticks(range(len(src)), src, rotation=90, fontsize=8)
    ax.set_yticks(range(len(tgt)), tgt, fontsize=8)
    ax.set(xlabel="source tokens", ylabel="output tokens")
    ax.set_title(example["source"][:80], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
