"""Alembic environment: migrations run on the connection the node hands over.

:func:`gateway.store.database.migrate` opens the async engine and runs Alembic inside
``connection.run_sync``, passing the connection in ``config.attributes["connection"]``; nothing here
reads the environment or opens its own engine (design.md §3.2).
"""

from __future__ import annotations

from alembic import context

from gateway.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable by running the alembic CLI by hand
    raise RuntimeError("run migrations with `python -m gateway migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
