"""`nmt translate INPUT OUTPUT`: the options, their checks and the run.

Every check that needs no model runs before the bundle is loaded, so a wrong option or a
broken catalog is refused at once. The summary (counts, seconds, segments/s) goes to stdout
as JSON; the progress bar and logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nmt.errors import NmtError, UsageError
from nmt.files.errors import FileInputError
from nmt.files.formats import CATALOG_FORMATS, FORMATS, LINE_FORMATS, detect_file_format
from nmt.files.records import Shard

if TYPE_CHECKING:
    from nmt.translator import Translator

logger = logging.getLogger(__name__)

DEFAULT_LANES = 2  # lanes for big batches unless --lanes says (nmt/search/lanes.py)
FILE_OPTIONS = ("format", "column", "field", "overwrite", "skip_bad", "shard", "ray", "ray_actors")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """INPUT, OUTPUT and the file options of `nmt translate`."""
    parser.add_argument("input", nargs="?", type=Path, help="file to translate (else: stdin)")
    parser.add_argument("output", nargs="?", type=Path, help="where the translation goes")
    files = parser.add_argument_group("file translation (INPUT OUTPUT)")
    files.add_argument("--format", choices=FORMATS, help="override the format of the extension")
    files.add_argument("--column", help="TSV: the column to translate, 1-based or a header name")
    files.add_argument("--field", help="JSONL: the field to translate (default: text)")
    files.add_argument(
        "--overwrite", action="store_true", help="catalogs: retranslate existing translations"
    )
    files.add_argument(
        "--skip-bad", action="store_true", help="skip bad lines (counted) instead of stopping"
    )
    files.add_argument("--shard", help="line formats: translate part i of n (i/n, e.g. 2/8)")
    files.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="line formats: translate on a Ray cluster (ADDRESS: host:port, ray://host:port or "
        "'auto'; none: RAY_ADDRESS or a new local cluster); --threads is per actor (default 1)",
    )
    files.add_argument(
        "--ray-actors", type=int, help="--ray: actors in the pool (default: CPUs // threads)"
    )


def file_options_given(args: argparse.Namespace) -> list[str]:
    """The file options set on the command line (refused without INPUT OUTPUT)."""
    return [
        f"--{n.replace('_', '-')}" for n in FILE_OPTIONS if getattr(args, n) not in (None, False)
    ]


def _check_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    if args.input is None or args.output is None:
        raise FileInputError("nmt translate", "give both INPUT and OUTPUT (or neither, for stdin)")
    source, output = Path(args.input), Path(args.output)
    if not source.is_file():
        raise FileInputError(source, "no such file")
    if not output.parent.is_dir():
        raise FileInputError(output, f"no such folder: {output.parent}")
    return source, output


def _prepare(args: argparse.Namespace, source: Path, output: Path) -> Callable[..., Any]:
    """Check the options against the format and read what can be read without a model;
    returns `run(translate, settings, language) -> summary`."""
    fmt = detect_file_format(source, args.format)
    if args.ray_actors is not None and args.ray is None:
        raise FileInputError(source, "--ray-actors needs --ray")
    if args.ray_actors is not None and args.ray_actors < 1:
        raise FileInputError(source, f"--ray-actors must be >= 1, got {args.ray_actors}")
    if args.ray is not None and fmt not in LINE_FORMATS:
        raise FileInputError(
            source,
            f"--ray is for line formats ({', '.join(LINE_FORMATS)}); "
            f"a {fmt} catalog is translated locally (drop --ray)",
        )
    if fmt in LINE_FORMATS:
        if args.overwrite:
            raise FileInputError(source, "--overwrite is for catalogs (po, pot, xliff)")
        return _prepare_lines(args, fmt, source, output)
    if args.shard is not None:
        raise FileInputError(
            source,
            f"--shard is for line formats ({', '.join(LINE_FORMATS)}); "
            f"a {fmt} catalog is translated whole",
        )
    if args.column is not None or args.field is not None:
        raise FileInputError(source, "--column and --field are for TSV and JSONL files")
    return _prepare_catalog(args, fmt, source, output)


def _prepare_lines(
    args: argparse.Namespace, fmt: str, source: Path, output: Path
) -> Callable[..., Any]:
    from nmt.files.codecs import make_codec
    from nmt.files.stream import LineJob, translate_lines

    try:
        codec = make_codec(fmt, column=args.column, field=args.field)
        shard = Shard.parse(args.shard) if args.shard is not None else None
    except ValueError as err:
        raise FileInputError(source, str(err)) from None
    job = LineJob(source, output, fmt, codec, shard=shard, skip_bad=args.skip_bad)
    if args.ray is not None:
        return _prepare_ray(args, job)
    return lambda translate, settings, language: translate_lines(job, translate, settings)


def _prepare_ray(args: argparse.Namespace, job: Any) -> Callable[..., Any]:
    """The run on Ray: the actors build their own Translator from the same options; the
    driver's serves only the settings that resume state records."""
    from nmt.files.on_ray import RaySettings, TranslatorSpec, translate_lines_on_ray
    from nmt.glossary import load_glossary

    # The local command's preprocessing and glossary reach the actors the same way, so a --ray
    # run's output is the local one's.
    glossary = load_glossary(args.glossary) if args.glossary is not None else {}
    spec = TranslatorSpec(
        bundle=str(Path(args.bundle).resolve()),
        beam=args.beam,
        batch_size=args.batch_size,
        terms=tuple(args.term),
        # lanes as locally (one per thread unless told), so equal --threads give equal output
        load_options={
            "preprocessing": args.preprocessing,
            "lanes": args.lanes or min(DEFAULT_LANES, args.threads or 1),
        },
        translate_options={"glossary": glossary} if glossary else {},
    )
    where = RaySettings(address=args.ray or None, actors=args.ray_actors, threads=args.threads or 1)

    def run(translate: Any, settings: dict[str, Any], language: str) -> dict[str, Any]:
        return translate_lines_on_ray(job, spec, settings, where)

    return run


