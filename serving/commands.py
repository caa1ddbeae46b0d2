"""The `nmt serve` and `nmt suggestions` subcommands, registered through the `nmt.commands`
entry points (pyproject.toml), so the core's `nmt.cli` never imports `serving`.

Importing this module is light: FastAPI and uvicorn load only when the command runs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

SubParsers = argparse._SubParsersAction  # the object `add_subparsers` returns


def _serve(args: argparse.Namespace) -> int:
    # The options become the NMT_* settings: uvicorn's workers read them from the environment.
    given = {"HOST": args.host, "PORT": args.port, "MODELS_DIR": args.models_dir}
    given["BUNDLES"] = ",".join(args.bundle) if args.bundle else None
    given["WORKERS"] = args.workers
    os.environ.update({f"NMT_{k}": str(v) for k, v in given.items() if v is not None})
    from serving.__main__ import main as serve_main  # FastAPI and uvicorn only for this command

    serve_main()
    return 0


def add_serve(sub: SubParsers[argparse.ArgumentParser]) -> None:
    """`nmt serve [--host H] [--port P] [--models-dir D] [--bundle B ...] [--workers N]`."""
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


def _suggestions(args: argparse.Namespace) -> int:
    import json
    import sys

    from serving.suggestions import SuggestionStore

    url = args.database_url or os.environ.get("NMT_DATABASE_URL") or None
    store = SuggestionStore(url)
    try:
        store.migrate()
        if args.suggestions_command == "export":
            pair = tuple(args.pair.split("-", 1)) if args.pair else None
            count = store.export(Path(args.out), pair if pair and len(pair) == 2 else None)
            sys.stdout.write(json.dumps({"out": str(args.out), "pairs": count}) + "\n")
    finally:
        store.close()
    return 0


def add_suggestions(sub: SubParsers[argparse.ArgumentParser]) -> None:
    """`nmt suggestions export OUT.tsv [--pair en-de]`, `nmt suggestions migrate`."""
    parser = sub.add_parser(
        "suggestions",
        help="the suggestions database of /suggest: export them, migrate the schema",
    )
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL (default: NMT_DATABASE_URL, else $NMT_HOME/suggestions.sqlite)",
    )
    commands = parser.add_subparsers(
        dest="suggestions_command", required=True, metavar="{export,migrate}"
    )
    export = commands.add_parser(
        "export", help="write source<TAB>suggestion lines (for nmt data merge)"
    )
    export.add_argument("out", type=Path, help="the TSV file to write")
    export.add_argument("--pair", help="only this pair, e.g. en-de (default: all)")
    commands.add_parser("migrate", help="create or upgrade the schema (Alembic upgrade head)")
    parser.set_defaults(handler=_suggestions)
