"""Issue 16's rows against a fresh loopback server: status, seconds, response bytes, server RSS.

Starts `python -m serving` from --root (default: this checkout; a `git archive` of an older
commit gives the "before" figures) on a free 127.0.0.1 port for each group of rows, sends each
row's request(s) (bounded in count and time), and writes one JSON line per row.

    python bench/harden_rows.py [--root DIR] [--rows 1,3d,6,9,10,11,12,13,14,fair]

Rows: 1 (5 KB text, beam 16, min_length 1024, ratio 10, attention), 2 (N such texts, attention;
--row2-texts), 3 (5,000 CJK characters, beam 16, n_best 16), 3d (an admitted heavy request past
a 1 s deadline, then a one-word request: how soon the engine is free; then SIGTERM: row 5),
4 (100 x 5,000 characters beam 16 + a one-word request 1.3 s later), 6 (LibreTranslate: a
5,000-digit `alternatives`, `q` nested 100,000 deep), 9 (reload, no key, evil Origin),
10 (Host: evil.example), 11 (200 wrong API keys, 100 wrong admin keys), 12 (250 connections
sending a partial head or nothing: how many are open after 15 s), 13 (keys on, malformed JSON
without a key), 14 (reload of a bad bundle: is a server path in the message), fair (item 3:
a heavy client looping the largest admitted request vs one-sentence requests, p50/p99).
Loopback only; every request has a client timeout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]
SENTENCE = "Save the document before you close the window. "
VARIED = (
    "Open the file menu and choose a folder. The printer could not be found on the network. "
    "Press Ctrl+Q to quit the application. Do you want to replace the existing file? "
    "Select the text and click Bold to change the font. Version 1.5 is installed now. "
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, root: Path, **env: str) -> None:
        self.port = free_port()
        variables = {**os.environ, "NMT_HOST": "127.0.0.1", "NMT_PORT": str(self.port)}
        variables.update({"NMT_ACCESS_LOG": "false", "NMT_MODELS_DIR": str(HERE / "models")})
        variables.update(env)
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (open while the server runs)
            prefix="harden-server-", suffix=".log", delete=False
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "serving"],
            cwd=root,
            env=variables,
            stdout=self.log,
            stderr=self.log,
        )
        self.peak = 0
        self._watch = threading.Thread(target=self._sample, daemon=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited {self.proc.returncode}; log {self.log.name}")
            try:
                if request(self.port, "GET", "/readyz", timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        self._watch.start()

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def _sample(self) -> None:
        while self.proc.poll() is None:
            try:
                self.peak = max(self.peak, int(self.rss_mb()))
            except OSError:
                return
            time.sleep(0.1)

    def stop(self) -> float:
        """SIGTERM; seconds until the process exited (killed after 150 s)."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(150)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return round(time.monotonic() - started, 1)


