"""A Markdown summary of a corpus build's manifest.json: splits, sources, UI parts, discovery.

.venv/bin/python scripts/corpus_summary.py $NMT_HOME/data/en-de > bench/results/corpus-en-de.md
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def lines(m: dict[str, Any]) -> list[str]:
    splits = {k: v["count"] for k, v in m["splits"].items()}
    out = [
        f"# Corpus {m['pair']} ({m['builder']})",
        "",
        f"Splits: train {splits['train']:,}, valid {splits['valid']:,}, test {splits['test']:,} "
        f"(parts: {', '.join(f'{k} {v:,}' for k, v in m['test_parts'].items())}). "
        f"Wall time {m.get('wall_time_s')} s; {m.get('downloaded_bytes', 0) / 1e6:,.1f} MB "
        "downloaded by this build.",
        "",
        "| source | packages | extracted | unique pairs | train | valid | test |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, src in m["sources"].items():
        per = src["per_split"]
        out.append(
            f"| {name} | {len(src['packages'])} | {src['extracted']:,} | {src['pairs']:,} | "
            f"{per['train']:,} | {per['valid']:,} | {per['test']:,} |"
        )
    ui = m.get("ui", {})
    disc = m.get("discovery", {})
    reasons = Counter(r.split(":")[0] for r in disc.get("left_out", {}).values())
    out += [
        "",
        f"UI test part: {ui.get('test_msgids')} messages from {len(ui.get('test_domains', []))} "
        f"domains, {ui.get('test_seen_in_train')} of them common vocabulary kept in train; UI "
        f"valid: {ui.get('valid_msgids')} messages ({100 * ui.get('valid_share', 0):.1f}% of "
        f"valid); common vocabulary: {len(ui.get('common_vocabulary', []))} sources.",
        "",
        f"Discovery: {len(disc.get('catalogs', {}))} catalog packages "
        f"({sum(len(d) for d in disc.get('catalogs', {}).values())} domains), "
        f"{len(disc.get('help', {}))} help packages; left out: "
        + ", ".join(f"{n} {r}" for r, n in sorted(reasons.items())),
        "",
        "Frozen test parts (sha256 of their lines): "
        + ", ".join(f"{k} `{v[:16]}…`" for k, v in m.get("test_part_sha256", {}).items()),
        "",
        "| skipped (top 15) | lines |",
        "|---|---:|",
    ]
    top = sorted(m["skipped"].items(), key=lambda kv: -kv[1])[:15]
    out += [f"| {reason} | {n:,} |" for reason, n in top]
    licences = Counter(m.get("licences", {}).values()).most_common(8)
    out += ["", "Licences (top 8): " + ", ".join(f"{k} {n}" for k, n in licences)]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    args = parser.parse_args()
    manifest = json.loads((args.corpus / "manifest.json").read_text(encoding="utf-8"))
    sys.stdout.write("\n".join(lines(manifest)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
