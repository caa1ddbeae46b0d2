"""The `nmt` command.

Subcommands import what they need inside their handlers: `import nmt.cli` stays free of torch,
Lightning and FastAPI, and `nmt data` does not pay for them. A refusal (bad input, bad option,
missing package) is one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from nmt import __version__
from nmt.paths import apt_dir, data_dir

logger = logging.getLogger("nmt")

# Exit status of a refusal (usage errors from argparse also exit 2).
EXIT_REFUSED = 2

Handler = Callable[[argparse.Namespace], int]


def _data_build(args: argparse.Namespace) -> int:
    from nmt.config import DataConfig, load_yaml
    from nmt.corpus.build import build_corpus

    cfg = load_yaml(DataConfig, args.config) if args.config else DataConfig(pair=args.pair)
    out = args.out or data_dir(args.pair)
    manifest = build_corpus(
        args.pair,
        out,
        apt_root=args.apt_dir or apt_dir(),
        cfg=cfg,
        refresh=args.refresh,
        pin=args.pin or args.pin_allow_current,
        pin_allow_current=args.pin_allow_current,
    )
    _print_summary(out, manifest)
    return 0


def _data_import(args: argparse.Namespace) -> int:
    from nmt.config import DataConfig, load_yaml
    from nmt.corpus.importer import detect_format, import_corpus

    cfg = load_yaml(DataConfig, args.config) if args.config else DataConfig(pair=args.pair)
    train = [detect_format(args.inputs, args.format)]
    valid = [detect_format(args.valid, args.format)] if args.valid else []
    test = [detect_format(args.test, args.format)] if args.test else []
    manifest = import_corpus(
        train, args.out, cfg=cfg, valid=valid, test=test, skip_bad=args.skip_bad
    )
    _print_summary(args.out, manifest)
    return 0


def _train(args: argparse.Namespace) -> int:
    from nmt.config import TrainConfig, load_yaml

    overrides = list(args.overrides)
    if args.name:
        overrides.append(f"name={args.name}")
    cfg = load_yaml(TrainConfig, args.config, overrides)
    from training.train import train  # Lightning and torch only for this subcommand

    run_dir = train(cfg, run_dir=args.run_dir, corpus=args.data)
    sys.stdout.write(f"{run_dir}\n")
    return 0


def _add_train(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    train = sub.add_parser(
        "train",
        help="train (or resume) a model with PyTorch Lightning",
        description="Train a run in $NMT_HOME/runs/<name>/; re-running resumes from last.ckpt.",
    )
    train.add_argument("--config", type=Path, default=Path("configs/en-de.yaml"))
    train.add_argument("--name", help="run name (default: the config's name)")
    train.add_argument("--data", type=Path, help="corpus folder (default $NMT_HOME/data/PAIR)")
    train.add_argument("--run-dir", type=Path, help="run folder (default $NMT_HOME/runs/NAME)")
    train.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="config overrides, e.g. trainer.max_time=00:00:30:00 optim.lr=0.001",
    )
    train.set_defaults(handler=_train)


CHUNK_LINES = 256  # stdin lines translated together (one line at a time from a terminal)


def _translate(args: argparse.Namespace) -> int:
    """stdin -> stdout, one translation per line, in chunks: a long input is never held whole
    and each chunk is flushed as soon as it is translated."""
    from nmt.config import ConfigError
    from nmt.translator import Translator

    for option, value in (("--beam", args.beam), ("--batch-size", args.batch_size)):
        if value < 1:
            raise ConfigError(f"{option} must be >= 1, got {value}")
    if args.threads is not None and args.threads < 1:
        raise ConfigError(f"--threads must be >= 1, got {args.threads}")
    from nmt.files.command import file_options_given, translate_file

    if args.input is not None or args.output is not None:
        return translate_file(args)
    if given := file_options_given(args):
        raise ConfigError(f"{', '.join(given)} need INPUT and OUTPUT files")
    translator = Translator.load(args.bundle, threads=args.threads, batch_size=args.batch_size)
    decoding = translator.decoding_config(beam_size=args.beam)
    stdin, stdout = _utf8_stdin(), _utf8(sys.stdout)
    chunk = 1 if stdin.isatty() else CHUNK_LINES
    try:
        while lines := list(itertools.islice(stdin, chunk)):
            # Line ends are kept apart so that CRLF input gives CRLF output.
            texts = [line.rstrip("\r\n") for line in lines]
            ends = ["\r\n" if line.endswith("\r\n") else "\n" for line in lines]
            results = translator.translate(texts, decoding, terms=args.term, return_alignment=False)
            stdout.write("".join(r.text + end for r, end in zip(results, ends, strict=True)))
            stdout.flush()
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as filters do
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
    return 0


def _utf8_stdin() -> TextIO:
    """stdin as UTF-8 whatever the locale, CRLF kept (newline=""), undecodable bytes replaced.
    Reconfigured in place: a second wrapper around its buffer would close stdin when freed."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(encoding="utf-8", errors="replace", newline="")
    return sys.stdin