def _prepare_catalog(
    args: argparse.Namespace, fmt: str, source: Path, output: Path
) -> Callable[..., Any]:
    from nmt.files.catalog import translate_catalog

    def run(translate: Any, settings: dict[str, Any], language: str) -> dict[str, Any]:
        settings = {**settings, "overwrite": args.overwrite}
        catalog = _catalog(fmt, source, language, args.overwrite, args.skip_bad)
        return translate_catalog(catalog, source, output, translate, settings)

    # refuse a broken catalog before loading a model
    _catalog(fmt, source, "de", args.overwrite, args.skip_bad)
    return run


def _catalog(fmt: str, source: Path, language: str, overwrite: bool, skip_bad: bool) -> Any:
    if fmt == "xliff":
        from nmt.files.xliff import XliffCatalog

        return XliffCatalog(source, language=language, overwrite=overwrite)
    from nmt.files.po import PoCatalog

    return PoCatalog(source, language=language, overwrite=overwrite, fmt=fmt, skip_bad=skip_bad)


def load_translator(
    args: argparse.Namespace, *, threads: int | None = None
) -> tuple[Translator, dict[str, str]]:
    """The Translator of `nmt translate`'s options and the `--glossary` table ({} without one);
    `threads` overrides `--threads`. UsageError for a preprocessing version the bundle cannot
    run; GlossaryError for a bad glossary file (read before the model is loaded)."""
    from nmt.glossary import load_glossary
    from nmt.translator import Translator  # numpy and the search load here, not at import

    glossary = load_glossary(args.glossary) if args.glossary is not None else {}
    threads = args.threads if threads is None else threads
    try:
        translator = Translator.load(
            args.bundle,
            threads=threads,
            batch_size=args.batch_size,
            preprocessing=args.preprocessing,
            # two lanes unless told (measured on 2 cores): big batches split (nmt.search.lanes)
            lanes=args.lanes or min(DEFAULT_LANES, threads or os.cpu_count() or 1),
        )
    except ValueError as err:
        if isinstance(err, NmtError):
            raise
        raise UsageError(f"--preprocessing: {err}") from err
    return translator, glossary


def translate_file(args: argparse.Namespace) -> int:
    """Run `nmt translate INPUT OUTPUT` (options already range-checked by the CLI)."""
    source, output = _check_paths(args)
    run = _prepare(args, source, output)
    # under --ray the actors translate: the driver's Translator only records the settings
    translator, glossary = load_translator(args, threads=1 if args.ray is not None else None)
    decoding = translator.decoding_config(beam_size=args.beam)

    def translate(texts: Sequence[str]) -> Any:
        return translator.translate(
            texts, decoding, terms=args.term, glossary=glossary, return_alignment=False
        )

    bundle = translator.bundle
    settings = {
        "bundle": str(Path(args.bundle).resolve()),
        "model": bundle.version if bundle is not None else None,
        "decoding": repr(decoding),
        "terms": list(args.term),
        "glossary": sorted(glossary.items()) if glossary else None,
        "preprocessing": translator.preprocessing.version,
    }
    pair = bundle.pair if bundle is not None else "en-de"
    result = run(translate, settings, pair.split("-")[-1])
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 0


__all__ = [
    "CATALOG_FORMATS",
    "add_arguments",
    "file_options_given",
    "load_translator",
    "translate_file",
]
