"""The engine's own throughput on the load test's texts: the ceiling a server can approach.

No HTTP, no queue: `--concurrency` threads each call `Translator.translate` on batches of
`--batch` texts, back to back, for `--duration` seconds, on the bundle's ONNX Runtime graphs.
Texts are made exactly as `bench/loadtest.py` makes them (one to three real sentences), so the
figures compare with a load test's requests/s: what the server loses to HTTP, micro-batching and
its event loop is the difference. Run it with nothing else on the machine.

    python bench/engine_throughput.py --bundle models/en-de --mode greedy --batch 32 --concurrency 2

Writes bench/results/engine-<mode>-b<batch>-x<concurrency>.{json,md} (or --out PREFIX).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.loadtest import load_sentences, make_text  # noqa: E402
from bench.results_io import shown_path, write_results  # noqa: E402
from nmt.bundle import BundleError  # noqa: E402
from nmt.translator import Translator  # noqa: E402


class _Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.texts = 0
        self.sentences = 0

    def add(self, texts: int, sentences: int) -> None:
        with self.lock:
            self.texts += texts
            self.sentences += sentences


def run(args: argparse.Namespace) -> dict[str, object]:
    """Translate for `args.duration` seconds; returns the measured rates."""
    translator = Translator.load(args.bundle, threads=args.threads or None)
    base = translator.decoding
    cfg = (
        translator.decoding_config(beam_size=args.beam_size)
        if args.mode == "beam"
        else dataclasses.replace(base, mode="greedy", beam_size=1, n_best=1)
    )
    sentences = load_sentences(args.sentences)
    counter = _Counter()
    translator.translate(["Warm up the sessions."], cfg)
    stop = time.perf_counter() + args.duration

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        while time.perf_counter() < stop:
            made = [make_text(rng, sentences) for _ in range(args.batch)]
            translator.translate([text for text, _ in made], cfg)
            counter.add(len(made), sum(count for _, count in made))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "bundle": shown_path(args.bundle), "mode": args.mode, "beam_size": cfg.beam_size,
        "batch_texts": args.batch, "concurrency": args.concurrency, "duration_s": round(wall, 2),
        "texts": counter.texts, "texts_per_s": round(counter.texts / wall, 1),
        "sentences_per_s": round(counter.sentences / wall, 1),
        "threads": getattr(translator.model, "threads", None),
        "machine": f"{platform.machine()} x {os.cpu_count()}",
    }  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", type=Path, default=ROOT / "models" / "en-de")
    p.add_argument("--mode", choices=["greedy", "beam"], default="greedy")
    p.add_argument("--beam-size", type=int, default=5)
    p.add_argument("--batch", type=int, default=32, help="texts per Translator call")
    p.add_argument("--concurrency", type=int, default=2, help="calls running at once")
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads; 0 = all cores")
    p.add_argument("--sentences", type=Path, default=None)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    for name in ("batch", "concurrency", "beam_size"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.duration <= 0:
        p.error("--duration must be > 0")
    try:
        r = run(args)
    except BundleError as err:  # a missing or broken bundle: say so, no traceback
        p.error(str(err))
    out = args.out or ROOT / "bench" / "results" / (
        f"engine-{args.mode}-b{args.batch}-x{args.concurrency}"
    )
    table = (
        f"Engine throughput (no HTTP): {r['mode']} (beam {r['beam_size']}), {r['batch_texts']} "
        f"texts a call, {r['concurrency']} calls at once, {r['duration_s']} s, {r['machine']}\n\n"
        "| texts/s | sentences/s |\n|---|---|\n"
        f"| {r['texts_per_s']} | {r['sentences_per_s']} |\n"
    )
    write_results(out, r, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
