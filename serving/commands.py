"""The `nmt serve` subcommand, registered through the `nmt.commands` entry points
(pyproject.toml), so the core's `nmt.cli` never imports `serving`.

Importing this module is light: FastAPI and uvicorn load only when the command runs.
"""

from __future__ import annotations

import argparse
import os

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
