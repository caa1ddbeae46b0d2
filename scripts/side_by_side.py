"""Old and new outputs side by side, for a person to judge: UI strings and help sentences
drawn (seeded) from the corpus's test split, each with its human reference.

The UI strings come from the `ui` part (the last `test_parts["ui"]` lines of test.tsv), the
help sentences from `gnome-user-docs` (the first part); both bundles translate them with their
own default decoding. Writes a Markdown table with an empty `judgement` column to fill in.

    .venv/bin/python scripts/side_by_side.py OLD_BUNDLE NEW_BUNDLE [--ui 20] [--help 10] \
        [--seed 1] > side_by_side.md
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from nmt.paths import data_dir
from nmt.translator import Translator


def parts(corpus: Path) -> dict[str, list[tuple[str, str]]]:
    """test.tsv's rows by part, in the order the manifest's `test_parts` lists them."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    with (corpus / "test.tsv").open(encoding="utf-8") as fh:
        rows = [tuple(line.rstrip("\n").split("\t")[:2]) for line in fh]
    out: dict[str, list[tuple[str, str]]] = {}
    start = 0
    for name, count in manifest["test_parts"].items():
        out[name] = [(r[0], r[1]) for r in rows[start : start + count]]
        start += count
    return out


def cell(text: str) -> str:
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--corpus", type=Path, default=data_dir("en-de"))
    parser.add_argument("--ui", type=int, default=20)
    parser.add_argument("--help-sentences", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    by_part = parts(args.corpus)
    # Help sentences: whole sentences of 6-30 words, so that a judgement is about a sentence.
    help_rows = [r for r in by_part["gnome-user-docs"] if 6 <= len(r[0].split()) <= 30]
    picks = [("ui", r) for r in rng.sample(by_part["ui"], args.ui)]
    picks += [("help", r) for r in rng.sample(help_rows, args.help_sentences)]
    sources = [src for _, (src, _) in picks]
    outputs = []
    for bundle in (args.old, args.new):
        translator = Translator.load(bundle, threads=args.threads)
        outputs.append([t.text for t in translator.translate(sources)])
    lines = [
        f"Old: `{args.old}`; new: `{args.new}`; seed {args.seed}; each bundle's default decoding.",
        "",
        "| # | part | source | reference | old | new | judgement |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, ((part, (src, ref)), old, new) in enumerate(zip(picks, *outputs, strict=True), 1):
        lines.append(f"| {i} | {part} | {cell(src)} | {cell(ref)} | {cell(old)} | {cell(new)} | |")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
