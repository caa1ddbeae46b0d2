"""Training speed: target tokens/s of the config's model on batch 64 x 30 tokens, fp32 and bf16.

Each precision runs in its own process (fresh thread pools, no cross-talk). Writes
bench/results/train_speed.{json,md} and prints the Markdown table.

    python bench/train_speed.py --config configs/en-de.yaml [--steps 30] [--warmup 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results_io import write_results

RESULTS = Path(__file__).resolve().parent / "results"


def worker(
    config: Path, precision: str, steps: int, warmup: int, threads: int
) -> dict[str, object]:
    import torch

    from nmt.config import TrainConfig, load_yaml
    from nmt.model.seq2seq import Seq2Seq
    from training.loss import smoothed_ce
    from training.memory import keep_freed_memory
    from training.system import make_optimizer

    keep_freed_memory()  # as training does
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = load_yaml(TrainConfig, config)
    model = Seq2Seq(cfg.model).train()
    opt = make_optimizer(model.parameters(), cfg.optim)  # training's own optimizer
    batch, length, vocab = 64, 30, cfg.model.vocab_size
    src = torch.randint(4, vocab, (batch, length))
    tgt = torch.randint(4, vocab, (batch, length))
    lengths = torch.full((batch,), length)
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits, _ = model.teacher_forced_logits(src, lengths, tgt)
            loss, _, ntok = smoothed_ce(logits, tgt, 0.1)
        opt.zero_grad(set_to_none=True)
        (loss / ntok).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {
        "precision": precision,
        "parameters": model.num_parameters(),
        "batch": batch,
        "tokens_per_batch": batch * length,
        "median_step_s": round(median, 4),
        "target_tokens_per_s": round(batch * length / median),
        "steps": steps,
        "threads": threads,
        "torch": torch.__version__,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/en-de.yaml"))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--worker", choices=["32", "bf16"])
    args = parser.parse_args()
    if args.worker:
        result = worker(args.config, args.worker, args.steps, args.warmup, args.threads)
        print(json.dumps(result))
        return 0
    rows = []
    for precision in ("32", "bf16"):
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            precision,
            "--config",
            str(args.config),
            "--steps",
            str(args.steps),
            "--warmup",
            str(args.warmup),
            "--threads",
            str(args.threads),
        ]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    lines = [
        f"Training speed, {args.config}, batch 64 x 30 target tokens, {args.threads} threads, "
        f"median of {args.steps} steps; {rows[0]['parameters']:,} parameters",
        "",
        "| precision | step (s) | target tokens/s |",
        "|---|---|---|",
        *(
            f"| {r['precision']} | {r['median_step_s']} | {r['target_tokens_per_s']:,} |"
            for r in rows
        ),
    ]
    write_results(RESULTS / "train_speed", rows, "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