def _utf8(stream: TextIO) -> TextIO:
    if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower() not in ("utf-8", "utf8"):
        stream.reconfigure(encoding="utf-8")
    return stream


def _add_translate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from nmt.files.command import add_arguments

    translate = sub.add_parser(
        "translate",
        help="translate stdin lines or a file with a model bundle",
        description="Read lines on stdin and write one translation per line on stdout "
        "(blank lines stay blank). Sentences of a line are translated one by one. With INPUT "
        "OUTPUT: translate a file (txt, tsv, jsonl, po, pot, xlf/xliff by its extension); "
        "running the same command again resumes an interrupted run.",
    )
    add_arguments(translate)
    translate.add_argument(
        "--bundle", type=Path, default=Path("models/en-de"), help="model bundle folder"
    )
    translate.add_argument("--beam", type=int, default=5, help="beam size (1 = greedy)")
    translate.add_argument("--threads", type=int, help="ONNX Runtime threads (default: cores)")
    translate.add_argument("--batch-size", type=int, default=32, help="sentences per batch")
    translate.add_argument(
        "--term",
        action="append",
        default=[],
        metavar="TERM",
        help="a do-not-translate term, kept exactly (repeatable)",
    )
    translate.set_defaults(handler=_translate)


def _print_summary(out: Path, manifest: dict[str, object]) -> None:
    """The result for the user, on stdout: where it is and the counts."""
    summary = {
        "out": str(out),
        "splits": {k: v["count"] for k, v in manifest["splits"].items()},  # type: ignore[attr-defined]
        "test_parts": manifest.get("test_parts"),
        "skipped": manifest.get("skipped"),
        "wall_time_s": manifest.get("wall_time_s"),
    }
    sys.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def _add_data(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    data = sub.add_parser("data", help="build or import a parallel corpus")
    dsub = data.add_subparsers(dest="data_command", required=True, metavar="{build,import}")

    build = dsub.add_parser("build", help="build the Debian localization corpus of a pair")
    build.add_argument("--pair", default="en-de", help="language pair (en-de, en-fr)")
    build.add_argument("--out", type=Path, help="output folder (default $NMT_HOME/data/PAIR)")
    build.add_argument("--config", type=Path, help="data config YAML (filters, split sizes)")
    build.add_argument("--apt-dir", type=Path, help="apt state/cache (default $NMT_HOME/apt)")
    build.add_argument("--refresh", action="store_true", help="re-run apt-get update")
    build.add_argument(
        "--pin",
        action="store_true",
        help="reuse the packages and versions recorded in OUT/manifest.json; fails, naming "
        "them all, when some versions have left the archive",
    )
    build.add_argument(
        "--pin-allow-current",
        action="store_true",
        help="like --pin, but take the current version of packages whose recorded version has "
        "left the archive (listed in the manifest's pins_replaced)",
    )
    build.set_defaults(handler=_data_build)

    imp = dsub.add_parser("import", help="import your own parallel data")
    imp.add_argument(
        "inputs",
        type=Path,
        nargs="+",
        help="FILE.tsv | FILE.jsonl | HF_DATASET_DIR | SOURCE.txt TARGET.txt",
    )
    imp.add_argument("--out", type=Path, required=True, help="output folder")
    imp.add_argument("--pair", default="en-de")
    imp.add_argument("--format", choices=["tsv", "text", "jsonl", "hf"])
    imp.add_argument("--valid", type=Path, nargs="+", help="your own valid set (same forms)")
    imp.add_argument("--test", type=Path, nargs="+", help="your own test set (same forms)")
    imp.add_argument("--config", type=Path, help="data config YAML (filters, split sizes)")
    imp.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip bad lines (counted in the manifest) instead of stopping",
    )
    imp.set_defaults(handler=_data_import)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, like every other refusal of `nmt`."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_REFUSED, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _Parser(
        prog="nmt", description="Self-hosted neural machine translation for localization text."
    )
    parser.add_argument("--version", action="version", version=f"nmt {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_data(sub)
    _add_train(sub)
    _add_translate(sub)
    _add_export(sub)
    _add_evaluate(sub)
    _add_serve(sub)
    return parser


def _serve(args: argparse.Namespace) -> int:
    # The options become the NMT_* settings: uvicorn's workers read them from the environment.
    given = {"HOST": args.host, "PORT": args.port, "MODELS_DIR": args.models_dir}
    given["BUNDLES"] = ",".join(args.bundle) if args.bundle else None
    given["WORKERS"] = args.workers
    os.environ.update({f"NMT_{k}": str(v) for k, v in given.items() if v is not None})
    from serving.__main__ import main as serve_main  # FastAPI and uvicorn only for this command

    serve_main()
    return 0


def _add_serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="run the translation service (make serve); other settings: NMT_* variables",
    )
    serve.add_argument("--host", help="default 127.0.0.1")
    serve.add_argument("--port", type=int, help="default 8000")
    serve.add_argument("--models-dir", help="the models folder (default models)")
    serve.add_argument(
        "--bundle", action="append", help="a bundle folder or name under the models folder, or *"
    )
    serve.add_argument("--workers", type=int, help="uvicorn worker processes (default 1)")
    serve.set_defaults(handler=_serve)


