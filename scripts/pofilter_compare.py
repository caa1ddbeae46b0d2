"""pofilter failure counts of a real catalog: the human translation against machine ones.

The catalog comes from a Debian package's compiled `.mo` (`msgunfmt`, then `msgconv -t
UTF-8`); its msgstr are emptied and the catalog is translated by `nmt translate` with each
bundle given; translate-toolkit's `pofilter` then checks the human catalog and every machine
one, and the failing entries are counted per check (an entry failing two checks counts in
both).

    .venv/bin/python scripts/pofilter_compare.py \
        $NMT_HOME/apt/extracted-l10n/snapper/usr/share/locale/de/LC_MESSAGES/snapper.mo \
        --bundle "v1 (before)=/tmp/b-v1" --bundle "v3 (after)=/tmp/b-v3" [--out results.md]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

BIN = Path(sys.executable).parent
# The checks of docs/segment-fidelity.md (this translate-toolkit has no `pythonformat`).
CHECKS = (
    "options",
    "doublespacing",
    "tabs",
    "xmltags",
    "brackets",
    "startwhitespace",
    "endwhitespace",
    "newlines",
    "printf",
    "pythonbraceformat",
    "variables",
    "urls",
    "emails",
    "accelerators",
)


def catalog(mo: Path, tmp: Path) -> Path:
    """The `.mo` as a UTF-8 `.po` (the human translation)."""
    raw, human = tmp / "raw.po", tmp / "human.po"
    subprocess.run(["msgunfmt", str(mo), "-o", str(raw)], check=True)
    subprocess.run(["msgconv", "-t", "UTF-8", str(raw), "-o", str(human)], check=True)
    return human


def emptied(human: Path, tmp: Path) -> Path:
    """The catalog with every msgstr empty (what the machine gets to fill)."""
    from translate.storage import po

    store = po.pofile.parsefile(str(human))
    for unit in store.units:
        if not unit.isheader():
            unit.target = ""
    out = tmp / "empty.po"
    store.savefile(str(out))
    return out


def failures(path: Path, tmp: Path) -> tuple[Counter[str], int]:
    """(failing entries per check, translated entries) of `path`."""
    from translate.storage import po

    out = tmp / f"filtered-{path.stem}.po"
    checks = [f"-t{c}" for c in CHECKS]
    subprocess.run(
        [str(BIN / "pofilter"), "--progress=none", *checks, str(path), str(out)], check=True
    )
    counts: Counter[str] = Counter()
    if out.exists():
        for unit in po.pofile.parsefile(str(out)).units:
            for check in set(re.findall(r"\(pofilter\) (\w+):", unit.getnotes())):
                counts[check] += 1
    store = po.pofile.parsefile(str(path))
    filled = sum(1 for u in store.units if not u.isheader() and u.target)
    return counts, filled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mo", type=Path)
    parser.add_argument("--bundle", action="append", default=[], help="LABEL=BUNDLE_DIR")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        human = catalog(args.mo, tmp)
        empty = emptied(human, tmp)
        rows = [("human", *failures(human, tmp))]
        for i, spec in enumerate(args.bundle):
            label, _, bundle = spec.partition("=")
            out = tmp / f"machine{i}.po"
            cmd = [str(BIN / "nmt"), "translate", str(empty), str(out), "--bundle", bundle]
            subprocess.run([*cmd, "--threads", str(args.threads)], check=True)
            rows.append((label, *failures(out, tmp)))
    shown = [c for c in CHECKS if any(r[1][c] for r in rows)]
    lines = [f"| {args.mo.stem} | filled | " + " | ".join(shown) + " |"]
    lines.append("|---|---:|" + "---:|" * len(shown))
    for label, counts, filled in rows:
        lines.append(f"| {label} | {filled} | " + " | ".join(str(counts[c]) for c in shown) + " |")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
