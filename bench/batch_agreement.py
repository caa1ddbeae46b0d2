"""Batching agreement of a bundle: does a text translate the same in a micro-batch as alone?

With fp32 graphs the answer is yes by construction (the tests check it); with int8 graphs
dynamic quantization computes activation scales per batch, so a text's result can depend on
its companions. This measures the share of texts whose translation (best text) and n-best
list are identical alone (batch 1) and in batches of --batch texts, as the server batches them.

    python bench/batch_agreement.py --bundle models/en-de [--sentences FILE] [--count 256]

Writes bench/results/batch_agreement.{json,md} (or --out PREFIX) and prints the table.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadtest import RESULTS, load_sentences  # also puts the repository root on sys.path

from bench.results_io import shown_path, write_results
from nmt.config import DecodingConfig
from nmt.translator import Translator


def agreement(
    translator: Translator, texts: list[str], cfg: DecodingConfig, batch: int
) -> dict[str, Any]:
    alone = [translator.translate([t], cfg)[0] for t in texts]
    batched = []
    for start in range(0, len(texts), batch):
        batched += translator.translate(texts[start : start + batch], cfg)
    same_text = sum(a.text == b.text for a, b in zip(alone, batched, strict=True))
    same_nbest = sum(
        a.text == b.text and [x.text for x in a.alternatives] == [x.text for x in b.alternatives]
        for a, b in zip(alone, batched, strict=True)
    )
    return {
        "texts": len(texts),
        "same_text": same_text,
        "same_nbest": same_nbest,
        "text_agreement": round(same_text / len(texts), 4),
        "nbest_agreement": round(same_nbest / len(texts), 4),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--bundle", type=Path, default=Path("models/en-de"))
    p.add_argument("--sentences", type=Path, default=None)
    p.add_argument("--count", type=int, default=256)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    translator = Translator.load(args.bundle, threads=args.threads, batch_size=args.batch)
    pool = load_sentences(args.sentences)
    texts = random.Random(args.seed).sample(pool, min(args.count, len(pool)))
    started = time.perf_counter()
    cases = {
        "greedy": DecodingConfig(mode="greedy"),
        "beam 5, 3-best": DecodingConfig(mode="beam", beam_size=5, n_best=3),
    }
    result = {
        "bundle": shown_path(args.bundle),
        "quantization": translator.bundle.quantization if translator.bundle else "?",
        "batch": args.batch,
        "cases": {
            name: agreement(translator, texts, cfg, args.batch) for name, cfg in cases.items()
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    lines = [
        f"Batching agreement: {result['bundle']} ({result['quantization']}), {len(texts)} texts,"
        f" alone vs batches of {args.batch}",
        "",
        "| decoding | same best text | same n-best |",
        "|---|---|---|",
        *(
            f"| {name} | {c['text_agreement']:.2%} | {c['nbest_agreement']:.2%} |"
            for name, c in result["cases"].items()
        ),
        "",
    ]
    write_results(args.out or RESULTS / "batch_agreement", result, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
