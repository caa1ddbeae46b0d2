"""A redeploy under load: N clients translate while the server reloads its models and then gets
SIGTERM. Shows what a rolling redeploy costs the clients: it should cost nothing.

    python bench/redeploy.py --bundles models/en-de --clients 32 --reload-at 10 --sigterm-at 20

Starts `python -m serving` on a free loopback port (as bench/loadtest.py does), runs closed-loop
clients (one keep-alive connection each, real test sentences), POSTs /v1/models/reload at
--reload-at seconds, sends SIGTERM at --sigterm-at, and waits for the server to exit. Every
request is recorded with its start and end time and outcome, and the report splits them:

- started before SIGTERM: each must end 200 (queued and in-flight requests are drained);
- started after SIGTERM: the server no longer accepts; a client sees "connection refused" and
  stops, as it would behind a load balancer that moved it to the new instance.

Writes bench/results/redeploy.{json,md} (or --out PREFIX) and prints the JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadtest import RESULTS, load_sentences, make_text, spawn_server


@dataclass(frozen=True, slots=True)
class Outcome:
    """One request: start and end (seconds since the run began) and its status or error."""

    start: float
    end: float
    status: int  # HTTP status, or -1 for a connection-level error
    error: str = ""


class Client(threading.Thread):
    """Closed loop until `stop`, or until the server refuses a new connection."""

    def __init__(self, n: int, args: argparse.Namespace, sentences: list[str], t0: float) -> None:
        super().__init__(daemon=True)
        self.rng = random.Random(1000 + n)
        self.args, self.sentences, self.t0 = args, sentences, t0
        self.outcomes: list[Outcome] = []

    def run(self) -> None:
        url = urllib.parse.urlsplit(self.args.url)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        headers = {"Content-Type": "application/json"}
        stop = self.t0 + self.args.duration
        while time.perf_counter() < stop:
            text, _ = make_text(self.rng, self.sentences)
            body = json.dumps(
                {"text": text, "source": "en", "target": "de", "decoding": {"mode": self.args.mode}}
            ).encode()
            start = time.perf_counter() - self.t0
            try:
                conn.request("POST", "/v1/translate", body, headers)
                response = conn.getresponse()
                response.read()
                outcome = Outcome(start, time.perf_counter() - self.t0, response.status)
            except (OSError, http.client.HTTPException) as err:
                outcome = Outcome(start, time.perf_counter() - self.t0, -1, type(err).__name__)
                conn.close()
            self.outcomes.append(outcome)
            if outcome.error == "ConnectionRefusedError":
                return


def post(url: str, path: str) -> tuple[int, Any]:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    # reload always needs the admin key: the spawned server gets this one (see `run`)
    headers = {"Content-Type": "application/json", "X-API-Key": os.environ["NMT_ADMIN_KEY"]}
    conn.request("POST", path, b"{}", headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"null")


def summarize(outcomes: list[Outcome], sigterm: float) -> dict[str, Any]:
    before = [o for o in outcomes if o.start < sigterm]
    after = [o for o in outcomes if o.start >= sigterm]
    failed = [o for o in before if o.status != 200]
    return {
        "requests_started_before_sigterm": len(before),
        "ok_before_sigterm": len(before) - len(failed),
        "failed_before_sigterm": len(failed),
        "failures": sorted({f"{o.status} {o.error}".strip() for o in failed}),
        "in_flight_at_sigterm": sum(o.start < sigterm <= o.end for o in before),
        "attempts_after_sigterm": len(after),
        "refused_after_sigterm": sum(o.error == "ConnectionRefusedError" for o in after),
        # A keep-alive connection the server closed on shutdown ends one request with
        # RemoteDisconnected before the client reconnects and is refused.
        "after_sigterm": dict(Counter(f"{o.status} {o.error}".strip() for o in after)),
        "answered_after_sigterm": sum(o.status == 200 for o in after),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("NMT_ADMIN_KEY", secrets.token_hex(16))  # inherited by the server
    server = spawn_server(args)
    sentences = load_sentences(None)
    t0 = time.perf_counter()
    clients = [Client(n, args, sentences, t0) for n in range(args.clients)]
    for client in clients:
        client.start()
    time.sleep(max(0.0, args.reload_at - (time.perf_counter() - t0)))
    reload_started = time.perf_counter() - t0
    reload_status, reload_body = post(args.url, "/v1/models/reload")
    reload_s = time.perf_counter() - t0 - reload_started
    time.sleep(max(0.0, args.sigterm_at - (time.perf_counter() - t0)))
    sigterm = time.perf_counter() - t0
    server.send_signal(signal.SIGTERM)
    exit_code = server.wait(timeout=120)
    drained_s = time.perf_counter() - t0 - sigterm
    for client in clients:
        client.join(timeout=150)
    outcomes = [o for c in clients for o in c.outcomes]
    return {
        "clients": args.clients,
        "mode": args.mode,
        "reload": {"at_s": round(reload_started, 2), "took_s": round(reload_s, 2)}
        | {"status": reload_status, "body": reload_body},
        "sigterm_at_s": round(sigterm, 2),
        "server_exit_code": exit_code,
        "server_exit_after_sigterm_s": round(drained_s, 2),
        "requests_before_reload": sum(o.start < reload_started for o in outcomes),
        "requests_during_reload": sum(
            o.start < reload_started + reload_s and o.end > reload_started for o in outcomes
        ),
        **summarize(outcomes, sigterm),
    }


def markdown(r: dict[str, Any]) -> str:
    return (
        f"Redeploy under load: {r['clients']} clients ({r['mode']}), reload at "
        f"{r['reload']['at_s']} s (HTTP {r['reload']['status']}, {r['reload']['took_s']} s), "
        f"SIGTERM at {r['sigterm_at_s']} s, server exit {r['server_exit_code']} after "
        f"{r['server_exit_after_sigterm_s']} s\n\n"
        "| started before SIGTERM | ok | failed | in flight at SIGTERM | during reload "
        "| refused after SIGTERM |\n|---|---|---|---|---|---|\n"
        f"| {r['requests_started_before_sigterm']} | {r['ok_before_sigterm']} "
        f"| {r['failed_before_sigterm']} | {r['in_flight_at_sigterm']} "
        f"| {r['requests_during_reload']} | {r['refused_after_sigterm']} |\n"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--bundles", default="en-de", help="NMT_BUNDLES of the spawned server")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--mode", choices=("greedy", "beam"), default="greedy")
    p.add_argument("--reload-at", type=float, default=10.0)
    p.add_argument("--sigterm-at", type=float, default=20.0)
    p.add_argument("--duration", type=float, default=40.0, help="clients stop after (s)")
    p.add_argument("--out", type=Path, default=RESULTS / "redeploy")
    args = p.parse_args(argv)
    if not 0 <= args.reload_at < args.sigterm_at < args.duration:
        p.error("need 0 <= --reload-at < --sigterm-at < --duration")
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    print(json.dumps(result, indent=2))
    return 0 if result["failed_before_sigterm"] == 0 and result["reload"]["status"] == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
