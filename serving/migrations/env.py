"""Alembic's environment for the suggestions database: the connection comes from the caller
(`SuggestionStore.migrate`), never from a URL in a file."""

from __future__ import annotations

from alembic import context

from serving.suggestions import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations through serving.suggestions.SuggestionStore.migrate")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