def request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    timeout: float = 150,
) -> tuple[int, bytes, dict[str, str], float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    sent = {"Content-Type": "application/json"} if data is not None else {}
    sent.update(headers or {})
    started = time.perf_counter()
    conn.request(method, path, data, sent)
    resp = conn.getresponse()
    payload = resp.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return resp.status, payload, {k.lower(): v for k, v in resp.getheaders()}, elapsed


def outcome(
    row: str, srv: Server, result: tuple[int, bytes, dict[str, str], float], **extra: Any
) -> dict[str, Any]:
    status, payload, headers, elapsed = result
    return {
        "row": row,
        "status": status,
        "seconds": round(elapsed, 2),
        "bytes": len(payload),
        "request_id": "x-request-id" in headers,
        "rss_peak_mb": srv.peak,
        "message": payload[:160].decode("utf-8", "replace") if status >= 400 else "",
        **extra,
    }


def t(text: str, **decoding: Any) -> dict[str, Any]:
    return {"text": text, "source": "en", "target": "de", "decoding": decoding}


def rows_default(
    root: Path, rows: set[str], args: argparse.Namespace, out: list[dict[str, Any]]
) -> None:
    srv = Server(root)
    five_kb = (SENTENCE * 110)[:5000]
    heavy = {"beam_size": 16, "min_length": 1024, "max_length_ratio": 10.0}
    try:
        if "1" in rows:
            body = {**t(five_kb, **heavy), "return": {"attention": True}}
            out.append(outcome("1", srv, request(srv.port, "POST", "/v1/translate", body)))
        if "2" in rows:
            body = {**t([five_kb] * args.row2_texts), "return": {"attention": True}}
            out.append(
                outcome("2", srv, request(srv.port, "POST", "/v1/translate", body, timeout=60))
            )
        if "3" in rows:
            cjk = "".join(chr(0x4E00 + random.Random(i).randrange(20000)) for i in range(5000))
            body = t(cjk, beam_size=16, n_best=16, min_length=1024)
            out.append(
                outcome("3", srv, request(srv.port, "POST", "/v1/translate", body, timeout=60))
            )
        if "4" in rows:
            big = t([(VARIED * 30)[:5000]] * 100, beam_size=16, n_best=16)
            results: dict[str, Any] = {}
            thread = threading.Thread(
                target=lambda: results.update(
                    big=request(srv.port, "POST", "/v1/translate", big, timeout=60)
                )
            )
            thread.start()
            time.sleep(1.3)
            small = request(srv.port, "POST", "/v1/translate", t("Open"), timeout=60)
            thread.join()
            out.append(outcome("4-big", srv, results["big"]))
            out.append(outcome("4-small", srv, small))
        if "6" in rows:
            huge = (
                b'{"q": "Open", "source": "en", "target": "de", "alternatives": '
                + b"9" * 5000
                + b"}"
            )
            deep = (
                b'{"q": ' + b"[" * 100_000 + b"]" * 100_000 + b', "source": "en", "target": "de"}'
            )
            for path in ("/translate", "/detect"):
                for name, raw in (("digits", huge), ("nesting", deep)):
                    out.append(
                        outcome(f"6 {path} {name}", srv, request(srv.port, "POST", path, raw=raw))
                    )
        if "9" in rows:
            r = request(
                srv.port, "POST", "/v1/models/reload", headers={"Origin": "http://evil.example"}
            )
            out.append(outcome("9", srv, r))
        if "10" in rows:
            out.append(
                outcome(
                    "10",
                    srv,
                    request(srv.port, "GET", "/v1/models", headers={"Host": "evil.example"}),
                )
            )
        if "12" in rows:
            out.append(slow_connections(srv))
        if "fair" in rows:
            out.extend(fairness(srv, args))
    finally:
        out.append(
            {
                "row": "exit (default server)",
                "sigterm_to_exit_s": srv.stop(),
                "rss_peak_mb": srv.peak,
            }
        )


def slow_connections(srv: Server) -> dict[str, Any]:
    conns = []
    for i in range(250):
        c = socket.create_connection(("127.0.0.1", srv.port))
        if i % 2:
            c.sendall(b"POST /v1/translate HTTP/1.1\r\nHost: localhost\r\n")
        conns.append(c)
    time.sleep(15)
    open_ = 0
    for c in conns:
        c.setblocking(False)
        try:
            open_ += c.recv(1) != b""
        except BlockingIOError:
            open_ += 1
        except OSError:
            pass
        c.close()
    return {"row": "12", "connections": 250, "still_open_after_15s": open_, "rss_peak_mb": srv.peak}


def fairness(srv: Server, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Item 3: a light client's latency alone, then beside a heavy client in a loop."""
    largest = t([(VARIED * 30)[:4000]] * args.heavy_texts, mode="greedy")

    def light(seconds: float) -> list[float]:
        lat: list[float] = []
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            status, _, _, elapsed = request(
                srv.port, "POST", "/v1/translate", t("Open the file menu."), timeout=60
            )
            if status == 200:
                lat.append(elapsed)
        return lat

    def summary(name: str, lat: list[float]) -> dict[str, Any]:
        lat = sorted(lat)
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else None
        return {
            "row": name,
            "requests": len(lat),
            "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
            "p99_ms": round(p99 * 1000, 1) if p99 else None,
            "rss_peak_mb": srv.peak,
        }

    out = [summary("fair: light client alone", light(args.fair_seconds))]
    heavy_done: list[tuple[int, float]] = []
    stop = threading.Event()

    def heavy() -> None:
        while not stop.is_set():
            status, _, _, elapsed = request(srv.port, "POST", "/v1/translate", largest, timeout=120)
            heavy_done.append((status, elapsed))

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(1.0)
    lat = light(args.fair_seconds)
    stop.set()
    thread.join()
    out.append(summary("fair: light client beside the heavy one", lat))
    ok = [e for s, e in heavy_done if s == 200]
    out.append(
        {
            "row": "fair: heavy client",
            "requests": len(heavy_done),
            "ok": len(ok),
            "statuses": sorted({s for s, _ in heavy_done}),
            "texts_per_s": round(
                len(ok) * args.heavy_texts / max(sum(e for _, e in heavy_done), 1e-9), 2
            ),
        }
    )
    return out


def rows_deadline(root: Path, out: list[dict[str, Any]]) -> None:
    """3d and 5: a heavy admitted request past a 1 s deadline, the next small request, SIGTERM."""
    srv = Server(root, NMT_REQUEST_TIMEOUT_S="1", NMT_SHUTDOWN_TIMEOUT_S="20")
    text = (VARIED * 30)[:2000]
    # min_length over every cap: each sentence decodes to its cap, the worst case admitted
    heavy = t([text] * 10, beam_size=16, max_length_ratio=3.0, min_length=1024)
    try:
        r = request(srv.port, "POST", "/v1/translate", heavy, timeout=60)
        small = request(srv.port, "POST", "/v1/translate", t("Open"), timeout=120)
        out.append(outcome("3d heavy past deadline", srv, r))
        out.append(outcome("3d next small request", srv, small))
        request(srv.port, "POST", "/v1/translate", heavy, timeout=60)  # abandoned again ...
    finally:  # ... and SIGTERM right after its 504 (row 5)
        out.append({"row": "5", "sigterm_to_exit_s": srv.stop(), "shutdown_timeout_s": 20})


def rows_keys(root: Path, rows: set[str], out: list[dict[str, Any]]) -> None:
    models = Path(tempfile.mkdtemp(prefix="harden-models-"))
    shutil.copytree(HERE / "models" / "en-de", models / "en-de")
    srv = Server(
        root, NMT_MODELS_DIR=str(models), NMT_API_KEYS="good-key", NMT_ADMIN_KEY="admin-key"
    )
    try:
        if "14" in rows:
            graph = models / "en-de" / "encoder.onnx"
            graph.write_bytes(graph.read_bytes()[:-10])
            r = request(srv.port, "POST", "/v1/models/reload", headers={"X-API-Key": "admin-key"})
            out.append(outcome("14", srv, r, shows_path=str(models) in r[1].decode()))
        if "13" in rows:
            out.append(
                outcome("13", srv, request(srv.port, "POST", "/v1/translate", raw=b"{not json"))
            )
        if "11" in rows:
            statuses: dict[str, int] = {}
            for i in range(300):
                path = "/v1/translate" if i < 200 else "/v1/models/reload"
                s = request(srv.port, "POST", path, t("Open"), headers={"X-API-Key": f"wrong{i}"})[
                    0
                ]
                statuses[str(s)] = statuses.get(str(s), 0) + 1
            out.append({"row": "11", "statuses": statuses})
    finally:
        srv.stop()
        shutil.rmtree(models, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--root", type=Path, default=HERE, help="checkout to run the server from")
    p.add_argument("--rows", default="1,2,3,3d,4,6,9,10,11,12,13,14,fair")
    p.add_argument("--row2-texts", type=int, default=100)
    p.add_argument("--heavy-texts", type=int, default=40)
    p.add_argument("--fair-seconds", type=float, default=30.0)
    args = p.parse_args()
    rows = set(args.rows.split(","))
    out: list[dict[str, Any]] = []
    if rows & {"1", "2", "3", "4", "6", "9", "10", "12", "fair"}:
        rows_default(args.root, rows, args, out)
    if "3d" in rows:
        rows_deadline(args.root, out)
    if rows & {"11", "13", "14"}:
        rows_keys(args.root, rows, out)
    for line in out:
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
