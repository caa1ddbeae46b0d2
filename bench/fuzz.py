"""Fuzz the service with schemathesis against its own /openapi.json, every route: no 500, no
status a route does not declare, every response (errors included) matching its declared schema,
content type and headers; and a per-route summary of what ran.

Starts a server on a free loopback port (as `bench/loadtest.py --spawn` does; NMT_* settings
apply, e.g. NMT_BUNDLES) with a fresh random key as both API and admin key (rate limit off), so
the key checks pass and reload runs for real; schemathesis sends that key on every request.
`--url` fuzzes a running server instead (its key from $NMT_FUZZ_KEY, if it needs one).

Two modes:
- `--examples N` (default 100): at most N generated cases per route and phase, from `--seed`:
  the same cases every run, bounded in count; `--max-time` is then a hard cap (the run fails
  if it is reached, as it did not finish).
- `--examples 0`: explore for `--max-time` seconds (schemathesis repeats fuzzing until then).

One schemathesis worker by default: with two, schemathesis 4.32.5 ended the fuzzing phase of
POST /detect after 9 of its cases (100 alone or with one worker), and the server has the cores.

Writes `<out>.json` and `<out>.md` (default bench/results/fuzz): per route, cases by media type,
statuses, the share of schema-valid cases answered 2xx, 500s, undocumented statuses, schema
mismatches and any other failed check. Exits non-zero on any schemathesis failure or warning
named in bench/schemathesis.toml, any 500, any undocumented status, any schema mismatch.

    python bench/fuzz.py [--examples 100] [--seed 1] [--max-time 300] [--url URL] [-- extra args]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.loadtest import LOOPBACK, spawn_server  # noqa: E402
from bench.results_io import machine, write_results  # noqa: E402

CONFIG = ROOT / "bench" / "schemathesis.toml"
# positive_data_acceptance is left out: a schema-valid request can rightly be refused: over a
# cost limit (413 on v1, 400 on the LibreTranslate routes, where 400 is every refusal), n_best
# over beam_size, a bundle name that is not there (404). The summary reports instead the share
# of schema-valid cases each route answered 2xx (the fuzzer reaches the handlers), and
# bench/schemathesis.toml fails the run when that share is low.
CHECKS = "all"
EXCLUDED = "positive_data_acceptance"
# Routes whose schema-valid random input is refused by design, so schemathesis' warning that
# they reject valid data (validation_mismatch) is expected there and a failure anywhere else.
EXPECTED_REJECTIONS = {
    "POST /translate_file": "random bytes are no supported document (400, as LibreTranslate)",
    "GET /download_file/{name}": "a random name names no translated file (400 or 404)",
}
# the checks the summary shows in their own columns (undocumented statuses are also counted
# against the document directly); every other failed check is listed by name
UNDOCUMENTED = "status_code_conformance"
MISMATCH = "response_schema_conformance"


def documented(document: dict[str, Any]) -> dict[str, set[str]]:
    """'METHOD /path' -> the statuses its OpenAPI entry declares."""
    found = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            found[f"{method.upper()} {path}"] = set(operation.get("responses", {}))
    return found


def declared(status: int, statuses: set[str]) -> bool:
    return str(status) in statuses or f"{str(status)[0]}XX" in statuses or "default" in statuses


def _media(value: dict[str, Any]) -> str:
    return str(value.get("media_type") or ("no body" if value.get("body") is None else "?"))


def summarize(ndjson: Path, document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per route, from schemathesis' event stream: each case it sent and what came back."""
    declared_by_route = documented(document)
    routes: dict[str, dict[str, Any]] = {}

    def route(label: str) -> dict[str, Any]:
        return routes.setdefault(
            label,
            {
                "cases": 0,
                "by_media_type": collections.Counter(),
                "statuses": collections.Counter(),
                "positive_cases": 0,
                "positive_2xx": 0,
                "status_500": 0,
                "status_5xx": 0,
                "undocumented_statuses": 0,
                "undocumented_seen": set(),
                "schema_mismatches": 0,
                "failed_checks": collections.Counter(),
                "no_response": 0,
                "other_method_probes": collections.Counter(),
            },
        )

    with ndjson.open(encoding="utf-8") as events:
        for line in events:
            if not line.startswith('{"ScenarioFinished"'):
                continue
            finished = json.loads(line)["ScenarioFinished"]
            recorder = finished.get("recorder") or {}
            if finished.get("status") == "skip" or not recorder.get("cases"):
                continue
            label = recorder["label"]
            r = route(label)
            statuses = declared_by_route.get(label, set())
            for case_id, case in recorder["cases"].items():
                value = case["value"]
                r["cases"] += 1
                r["by_media_type"][_media(value)] += 1
                interaction = recorder.get("interactions", {}).get(case_id) or {}
                response = interaction.get("response")
                if not response:
                    r["no_response"] += 1
                    continue
                status = int(response["status_code"])
                r["statuses"][str(status)] += 1
                if str(value.get("method", "")).upper() != label.split(" ", 1)[0]:
                    # unsupported_method's probe: another method on this path, which no
                    # operation documents; that check wants the 405 (with Allow) it gets
                    r["other_method_probes"][str(status)] += 1
                    continue
                r["status_500"] += status == 500
                r["status_5xx"] += status >= 500
                if not declared(status, statuses):
                    r["undocumented_statuses"] += 1
                    r["undocumented_seen"].add(status)
                if value.get("meta", {}).get("generation", {}).get("mode") == "positive":
                    r["positive_cases"] += 1
                    r["positive_2xx"] += 200 <= status < 300
            for checks in recorder.get("checks", {}).values():
                for check in checks:
                    if check.get("status") == "failure":
                        r["failed_checks"][check["name"]] += 1
                        r["schema_mismatches"] += check["name"] == MISMATCH
    for r in routes.values():
        r["undocumented_seen"] = sorted(r["undocumented_seen"])
        positive = r["positive_cases"]
        r["positive_2xx_share"] = round(r["positive_2xx"] / positive, 3) if positive else None
        for key in ("by_media_type", "statuses", "failed_checks", "other_method_probes"):
            r[key] = dict(sorted(r[key].items()))
    return dict(sorted(routes.items(), key=lambda item: item[0].split(" ", 1)[::-1]))


