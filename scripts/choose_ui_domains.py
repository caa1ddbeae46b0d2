"""Choose the UI text domains held out for the `ui` test part and valid (run once, then frozen).

The choice was made once with this script and written into `nmt/corpus/recipes.py`
(`UI_TEST_DOMAINS`, `UI_VALID_DOMAINS`); it is kept so that the rule can be read and rerun,
never to change the frozen names. Eligible: a discovered text domain of a package outside the
lean recipe's 22 catalog packages, with 60 to 600 messages after cleaning (no single domain
dominates a part) whose median English length is at most 6 words (UI strings, not prose). Taken
in stable-hash order: test until >= 2,500 messages from >= 10 domains, then valid until >= 500
messages. A command-line catalog (>= 10 messages starting with an option such as `-x` or
`--long`) is added to test if the hash order brought none, so the help-column checks of the
segment-fidelity work have one.

    .venv/bin/python scripts/choose_ui_domains.py [--apt-dir DIR] > choice.json
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from nmt.config import DataConfig
from nmt.corpus.apt import AptCache
from nmt.corpus.build import clean_pairs, discover, fetch_packages
from nmt.corpus.recipes import LEAN_GETTEXT_PACKAGES
from nmt.corpus.sources import gettext_mo
from nmt.corpus.split import stable_hash
from nmt.corpus.types import RawPair, SourceContext
from nmt.paths import apt_dir

SALT = "nmt-ui-domains-v1"
_OPTION = re.compile(r"^\s*(-\w|--\w)")


def domain_pairs(apt: AptCache) -> dict[str, list[RawPair]]:
    selection = discover(apt, "de", DataConfig(), exclude=["gnome-user-docs"])
    fetched = fetch_packages(apt, [], selection.packages, {}, lang="de", allow_current=False)
    trees = {p: fetched.trees[p] for p in selection.catalogs}
    ctx = SourceContext("de", trees, apt.lists, items=selection.catalogs)
    by_domain: dict[str, list[RawPair]] = defaultdict(list)
    for pair in clean_pairs(gettext_mo.extract_catalogs(ctx), "gettext", ctx.skipped):
        package, _, domain = pair.origin.partition("/")
        if package not in LEAN_GETTEXT_PACKAGES:
            by_domain[domain].append(pair)
    return by_domain


def choose(by_domain: dict[str, list[RawPair]]) -> dict[str, object]:
    eligible = []
    for domain, pairs in by_domain.items():
        sources = {p.source for p in pairs}
        median = statistics.median(len(s.split()) for s in sources)
        if 60 <= len(sources) <= 600 and median <= 6:
            eligible.append(domain)
    order = sorted(eligible, key=lambda d: stable_hash(SALT, d))
    size = {d: len({p.source for p in by_domain[d]}) for d in order}
    test: list[str] = []
    valid: list[str] = []
    for domain in order:
        if sum(size[d] for d in test) < 2500 or len(test) < 10:
            test.append(domain)
        elif sum(size[d] for d in valid) < 500:
            valid.append(domain)

    def is_cli(d: str) -> bool:
        return sum(bool(_OPTION.match(p.source)) for p in by_domain[d]) >= 10

    if not any(is_cli(d) for d in test):
        test.append(next(d for d in order if d not in test + valid and is_cli(d)))
    return {
        "test": sorted(test),
        "valid": sorted(valid),
        "test_msgids": sum(size[d] for d in test),
        "valid_msgids": sum(size[d] for d in valid),
        "cli": [d for d in test if is_cli(d)],
        "eligible": len(order),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--apt-dir", type=Path, default=None)
    args = parser.parse_args()
    apt = AptCache(args.apt_dir or apt_dir(), ["de", "fr"])
    apt.update()
    json.dump(choose(domain_pairs(apt)), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
