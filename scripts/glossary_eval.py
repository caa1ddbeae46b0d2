"""Issue 14's glossary test: 200 test sentences, 50 terms fixed before decoding.

The terms are `scripts/glossary_terms.tsv` (chosen without reading the references). The
sentences: the first 200 lines of the corpus's test.tsv (file order) whose source holds a term
(whole word, any case), nothing else that `nmt.protect` masks (so every protected span of a
sentence is a glossary term and the Translator's `placed` / `inserted` counts are the terms'),
and at most 30 words. Each is translated with and without the glossary; reported: the terms
the model placed itself and those restore had to insert, the outputs holding every target
term, and sacreBLEU with and without the glossary.

    .venv/bin/python scripts/glossary_eval.py --bundle models/en-de [--preprocessing 2]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import sacrebleu

from nmt.glossary import load_glossary
from nmt.paths import data_dir
from nmt.protect import protect
from nmt.translator import Translator

HERE = Path(__file__).parent


def sentences(corpus: Path, glossary: dict[str, str], count: int) -> list[tuple[str, str]]:
    out = []
    for line in (corpus / "test.tsv").read_text(encoding="utf-8").splitlines():
        source, _, reference = line.partition("\t")
        if len(source.split()) > 30 or protect(source, version=2).spans:
            continue
        if protect(source, glossary=glossary, version=2).spans:
            out.append((source, reference))
            if len(out) == count:
                break
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=Path("models/en-de"))
    parser.add_argument("--corpus", type=Path, default=data_dir("en-de"))
    parser.add_argument("--glossary", type=Path, default=HERE / "glossary_terms.tsv")
    parser.add_argument("--preprocessing", type=int)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--beam", type=int, default=5)
    args = parser.parse_args()
    glossary = load_glossary(args.glossary)
    pairs = sentences(args.corpus, glossary, args.count)
    sources, refs = [s for s, _ in pairs], [r for _, r in pairs]
    translator = Translator.load(args.bundle, preprocessing=args.preprocessing)
    plain = translator.translate(sources, beam_size=args.beam, return_alignment=False)
    termed = translator.translate(
        sources, beam_size=args.beam, glossary=glossary, return_alignment=False
    )
    terms = sum(len(protect(s, glossary=glossary, version=2).spans) for s in sources)
    targets = [
        [span.target for span in protect(s, glossary=glossary, version=2).spans] for s in sources
    ]
    all_in = sum(all(t in out.text for t in ts) for ts, out in zip(targets, termed, strict=True))
    plain_in = sum(all(t in out.text for t in ts) for ts, out in zip(targets, plain, strict=True))
    in_refs = sum(all(t in r for t in ts) for ts, r in zip(targets, refs, strict=True))
    result = {
        "bundle": str(args.bundle),
        "preprocessing": translator.preprocessing.version,
        "sentences": len(pairs),
        "glossary_terms": len(glossary),
        "term_occurrences": terms,
        "placed_by_model": sum(t.placed for t in termed),
        "inserted_by_restore": sum(t.inserted for t in termed),
        "outputs_with_every_target_term": {"with": all_in, "without": plain_in},
        "references_with_every_target_term": in_refs,
        "bleu": {
            "without": round(sacrebleu.corpus_bleu([t.text for t in plain], [refs]).score, 2),
            "with": round(sacrebleu.corpus_bleu([t.text for t in termed], [refs]).score, 2),
        },
        "examples": [
            [s, p.text, t.text, r]
            for s, p, t, r in list(zip(sources, plain, termed, refs, strict=True))[:8]
        ],
    }
    sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
