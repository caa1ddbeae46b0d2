"""Suggested translations (LibreTranslate's `/suggest`) in a real database, through SQLAlchemy.

SQLite under `NMT_HOME` by default (`$NMT_HOME/suggestions.sqlite`), PostgreSQL (or any
SQLAlchemy URL) by `NMT_DATABASE_URL`; the schema is made and upgraded by the Alembic
migrations in `serving/migrations` (run at startup when suggestions are on, and by
`nmt suggestions migrate`). Several replicas share one PostgreSQL database.

A row: the source text, the suggested translation, the pair, the served model's id and
version, the time (UTC), and the API key's SHA-256 (never the key itself), or null without one.
`nmt suggestions export OUT.tsv` writes `source<TAB>suggestion` lines that `nmt data merge`
adds to a corpus's train split (docs/serving.md, Suggestions).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

import sqlalchemy as sa

from nmt.paths import nmt_home

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

metadata = sa.MetaData()
suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_text", sa.Text, nullable=False),
    sa.Column("suggestion", sa.Text, nullable=False),
    sa.Column("source_lang", sa.String(16), nullable=False),
    sa.Column("target_lang", sa.String(16), nullable=False),
    sa.Column("model_id", sa.String(128), nullable=False),
    sa.Column("model_version", sa.String(128), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("key_sha256", sa.String(64), nullable=True),
)


def default_url() -> str:
    return f"sqlite:///{nmt_home() / 'suggestions.sqlite'}"


def key_digest(key: str | None) -> str | None:
    return hashlib.sha256(key.encode()).hexdigest() if key else None


class SuggestionStore:
    """The suggestions table at `url` (SQLAlchemy URL; None: the SQLite default)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(self.url, pool_pre_ping=True)

    def migrate(self) -> None:
        """Bring the schema to the newest migration (Alembic `upgrade head`)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        logger.info(
            "suggestions database ready",
            extra={"fields": {"dialect": self.engine.dialect.name}},
        )

    def add(
        self,
        *,
        source_text: str,
        suggestion: str,
        source_lang: str,
        target_lang: str,
        model_id: str,
        model_version: str,
        key: str | None,
    ) -> int:
        row = {
            "source_text": source_text,
            "suggestion": suggestion,
            "source_lang": source_lang,
            "target_lang": target_lang,
            "model_id": model_id,
            "model_version": model_version,
            "created": dt.datetime.now(dt.UTC),
            "key_sha256": key_digest(key),
        }
        with self.engine.begin() as connection:
            result = connection.execute(suggestions.insert().values(**row))
            key_of = result.inserted_primary_key
        return int(key_of[0]) if key_of else 0

    def rows(self, pair: tuple[str, str] | None = None) -> list[sa.Row[tuple[object, ...]]]:
        query = sa.select(suggestions).order_by(suggestions.c.id)
        if pair is not None:
            query = query.where(
                suggestions.c.source_lang == pair[0], suggestions.c.target_lang == pair[1]
            )
        with self.engine.connect() as connection:
            return list(connection.execute(query))

    def export(self, out: Path, pair: tuple[str, str] | None = None) -> int:
        """`source<TAB>suggestion` lines (tabs and line breaks inside a text become spaces),
        oldest first, the latest suggestion of a source text only; returns the count."""
        latest: dict[str, str] = {}
        for row in self.rows(pair):
            latest[_one_line(row.source_text)] = _one_line(row.suggestion)
        lines = [f"{src}\t{tgt}\n" for src, tgt in latest.items() if src and tgt]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(lines), encoding="utf-8")
        return len(lines)

    def close(self) -> None:
        self.engine.dispose()


def _one_line(text: str) -> str:
    return " ".join(text.split())
