"""Score a machine-translated gettext catalog against the package's own translation.

    python bench/po_score.py MT.po REFERENCE.po [--json out.json]

Entries are matched by (msgctxt, msgid); the header, untranslated and fuzzy reference entries
are left out. For plural entries every form is compared (msgstr[i] with msgstr[i]). Reports
sacreBLEU BLEU and chrF (with signatures) over the matched strings, and placeholder integrity
per entry: the protected spans of the source (printf conversions, braces, tags, entities,
URLs...) and of the machine translation must be the same multiset (`%1$s` order may change).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import sacrebleu
from translate.storage import pypo

# The file translation's own check, so placeholders are read exactly as translation reads them.
from nmt.files.placeholders import numbered_spans, placeholders_intact


def _units(path: Path) -> dict[tuple[str, str], Any]:
    store = pypo.pofile.parsefile(str(path))
    return {
        (unit.getcontext() or "", str(unit.source)): unit
        for unit in store.units
        if not unit.isheader() and not unit.isobsolete()
    }


def _forms(unit: Any) -> list[str]:
    target = unit.target
    return [str(s) for s in getattr(target, "strings", [target])]


def score(mt_path: Path, ref_path: Path) -> dict[str, Any]:
    mt, ref = _units(mt_path), _units(ref_path)
    hyps: list[str] = []
    refs: list[str] = []
    broken: list[str] = []
    entries = 0
    for key, ref_unit in ref.items():
        mt_unit = mt.get(key)
        if mt_unit is None or not ref_unit.istranslated() or ref_unit.isfuzzy():
            continue
        entries += 1
        sources = [str(s) for s in getattr(ref_unit.source, "strings", [ref_unit.source])]
        mt_forms, ref_forms = _forms(mt_unit), _forms(ref_unit)
        for i, (hyp, want) in enumerate(zip(mt_forms, ref_forms, strict=False)):
            hyps.append(hyp)
            refs.append(want)
            source = sources[min(i, len(sources) - 1)]
            if not placeholders_intact(source, hyp):  # numbered reordering allowed
                broken.append(f"{key[1]!r} -> {hyp!r}")
    bleu = sacrebleu.metrics.BLEU()
    chrf = sacrebleu.metrics.CHRF()
    return {
        "entries": entries,
        "strings": len(hyps),
        "with_placeholders": sum(1 for k in ref if numbered_spans(k[1])),
        "placeholders_broken": len(broken),
        "broken_examples": broken[:10],
        "bleu": round(bleu.corpus_score(hyps, [refs]).score, 2),
        "bleu_signature": str(bleu.get_signature()),
        "chrf": round(chrf.corpus_score(hyps, [refs]).score, 2),
        "chrf_signature": str(chrf.get_signature()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mt", type=Path)
    p.add_argument("reference", type=Path)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    try:
        result = score(args.mt, args.reference)
    except (OSError, ValueError) as err:  # translate-toolkit's PoParseError is a ValueError
        p.exit(2, f"po_score: {err}\n")
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