def table(data: dict[str, Any]) -> str:
    run = data["run"]
    lines = [
        f"schemathesis {run['schemathesis']}: {run['mode']}, seed {run['seed']}, "
        f"{run['workers']} workers, {run['wall_s']} s, {run['cases']} cases, "
        f"{run['machine']}; {'PASSED' if data['passed'] else 'FAILED'}",
        "",
        f"    {run['run_by']}",
        f"    {run['command']}",
        "",
        "| route | cases | json / form / multipart / none | valid cases 2xx | 500s "
        "| undocumented statuses | schema mismatches | other failed checks | statuses |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in data["routes"].items():
        media = r["by_media_type"]
        parts = [
            media.get("application/json", 0),
            media.get("application/x-www-form-urlencoded", 0),
            media.get("multipart/form-data", 0),
            media.get("no body", 0),
        ]
        share = r["positive_2xx_share"]
        valid = (
            f"{r['positive_2xx']}/{r['positive_cases']} ({share:.0%})" if share is not None else "-"
        )
        others = {k: v for k, v in r["failed_checks"].items() if k not in (UNDOCUMENTED, MISMATCH)}
        other = ", ".join(f"{k} {v}" for k, v in others.items()) or "0"
        undocumented = str(r["undocumented_statuses"])
        if r["undocumented_seen"]:
            undocumented += f" ({', '.join(map(str, r['undocumented_seen']))})"
        statuses = " ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        lines.append(
            f"| `{label}` | {r['cases']} | {' / '.join(map(str, parts))} | {valid} "
            f"| {r['status_500']} | {undocumented} | {r['schema_mismatches']} | {other} "
            f"| {statuses} |"
        )
    report = data["schemathesis"]
    lines += [
        "",
        "Valid cases 2xx: the schema-valid (positive) cases answered 2xx; the others were refused "
        "for a cost limit, n_best over beam_size or a bundle that is not there. Undocumented: "
        "statuses the route's OpenAPI entry does not declare. Statuses include schemathesis' "
        "other-method probes (405 with Allow, as its unsupported_method check wants), which no "
        "operation documents and are not counted as undocumented.",
        "",
        f"schemathesis: exit {report['exit_code']}, {report['generated']} cases generated, "
        f"{len(report['failures'])} failures, {len(report['errors'])} errors, warnings: "
        f"{', '.join(f'{k} {v}' for k, v in report['warnings'].items()) or 'none'}.",
        "",
    ]
    for failure in report["failures"][:20]:
        lines.append(f"- failure: {json.dumps(failure)[:500]}")
    for error in report["errors"][:20]:
        lines.append(f"- error: {json.dumps(error)[:500]}")
    return "\n".join(lines) + "\n"


