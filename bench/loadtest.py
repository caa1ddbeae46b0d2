"""Load test of the translation service: N concurrent clients for T seconds, on loopback only.

Each client is a thread with its own keep-alive connection, sending one request after another
(closed loop). Texts are real software-localization sentences (the corpus test split under
$NMT_HOME when it exists, else a built-in list), combined at random per request (one to three
sentences), so no request repeats another and no cache can help. Reports throughput (requests,
segments and sentences/s), latency p50/p95/p99, errors by status, the load generator's own CPU
use, and the server's batch-size histogram over the run (from /metrics).

    python bench/loadtest.py --clients 32 --duration 60 --mode greedy [--url http://127.0.0.1:8000]
    python bench/loadtest.py --spawn --bundles /path/to/en-de ...   # start a server for the run

Writes bench/results/loadtest-<mode>-c<clients>.{json,md} (or --out PREFIX), prints the table.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.results_io import write_results  # noqa: E402
from nmt.tsv import read_sources  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_DURATION = 600.0

BUILT_IN = [
    "Open the file menu.",
    "Save the document before you close the window.",
    "Click Save to keep your changes.",
    "The folder could not be found.",
    "Do you want to replace the existing file?",
    "Select the text you want to copy.",
    "Press Ctrl+Q to quit the application.",
    "No network connection is available.",
    "Check your settings and try again.",
    "The printer is out of paper.",
    "Insert a new row above the current row.",
    "The selected cells are merged into one cell.",
    "This package provides the development files for the library.",
    "Show hidden files in the file manager.",
    "The password must contain at least eight characters.",
    "An error occurred while reading the configuration file.",
    "Restart the computer to finish the installation.",
    "The spreadsheet contains formulas that refer to other sheets.",
    "You can change the language of the user interface in the preferences.",
    "Drag the image to the position where you want to insert it.",
    "The document was modified by another user.",
    "Enter the name of the new folder.",
    "Update the table of contents after editing the headings.",
    "The connection to the server was lost.",
    "Choose a template for the new presentation.",
    "Export the drawing as a PDF file.",
    "The search found no matching entries.",
    "Undo the last action.",
    "Sort the list in ascending order.",
    "This command deletes all selected objects.",
]


def load_sentences(path: Path | None) -> list[str]:
    """Sentences from a text or TSV file (first column), else the corpus test split, else the
    built-in list."""
    home = Path(os.environ.get("NMT_HOME", Path.home() / ".cache" / "nmt"))
    for candidate in (path, home / "data" / "en-de" / "test.tsv"):
        if candidate is not None and candidate.is_file():
            found = [s.strip() for s in read_sources(candidate)]
            found = [s for s in found if 3 <= len(s.split()) <= 40]
            if found:
                return found
    return list(BUILT_IN)


def make_text(rng: random.Random, sentences: list[str], single: bool = False) -> tuple[str, int]:
    """One to three random sentences joined (one with `single`): the text and its count."""
    count = 1 if single else rng.choice((1, 1, 2, 3))
    return " ".join(rng.choice(sentences) for _ in range(count)), count


class Client(threading.Thread):
    """One closed-loop client: send, wait, record, repeat until `stop`."""

    def __init__(self, n: int, args: argparse.Namespace, sentences: list[str], stop: float) -> None:
        super().__init__(daemon=True)
        self.rng = random.Random(args.seed * 1000 + n)
        self.args, self.sentences, self.stop = args, sentences, stop
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.segments = 0

    def body(self, text: str) -> bytes:
        if self.args.route == "libretranslate":
            return json.dumps({"q": text, "source": "en", "target": "de"}).encode()
        decoding: dict[str, Any] = {"mode": self.args.mode}
        if self.args.mode == "beam":
            decoding["beam_size"] = self.args.beam_size
        body = {"text": text, "source": "en", "target": "de", "decoding": decoding}
        return json.dumps(body).encode()

    def run(self) -> None:
        url = urllib.parse.urlsplit(self.args.url)
        path = "/translate" if self.args.route == "libretranslate" else "/v1/translate"
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        headers = {"Content-Type": "application/json"}
        while time.perf_counter() < self.stop:
            text, count = make_text(self.rng, self.sentences, self.args.single)
            started = time.perf_counter()
            try:
                conn.request("POST", path, self.body(text), headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as err:
                status = -1
                self.errors[type(err).__name__] = self.errors.get(type(err).__name__, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
            if status == 200:
                self.latencies.append(time.perf_counter() - started)
                self.segments += count
            elif status > 0:
                self.errors[str(status)] = self.errors.get(str(status), 0) + 1
        conn.close()


def batch_histogram(url: str) -> dict[str, float]:
    """The server's cumulative nmt_batch_size buckets (le -> count), summed over models."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    out: dict[str, float] = {}
    for le, value in re.findall(r'nmt_batch_size_bucket\{le="([^"]+)",model="[^"]*"\} (\S+)', text):
        out[le] = out.get(le, 0.0) + float(value)
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_load(args: argparse.Namespace) -> dict[str, Any]:
    sentences = load_sentences(args.sentences)
    before = batch_histogram(args.url)
    usage0, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    stop = wall0 + args.duration
    clients = [Client(n, args, sentences, stop) for n in range(args.clients)]
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    wall = time.perf_counter() - wall0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage.ru_utime - usage0.ru_utime) + (usage.ru_stime - usage0.ru_stime)
    after = batch_histogram(args.url)
    latencies = [x for c in clients for x in c.latencies]
    errors: dict[str, int] = {}
    for c in clients:
        for k, v in c.errors.items():
            errors[k] = errors.get(k, 0) + v
    return {
        "url": args.url, "route": args.route, "mode": args.mode,
        "beam_size": args.beam_size if args.mode == "beam" else 1,
        "clients": args.clients, "duration_s": round(wall, 2), "sentences_pool": len(sentences),
        "requests_ok": len(latencies), "errors": errors,
        "requests_per_s": round(len(latencies) / wall, 2),
        "sentences_per_s": round(sum(c.segments for c in clients) / wall, 2),
        "latency_ms": {
            name: round(1000 * percentile(latencies, q), 1)
            for name, q in (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
        } | {"mean": round(1000 * statistics.fmean(latencies), 1) if latencies else None},
        "loadgen_cpu_s": round(cpu, 3),
        "loadgen_cpu_cores": round(cpu / wall, 3),
        "batch_size_histogram": {le: after.get(le, 0) - before.get(le, 0) for le in after},
        "machine": f"{platform.processor() or platform.machine()} x {os.cpu_count()}",
    }  # fmt: skip


def markdown(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    errors = ", ".join(f"{k}: {v}" for k, v in r["errors"].items()) or "0"
    buckets = " ".join(f"<={le}: {int(n)}" for le, n in r["batch_size_histogram"].items())
    return "\n".join([
        f"Load test: {r['clients']} clients, {r['duration_s']} s, {r['route']}, {r['mode']}"
        f" (beam {r['beam_size']}), {r['machine']}",
        "",
        "| requests ok | errors | requests/s | sentences/s | p50 ms | p95 ms | p99 ms "
        "| loadgen CPU |",
        "|---|---|---|---|---|---|---|---|",
        f"| {r['requests_ok']} | {errors} | {r['requests_per_s']} | {r['sentences_per_s']} "
        f"| {lat['p50']} | {lat['p95']} | {lat['p99']} | {r['loadgen_cpu_cores']} cores |",
        "",
        f"Batch sizes (cumulative, texts per micro-batch): {buckets}",
        "",
    ])  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_server(
    args: argparse.Namespace, env_extra: dict[str, str] | None = None, log: Any = None
) -> subprocess.Popen[bytes]:
    """`python -m serving` on a free loopback port; returns once /readyz answers 200.
    `env_extra`: more NMT_* settings; `log`: a file for its output (default: this terminal)."""
    port = free_port()
    env = {**os.environ, "NMT_HOST": "127.0.0.1", "NMT_PORT": str(port), "NMT_ACCESS_LOG": "false"}
    if args.bundles:
        env["NMT_BUNDLES"] = args.bundles
    env.update(env_extra or {})
    server = subprocess.Popen(
        [sys.executable, "-m", "serving"], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    args.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not become ready in 120 s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--spawn", action="store_true", help="start a server for the run")
    p.add_argument("--bundles", default=None, help="NMT_BUNDLES for --spawn")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--duration", type=float, default=60.0, help=f"seconds (max {MAX_DURATION:g})")
    p.add_argument("--mode", choices=("greedy", "beam"), default="greedy")
    p.add_argument("--beam-size", type=int, default=5)
    p.add_argument("--route", choices=("v1", "libretranslate"), default="v1")
    p.add_argument("--sentences", type=Path, default=None)
    p.add_argument(
        "--single",
        action="store_true",
        help="one sentence a request (latency of a known size: pair with --sentences)",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=None, help="output prefix (.json and .md)")
    args = p.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION or args.clients < 1:
        p.error(f"--duration must be in (0, {MAX_DURATION:g}] and --clients >= 1")
    if urllib.parse.urlsplit(args.url).hostname not in LOOPBACK:
        p.error("--url must be a loopback address: this tool never loads another machine")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server = spawn_server(args) if args.spawn else None
    try:
        result = run_load(args)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=120)
    write_results(
        args.out or RESULTS / f"loadtest-{args.mode}-c{args.clients}", result, markdown(result)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
