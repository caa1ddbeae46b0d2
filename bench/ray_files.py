"""`nmt translate` locally and with `--ray` on one machine: wall times, lines/s, and how the
outputs compare (fp32: byte-identical expected; int8: differing lines counted).

Each run is a fresh `nmt translate` process timed from start to exit (model load and, for
`--ray`, starting a local Ray cluster included) and by its own summary (`seconds`: the
translation alone). Runs are interleaved (local, ray, local, ray, ...) `--repeats` times.

    python bench/ray_files.py --input lines.txt --bundle models/en-de --beam 1

Writes bench/results/ray_files.{json,md} (or --out PREFIX).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.results_io import cpu_name, shown_path, write_results  # noqa: E402


def has_amx() -> bool:
    return " amx_int8" in Path("/proc/cpuinfo").read_text()


def run(args: argparse.Namespace, output: Path, extra: list[str]) -> dict[str, Any]:
    """One `nmt translate` process; its summary plus the process wall time."""
    output.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "nmt.cli", "translate", str(args.input), str(output)]
    cmd += ["--bundle", str(args.bundle), "--beam", str(args.beam), *extra]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return {"wall_s": round(wall, 2), **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, required=True, help="a text file, one segment a line")
    parser.add_argument("--bundle", type=Path, default=ROOT / "models" / "en-de")
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="local run")
    parser.add_argument("--actors", type=int, default=os.cpu_count() or 1, help="--ray run")
    parser.add_argument("--actor-threads", type=int, default=1, help="--ray run, per actor")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ray_files")
    args = parser.parse_args(argv)

    lines = sum(1 for _ in args.input.open("rb"))
    local_opts = ["--threads", str(args.threads)]
    ray_opts = ["--ray", "--ray-actors", str(args.actors), "--threads", str(args.actor_threads)]
    runs: dict[str, list[dict[str, Any]]] = {"local": [], "ray": []}
    with tempfile.TemporaryDirectory() as tmp:
        outs = {"local": Path(tmp) / "local.txt", "ray": Path(tmp) / "ray.txt"}
        for _ in range(args.repeats):
            runs["local"].append(run(args, outs["local"], local_opts))
            runs["ray"].append(run(args, outs["ray"], ray_opts))
        local, remote = (outs[k].read_bytes().splitlines(keepends=True) for k in ("local", "ray"))
    differing = sum(a != b for a, b in zip(local, remote, strict=True))
    best = {k: min(v, key=lambda r: r["wall_s"]) for k, v in runs.items()}
    data = {
        "cpu": cpu_name(),
        "amx": has_amx(),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "input": shown_path(args.input),
        "bundle": shown_path(args.bundle),
        "lines": lines,
        "beam": args.beam,
        "local": {"threads": args.threads, "runs": runs["local"]},
        "ray": {
            "actors": args.actors,
            "threads_per_actor": args.actor_threads,
            "runs": runs["ray"],
        },
        "output_lines": len(local),
        "identical": local == remote,
        "differing_lines": differing,
    }
    rows = []
    for name, how in (
        ("local", f"--threads {args.threads}"),
        ("--ray", f"{args.actors} actors x {args.actor_threads} thread(s)"),
    ):
        r = best["local" if name == "local" else "ray"]
        rows.append(
            f"| {name} | {how} | {r['wall_s']} | {round(lines / r['wall_s'], 1)} | "
            f"{r['seconds']} | {r['segments_per_s']} |"
        )
    overhead = best["ray"]["wall_s"] - best["local"]["wall_s"]
    table = (
        f"# nmt translate: local vs --ray on one machine\n\n"
        f"{lines} lines of `{data['input']}`, beam {args.beam}, bundle `{data['bundle']}`; "
        f"CPU {data['cpu']} ({data['cpus']} CPUs, AMX: {data['amx']}), load average at start "
        f"{', '.join(f'{x:.1f}' for x in data['load_average_at_start'])} (a shared machine). "
        f"Best of {args.repeats} interleaved runs each.\n\n"
        "| run | workers | wall s (process) | lines/s (wall) | translate s | segments/s |\n"
        "| --- | --- | ---: | ---: | ---: | ---: |\n" + "\n".join(rows) + "\n\n"
        f"Ray's overhead (wall, best vs best): {overhead:+.2f} s. Outputs identical: "
        f"{data['identical']}; differing lines: {differing} of {len(local)}.\n"
    )
    write_results(args.out, data, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