def _add_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from nmt.export import cli as export_cli

    export = sub.add_parser(
        "export",
        help="export a run to ONNX (parity-checked, int8) and write a model bundle",
        description="Export RUN_DIR's best checkpoint to ONNX, check parity with PyTorch, "
        "quantize to int8 and write the bundle OUT_DIR.",
    )
    export_cli.add_arguments(export)
    export.set_defaults(handler=export_cli.run)


def _add_evaluate(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from nmt.evaluate import cli as evaluate_cli

    evaluate = sub.add_parser(
        "evaluate",
        help="score a bundle or run: BLEU, chrF, TER by part and decoding, report + plots",
        description="Evaluate a model on the corpus test split or your own test set.",
    )
    evaluate_cli.add_arguments(evaluate)
    evaluate.set_defaults(handler=evaluate_cli.run)


def _refusals() -> tuple[type[Exception], ...]:
    """Errors that mean 'your input or setup is wrong', reported in one line."""
    from nmt.bundle import BundleError
    from nmt.config import ConfigError
    from nmt.corpus.apt import AptError
    from nmt.corpus.readers import CorpusInputError
    from nmt.evaluate.testsets import TestSetError
    from nmt.files.errors import FileInputError

    return (
        ConfigError,
        AptError,
        CorpusInputError,
        FileInputError,
        TestSetError,
        BundleError,
        FileNotFoundError,
        PermissionError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    handler: Handler = args.handler
    try:
        return handler(args)
    except _refusals() as err:
        sys.stderr.write(f"nmt: error: {err}\n")
        return EXIT_REFUSED
    except KeyboardInterrupt:
        sys.stderr.write("nmt: interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
