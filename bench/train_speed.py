"""Training speed: target tokens/s of the config's model on batch 64 x 30 tokens, fp32 and bf16.

It times the real `TranslationSystem.training_step` (not a copy of it), then backward, clipping
and the optimizer step, as one training step of `nmt train` does.

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
    """Median time of one training step: `TranslationSystem.training_step` (the forward and
    loss that training runs), backward, gradient clipping and training's own optimizer."""
    import warnings

    import torch

    from nmt.config import TrainConfig, load_yaml
    from training.memory import keep_freed_memory
    from training.system import TranslationSystem, make_optimizer

    keep_freed_memory()  # as training does
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    # training_step logs through self.log, which only warns without a Trainer attached.
    warnings.filterwarnings("ignore", message=".*self.log.*")
    cfg = load_yaml(TrainConfig, config)
    system = TranslationSystem.from_config(cfg).train()
    opt = make_optimizer(system.parameters(), cfg.optim)
    batch_size, length, vocab = 64, 30, cfg.model.vocab_size
    tgt = torch.randint(4, vocab, (batch_size, length + 1))
    batch = {
        "src": torch.randint(4, vocab, (batch_size, length)),
        "src_lengths": torch.full((batch_size,), length),
        "tgt_in": tgt[:, :-1],
        "tgt_out": tgt[:, 1:],
    }
    times = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = system.training_step(batch, i)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.optim.grad_clip:  # as TranslationSystem.configure_gradient_clipping
            torch.nn.utils.clip_grad_norm_(system.parameters(), cfg.optim.grad_clip)
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {
        "precision": precision,
        "parameters": system.model.num_parameters(),
        "batch": batch_size,
        "tokens_per_batch": batch_size * length,
        "median_step_s": round(median, 4),
        "target_tokens_per_s": round(batch_size * length / median),
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
