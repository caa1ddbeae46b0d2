"""Check a built corpus for leakage from its TSV files alone, independently of the builder.

Reads `train.tsv`, `valid.tsv`, `test.tsv` and, from `manifest.json`, only the test parts' line
counts (to know which lines are the `ui` part) and the common UI vocabulary the builder claims
to have kept in train. Imports nothing of `nmt`: the rule is re-derived here.

Checked, exactly and case-folded: no test source is in valid; no test or valid source is in
train, except `ui` test and UI valid sources (the first `ui.valid_msgids` lines of valid.tsv)
that the manifest lists as common vocabulary; a source of another test part never. With
`--other-train`, also counts how many `ui` sources another corpus's train.tsv holds (the
shipped model's own data).
Exit status 1 when a rule is broken.

    .venv/bin/python scripts/check_corpus_leakage.py $NMT_HOME/data/en-de \\
        [--other-train $NMT_HOME/data/en-de-lean/train.tsv]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def sources(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return [line.split("\t", 1)[0] for line in lines]


def overlap(a: list[str], b: set[str], *, fold: bool) -> set[str]:
    keys = {s.casefold() for s in b} if fold else b
    return {s for s in a if (s.casefold() if fold else s) in keys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--other-train", type=Path, help="another corpus's train.tsv")
    args = parser.parse_args()
    manifest = json.loads((args.corpus / "manifest.json").read_text(encoding="utf-8"))
    train = set(sources(args.corpus / "train.tsv"))
    valid = sources(args.corpus / "valid.tsv")
    test = sources(args.corpus / "test.tsv")
    parts, start = {}, 0
    for name, count in manifest["test_parts"].items():
        parts[name] = test[start : start + count]
        start += count
    ui = parts.get("ui", [])
    common = {s.casefold() for s in manifest.get("ui", {}).get("common_vocabulary", [])}
    ui_valid_domains = set(manifest.get("ui", {}).get("valid_domains", []))
    # The builder writes the UI valid domains first in valid.tsv; the rest is hashed units.
    ui_valid = set(valid[: manifest.get("ui", {}).get("valid_msgids", 0)])
    report: dict[str, object] = {"train": len(train), "valid": len(valid), "test": len(test)}
    broken = []
    for fold in (False, True):
        kind = "casefold" if fold else "exact"
        in_valid = overlap(test, set(valid), fold=fold)
        test_in_train = overlap(test, train, fold=fold)
        valid_in_train = overlap(valid, train, fold=fold)
        allowed = {s for s in ui if s.casefold() in common}
        bad_test = {s for s in test_in_train if s not in allowed or s not in set(ui)}
        bad_test |= {s for s in test_in_train if any(s in p for n, p in parts.items() if n != "ui")}
        bad_valid = {s for s in valid_in_train if s not in ui_valid or s.casefold() not in common}
        report[kind] = {
            "test_in_valid": len(in_valid),
            "test_in_train": len(test_in_train),
            "test_in_train_not_common_ui": len(bad_test),
            "valid_in_train": len(valid_in_train),
            "valid_in_train_not_common_ui": len(bad_valid),
        }
        if in_valid or bad_test or bad_valid:
            broken.append(kind)
            for s in sorted(in_valid | bad_test | bad_valid)[:10]:
                sys.stderr.write(f"leak ({kind}): {s!r}\n")
    report["ui_sources"] = len(ui)
    report["ui_seen_in_train"] = sum(s in train for s in ui)
    report["common_vocabulary"] = len(common)
    report["ui_valid_domains"] = sorted(ui_valid_domains)
    if args.other_train:
        other = set(sources(args.other_train))
        report["ui_in_other_train"] = {
            "exact": sum(s in other for s in ui),
            "casefold": len(overlap(ui, other, fold=True)),
        }
    report["ok"] = not broken
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