def read_report(folder: Path) -> dict[str, Any]:
    """The parts of schemathesis' JSON run report the summary keeps."""
    found = sorted(folder.glob("json-*.json"))
    if not found:
        return {"exit_code": None, "generated": 0, "failures": [], "errors": [], "warnings": {}}
    report = json.loads(found[-1].read_text(encoding="utf-8"))
    warnings = {k: v for k, v in (report.get("warnings") or {}).items() if v}
    return {
        "exit_code": report.get("exit_code"),
        "stop_reason": report.get("stop_reason"),
        "generated": report.get("test_cases", {}).get("generated", 0),
        "failures": report.get("failures") or [],
        "errors": report.get("errors") or [],
        "warnings": warnings,
    }


def fetch_document(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/openapi.json", timeout=30) as answer:
        document: dict[str, Any] = json.loads(answer.read())
    return document


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--url", default=None, help="a running loopback server (default: start one)")
    p.add_argument("--bundles", default=None, help="NMT_BUNDLES for the started server")
    p.add_argument("--examples", type=int, default=100, help="cases per route and phase; 0: time")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-time", type=int, default=300, help="seconds: the cap, or the budget")
    p.add_argument("--workers", type=int, default=1, help="schemathesis workers (see above)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz")
    p.add_argument("--keep", type=Path, default=None, help="keep schemathesis' reports here")
    p.add_argument("extra", nargs="*", help="more schemathesis arguments (after --)")
    args = p.parse_args(argv)
    if args.url is not None and urllib.parse.urlsplit(args.url).hostname not in LOOPBACK:
        p.error("--url must be a loopback address")
    if args.examples < 0 or args.max_time < 1:
        p.error("--examples must be >= 0 and --max-time >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tool = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    with tempfile.TemporaryDirectory(prefix="nmt-fuzz-") as tmp:
        reports = args.keep or Path(tmp)
        reports.mkdir(parents=True, exist_ok=True)
        server_log = reports / "server.log"
        key = os.environ.get("NMT_FUZZ_KEY", "")
        server = None
        with server_log.open("wb") as log:
            if args.url is None:
                key = secrets.token_urlsafe(24)
                settings = {
                    "NMT_API_KEYS": key,
                    "NMT_ADMIN_KEY": key,
                    "NMT_RATE_LIMIT_PER_MINUTE": "0",
                    "NMT_LOG_LEVEL": "warning",
                    # /suggest on, into a throwaway SQLite (and files) under the run's folder
                    "NMT_SUGGESTIONS": "true",
                    "NMT_HOME": str(Path(tmp) / "home"),
                }
                spawn = argparse.Namespace(bundles=args.bundles, url=None)
                server = spawn_server(spawn, env_extra=settings, log=log)
                args.url = spawn.url
            try:
                document = fetch_document(args.url)
                if args.examples:
                    mode = f"{args.examples} examples per route and phase"
                    bound = ["--max-examples", str(args.examples)]
                    cap = args.max_time
                else:
                    mode = f"{args.max_time} s time budget"
                    bound = ["--max-time", str(args.max_time)]
                    cap = args.max_time + 120
                auth = ["-H", f"X-API-Key: {key}"] if key else []
                cmd = [
                    tool, "--config-file", str(CONFIG), "run", f"{args.url}/openapi.json",
                    "--checks", CHECKS, "--exclude-checks", EXCLUDED,
                    *bound, "--seed", str(args.seed), "--generation-database", "none",
                    "--workers", str(args.workers),
                    "--request-timeout", "60", "--max-response-time", "45",
                    "--suppress-health-check", "too_slow,filter_too_much",
                    "--report", "json,ndjson", "--report-dir", str(reports),
                    *auth, *args.extra,
                ]  # fmt: skip
                started = time.monotonic()
                try:
                    rc = subprocess.run(cmd, check=False, timeout=cap).returncode
                    finished = True
                except subprocess.TimeoutExpired:
                    print(f"fuzz: schemathesis did not finish within {cap} s", file=sys.stderr)
                    rc, finished = 124, False
                wall = round(time.monotonic() - started, 1)
            finally:
                if server is not None:
                    server.terminate()
                    try:
                        server.wait(timeout=120)
                    except subprocess.TimeoutExpired:
                        server.kill()
                        server.wait()
        if server is not None and server.returncode not in (0, -15):
            print(f"fuzz: the server exited with {server.returncode}", file=sys.stderr)
            rc = rc or 1
        streams = sorted(reports.glob("ndjson-*.ndjson"))
        routes = summarize(streams[-1], document) if streams else {}
        report = read_report(reports)
        shown = [("[key]" if key and part.endswith(key) else part) for part in cmd]
        shown = [str(Path(p).relative_to(ROOT)) if p.startswith(str(ROOT)) else p for p in shown]
        shown = ["<tmp>" if p == str(reports) else p.replace(args.url, "<server>") for p in shown]
        tested = {f"{m.upper()} {p}" for p, item in document["paths"].items() for m in item}
        problems = [
            *(
                f"{label}: {r['status_500']} x 500"
                for label, r in routes.items()
                if r["status_500"]
            ),
            *(
                f"{label}: undocumented statuses {r['undocumented_seen']}"
                for label, r in routes.items()
                if r["undocumented_statuses"]
            ),
            *(
                f"{label}: {r['schema_mismatches']} schema mismatches"
                for label, r in routes.items()
                if r["schema_mismatches"]
            ),
            # every route, unless extra arguments chose some
            *(f"{label}: not tested" for label in sorted(tested - set(routes)) if not args.extra),
            *(
                f"{label}: schema-valid cases refused (validation_mismatch)"
                for label in report["warnings"].get("validation_mismatch", [])
                if label not in EXPECTED_REJECTIONS
            ),
        ]
        if not finished:
            problems.append(f"did not finish within {cap} s")
        passed = rc == 0 and not problems
        data = {
            "run": {
                "schemathesis": tool_version(tool),
                "mode": mode,
                "seed": args.seed,
                "workers": args.workers,
                "wall_s": wall,
                "cases": sum(r["cases"] for r in routes.values()),
                "machine": machine(),
                "run_by": " ".join(["python bench/fuzz.py", *(argv or sys.argv[1:])]),
                "command": " ".join(shown),
                "server": "spawned: a random key as API and admin key, rate limit off"
                if server is not None
                else "given by --url",
            },
            "passed": passed,
            "problems": problems,
            "routes": routes,
            "schemathesis": report,
        }
        write_results(args.out, data, table(data))
        if not passed:
            for problem in problems:
                print(f"fuzz: {problem}", file=sys.stderr)
            tail = server_log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
            print("fuzz: the server's log ends:", *tail, sep="\n", file=sys.stderr)
    return 0 if passed else (rc or 1)


def tool_version(tool: str) -> str:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip().rsplit(" ", 1)[-1] or "unknown"


if __name__ == "__main__":
    sys.exit(main())
