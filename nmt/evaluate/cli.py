"""`nmt evaluate`: options and handler (registered by `training.commands`; `make evaluate`).

```
nmt evaluate [MODEL] [--corpus DIR | --test FILE.tsv | --src FILE --ref FILE] [--out DIR]
             [--beams 1,2,5,10] [--record] [--compare A B]
```
MODEL is a bundle or a run folder (default models/en-de). The test set defaults to the test
split of the model's corpus ($NMT_HOME/data/<pair>), cut into its parts.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from nmt.checkpoints import CheckpointLoader
from nmt.errors import UsageError
from nmt.evaluate.testsets import TestSet, from_corpus, from_files, from_tsv
from nmt.paths import data_dir, nmt_home

logger = logging.getLogger(__name__)

DEFAULT_MODEL = Path("models/en-de")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        nargs="?",
        type=Path,
        default=DEFAULT_MODEL,
        help="bundle or run folder (default models/en-de)",
    )
    parser.add_argument("--corpus", type=Path, help="corpus folder: its test split, by part")
    parser.add_argument("--test", type=Path, help="a TSV test set (source TAB reference)")
    parser.add_argument("--src", type=Path, help="source file (with --ref), one per line")
    parser.add_argument("--ref", type=Path, help="reference file (with --src)")
    parser.add_argument("--out", type=Path, help="report folder (default $NMT_HOME/reports/NAME)")
    parser.add_argument("--beams", default="1,2,5,10", help="beam sizes besides greedy")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument(
        "--max-sentences",
        type=int,
        metavar="N",
        help="first N sentences of each part only (a quick look)",
    )
    parser.add_argument("--threads", type=int, help="inference threads (default: all cores)")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the test scores into the bundle's manifest and model card",
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("A", "B"),
        help="paired bootstrap of two bundles/runs (A is the baseline)",
    )


def _testset(args: argparse.Namespace, pair: str) -> tuple[TestSet, Path]:
    corpus = args.corpus or data_dir(pair)
    if args.test:
        return from_tsv(args.test), corpus
    if args.src or args.ref:
        if not (args.src and args.ref):
            raise UsageError("--src and --ref go together")
        return from_files(args.src, args.ref), corpus
    return from_corpus(corpus), corpus


def _head(testset: TestSet, n: int | None) -> TestSet:
    """The first `n` sentences of every part (all when n is None)."""
    if n is None:
        return testset
    sources: list[str] = []
    references: list[str] = []
    parts: dict[str, tuple[int, int]] = {}
    for part, (start, end) in testset.parts.items():
        stop = min(end, start + n)
        parts[part] = (len(sources), len(sources) + stop - start)
        sources += testset.sources[start:stop]
        references += testset.references[start:stop]
    return TestSet(testset.name, sources, references, parts)


def run(args: argparse.Namespace, *, load_checkpoint: CheckpointLoader | None = None) -> int:
    """Handler: score, write the report, print a JSON summary. `load_checkpoint` reads a run's
    checkpoint (training's reader; without it only bundles can be evaluated)."""
    from nmt.evaluate.models import load_translator, model_name

    try:
        beams = [int(b) for b in args.beams.split(",") if b.strip()]
    except ValueError:
        raise UsageError(f"--beams takes comma-separated integers, got {args.beams!r}") from None
    if args.compare:
        return _compare(args, load_checkpoint)
    translator = load_translator(args.model, threads=args.threads, load_checkpoint=load_checkpoint)
    pair = translator.bundle.pair if translator.bundle else "en-de"
    testset, corpus = _testset(args, pair)
    testset = _head(testset, args.max_sentences)
    from nmt.evaluate.report import evaluate, write_report

    report = evaluate(
        translator, testset, model=model_name(args.model), beams=beams, n_bootstrap=args.bootstrap
    )
    out = args.out or nmt_home() / "reports" / Path(args.model).resolve().name
    files = write_report(report, out, plots=not args.no_plots)
    if args.record:
        if translator.bundle is None:
            raise UsageError("--record needs a bundle, not a run")
        from nmt.evaluate.record import record_scores

        bundle = record_scores(args.model, report, corpus)
        logger.info("recorded test scores in %s (version %s)", args.model, bundle.version)
    summary = {
        run["label"]: {p: s["bleu"]["score"] for p, s in run["parts"].items()}
        for run in report["decodings"]
    }
    sys.stdout.write(
        json.dumps(
            {"report": str(out), "files": [f.name for f in files], "bleu": summary}, indent=2
        )
        + "\n"
    )
    return 0


def _compare(args: argparse.Namespace, load_checkpoint: CheckpointLoader | None) -> int:
    from nmt.evaluate.compare import compare, write_compare
    from nmt.evaluate.models import load_translator, model_name

    a, b = args.compare
    models = {
        model_name(path): load_translator(
            path, threads=args.threads, load_checkpoint=load_checkpoint
        )
        for path in (a, b)
    }
    if len(models) != 2:
        raise UsageError(f"--compare needs two different models, got {a} twice")
    first = next(iter(models.values()))
    testset, _ = _testset(args, first.bundle.pair if first.bundle else "en-de")
    result = compare(models, _head(testset, args.max_sentences), n_samples=args.bootstrap)
    out = args.out or nmt_home() / "reports" / f"compare-{Path(a).name}-{Path(b).name}"
    write_compare(result, out)
    sys.stdout.write(
        json.dumps(
            {
                "report": str(out),
                "parts": {
                    part: {m: {n: r["score"] for n, r in res[m].items()} for m in ("bleu", "chrf")}
                    for part, res in result["parts"].items()
                },
            },
            indent=2,
        )
        + "\n"
    )
    return 0
