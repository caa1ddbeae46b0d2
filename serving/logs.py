"""Structured logs: every record of the `serving` loggers as one JSON line on stderr.

A record's `fields` extra (a dict) is merged into its line; the access log uses it for request
id, route, status, latency and segments. Set up once by the app factory (idempotent), so
`uvicorn --factory serving.app:create_app` logs the same way as `python -m serving`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

_HANDLER_NAME = "serving-json"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: str) -> None:
    """JSON lines on stderr for the `serving` and `nmt` loggers at `level` (once).

    Left alone when the root logger already has handlers: the host process (a test runner, an
    embedding application) owns logging then, and records propagate to it as usual."""
    if logging.getLogger().handlers:
        return
    for name in ("serving", "nmt"):
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        if any(h.get_name() == _HANDLER_NAME for h in logger.handlers):
            continue
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
