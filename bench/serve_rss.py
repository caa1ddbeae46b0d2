"""Resident memory of one serving process, for sizing a replica (docker/k8s/deployment.yaml).

Starts `python -m serving` on a free loopback port with the settings of one Kubernetes replica
(NMT_THREADS, default 2), then samples its VmRSS every 0.1 s (bench/harden_rows.py's Server)
through three phases: idle after startup (models loaded, self-tested, language identification
loaded), a closed-loop load test (bench/loadtest.py, 32 clients, beam 5), and the largest
requests the limits admit, one after another (n texts of 5,000 characters greedy, the same at
beam 16 n_best 16, one text with attention: n halved until admitted; each bounded by
NMT_REQUEST_TIMEOUT_S). Writes bench/results/serve_rss.{json,md}.

    python bench/serve_rss.py [--threads 2] [--duration 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.harden_rows import VARIED, Server, request  # noqa: E402
from bench.results_io import machine, write_results  # noqa: E402


def t(text: str | list[str], **decoding: Any) -> dict[str, Any]:
    return {"text": text, "source": "en", "target": "de", "decoding": decoding}


def largest_admitted(port: int, body: Callable[[int], Any], n: int) -> dict[str, int]:
    """Send body(n), halving n while the limits refuse it (413, before any work): the largest
    request of that shape the server admits; its n and status (200, or 504 past the deadline)."""
    while True:
        status = request(port, "POST", "/v1/translate", body(n), timeout=120)[0]
        if status != 413 or n == 1:
            return {"n": n, "status": status}
        n //= 2


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2, help="NMT_THREADS (a replica's CPUs)")
    p.add_argument("--duration", type=float, default=20.0, help="load test seconds")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "serve_rss")
    args = p.parse_args()

    srv = Server(ROOT, NMT_THREADS=str(args.threads))
    phases: dict[str, Any] = {}
    try:
        time.sleep(1.0)
        phases["idle_mb"] = round(srv.rss_mb())
        with tempfile.TemporaryDirectory(prefix="serve-rss-") as tmp:
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "loadtest.py"), "--url",
                 f"http://127.0.0.1:{srv.port}", "--clients", "32", "--mode", "beam",
                 "--duration", str(args.duration), "--out", f"{tmp}/loadtest"],
                check=True, capture_output=True,
            )  # fmt: skip
            phases["loadtest_peak_mb"] = srv.peak
            phases["loadtest"] = json.loads(Path(tmp, "loadtest.json").read_text())
        sentences = [f"{s.strip()}." for s in VARIED.split(". ") if s.strip(" .")]

        def text(i: int) -> str:  # distinct sentences: no text or sentence is translated twice
            out = (f"{sentences[j % len(sentences)][:-1]} ({i}.{j})." for j in range(200))
            return " ".join(out)[:5000]

        largest = {  # body for n: n texts of 5,000 characters, or n characters with attention
            "greedy, n x 5,000 characters": lambda n: t([text(i) for i in range(n)], mode="greedy"),
            "beam 16 n_best 16, n x 5,000 characters": lambda n: t(
                [text(i) for i in range(n)], beam_size=16, n_best=16
            ),
            "beam 5 with attention, n characters": lambda n: {
                **t(text(-1)[:n]),
                "return": {"attention": True},
            },
        }
        statuses = {}
        for name, body in largest.items():
            statuses[name] = largest_admitted(srv.port, body, 5000 if "attention" in name else 100)
        phases["largest_requests_status"] = statuses
        phases["peak_mb"] = srv.peak
    finally:
        phases["sigterm_to_exit_s"] = srv.stop()
    result = {"threads": args.threads, "machine": machine(), **phases}
    write_results(args.out, result, markdown(result))


def markdown(result: dict[str, Any]) -> str:
    load = result["loadtest"]
    largest = "; ".join(
        f"{name.replace('n ', str(r['n']) + ' ', 1)}: {r['status']}"
        for name, r in result["largest_requests_status"].items()
    )
    return (
        f"Serving process RSS (VmRSS, sampled every 0.1 s; MiB), NMT_THREADS={result['threads']}, "
        f"{result['machine']} (`python bench/serve_rss.py`)\n\n"
        "| idle after startup | 32 clients, beam 5 (peak) | then the largest admitted requests |\n"
        "|---:|---:|---:|\n"
        f"| {result['idle_mb']} | {result['loadtest_peak_mb']} | {result['peak_mb']} |\n\n"
        f"Load test: {load['duration_s']} s, {load['requests_ok']} requests, "
        f"{sum(load['errors'].values())} errors (it only makes traffic here: its throughput is "
        "not a speed figure; those are in loadtest-*.md). Largest requests, one after another "
        f"(status): {largest}.\n"
    )


if __name__ == "__main__":
    main()
