"""The `nmt` command.

The core's own subcommands are `data` and `translate`; `train`, `export`, `evaluate` (training/)
and `serve` (serving/) are registered by those packages as `nmt.commands` entry points, so the
core never imports them. Subcommands import what they need inside their handlers: `import nmt.cli`
stays free of torch, Lightning and FastAPI, and `nmt data` does not pay for them. A refusal (any
`nmt.errors.NmtError`, or a missing or unreadable file) is one line on stderr and the error's exit
status, never a traceback.
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
from importlib.metadata import entry_points
from pathlib import Path
from typing import NoReturn, TextIO

from nmt import __version__
from nmt.errors import EXIT_REFUSED, NmtError
from nmt.paths import apt_dir, data_dir

logger = logging.getLogger("nmt")

# Entry-point group of the subcommands that live outside the core (training/, serving/).
COMMANDS_GROUP = "nmt.commands"

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
    from nmt.corpus.importer import detect_corpus_format, import_corpus

    cfg = load_yaml(DataConfig, args.config) if args.config else DataConfig(pair=args.pair)
    train = [detect_corpus_format(args.inputs, args.format)]
    valid = [detect_corpus_format(args.valid, args.format)] if args.valid else []
    test = [detect_corpus_format(args.test, args.format)] if args.test else []
    manifest = import_corpus(
        train, args.out, cfg=cfg, valid=valid, test=test, skip_bad=args.skip_bad
    )
    _print_summary(args.out, manifest)
    return 0


def _data_merge(args: argparse.Namespace) -> int:
    from nmt.corpus.merge import merge_into_train

    entry = merge_into_train(args.input, args.into, skip_bad=args.skip_bad)
    sys.stdout.write(json.dumps({"into": str(args.into), **entry}, ensure_ascii=False) + "\n")
    return 0


CHUNK_LINES = 256  # stdin lines translated together (one line at a time from a terminal)


def _translate(args: argparse.Namespace) -> int:
    """stdin -> stdout, one translation per line, in chunks: a long input is never held whole
    and each chunk is flushed as soon as it is translated."""
    from nmt.errors import UsageError

    for option, value in (("--beam", args.beam), ("--batch-size", args.batch_size)):
        if value < 1:
            raise UsageError(f"{option} must be >= 1, got {value}")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads must be >= 1, got {args.threads}")
    if args.lanes is not None and args.lanes < 1:
        raise UsageError(f"--lanes must be >= 1, got {args.lanes}")
    from nmt.files.command import file_options_given, translate_file

    if args.input is not None or args.output is not None:
        return translate_file(args)
    if given := file_options_given(args):
        raise UsageError(f"{', '.join(given)} need INPUT and OUTPUT files")
    from nmt.files.command import load_translator

    translator, glossary = load_translator(args)
    decoding = translator.decoding_config(beam_size=args.beam)
    stdin, stdout = _utf8_stdin(), _utf8(sys.stdout)
    chunk = 1 if stdin.isatty() else CHUNK_LINES
    try:
        while lines := list(itertools.islice(stdin, chunk)):
            # Line ends are kept apart so that CRLF input gives CRLF output.
            texts = [line.rstrip("\r\n") for line in lines]
            ends = ["\r\n" if line.endswith("\r\n") else "\n" for line in lines]
            results = translator.translate(
                texts, decoding, terms=args.term, glossary=glossary, return_alignment=False
            )
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
        "--lanes",
        type=int,
        help="split big batches over this many searches at once, sharing the threads (default: "
        "2 when there are 2 threads or more; 1: one search per batch)",
    )
    translate.add_argument(
        "--term",
        action="append",
        default=[],
        metavar="TERM",
        help="a do-not-translate term, kept exactly (repeatable)",
    )
    translate.add_argument(
        "--glossary",
        type=Path,
        metavar="TSV",
        help="source term TAB target term a line: each match (any case, whole words) is "
        "translated as its target term, over the bundle's default glossary",
    )
    translate.add_argument(
        "--preprocessing",
        type=int,
        metavar="N",
        help="preprocessing version (default: the bundle's); 2 lets a bundle made for 1 pass "
        "emoji, symbols, options and help columns through",
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
    dsub = data.add_subparsers(dest="data_command", required=True, metavar="{build,import,merge}")

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

    merge = dsub.add_parser(
        "merge",
        help="add pairs (e.g. nmt suggestions export) to a corpus's train split, leakage-checked",
    )
    merge.add_argument("input", type=Path, help="source TAB target lines")
    merge.add_argument("--into", type=Path, required=True, help="the corpus folder to add to")
    merge.add_argument("--skip-bad", action="store_true", help="skip bad lines (counted)")
    merge.set_defaults(handler=_data_merge)


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
    _add_translate(sub)
    _add_registered(sub)
    return parser


def _add_registered(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The subcommands that other packages register as `nmt.commands` entry points (training:
    train, export, evaluate; serving: serve), in name order. A package whose module cannot be
    imported (a slim install without it) contributes no command."""
    for entry in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        try:
            register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None] = (
                entry.load()
            )
        except ImportError as err:
            logger.debug("command %s is not available: %s", entry.name, err)
            continue
        register(sub)


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
    except NmtError as err:
        sys.stderr.write(f"nmt: error: {err}\n")
        return err.exit_code
    except (FileNotFoundError, PermissionError) as err:
        sys.stderr.write(f"nmt: error: {err}\n")
        return EXIT_REFUSED
    except KeyboardInterrupt:
        sys.stderr.write("nmt: interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
