"""The database engine and its migrations.

- :func:`create_engine` builds the async engine for a URL (``postgresql+asyncpg://`` or
  ``sqlite+aiosqlite://``). SQLite gets WAL, foreign keys and a busy timeout on every connection.
- :func:`migrate` applies the Alembic migrations up to head (``python -m gateway migrate``).
- :func:`check_migrated` is called at start-up: a node refuses to run on a database whose schema is
  not at head, and says which command to run.
- :func:`sqlite_file` names the file of a SQLite URL, so that a command may check that the
  database exists before anything creates it (:class:`StoreMissing`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Seconds a SQLite writer waits for the lock before failing.
SQLITE_BUSY_TIMEOUT_S = 30


class StoreNotMigrated(RuntimeError):
    """The database schema is not at the code's head revision (STORE_NOT_MIGRATED)."""

    code = "STORE_NOT_MIGRATED"


class StoreMissing(RuntimeError):
    """There is no node database where the settings point, and the command may not create one
    (STORE_MISSING): only ``serve`` and ``migrate`` create a database."""

    code = "STORE_MISSING"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.close()


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other backends and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def create_engine(
    url: str, *, schema: str | None = None, echo: bool = False, pool_size: int = 20
) -> AsyncEngine:
    """The async engine for ``url``; SQLite files get their directory created.

    ``schema`` (PostgreSQL only) puts the node's tables in that schema (its ``search_path``), so
    several nodes or test runs can share one database; the schema is created if missing.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        file = sqlite_file(url)
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["server_settings"] = {"search_path": schema}
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No ping at checkout (3 round trips per transaction): a transaction that finds its
        # connection dead is run again on a fresh one (gateway.store.session.reconnecting).
        pool_pre_ping=False,
        pool_recycle=1800,
        # Last in, first out: calls one at a time reuse the same warm connection (its prepared
        # statements, generic plans and backend caches) instead of cycling through the whole
        # pool; idle connections beyond the load go cold and are recycled.
        pool_use_lifo=True,
        connect_args=connect_args,
    )


async def ensure_schema(engine: AsyncEngine, schema: str | None) -> None:
    """Create the PostgreSQL ``schema`` if it does not exist (no-op for SQLite or None)."""
    if not schema or engine.dialect.name != "postgresql":
        return
    if not schema.replace("_", "").isalnum():
        raise ValueError(f"schema name {schema!r}: letters, digits and _ only")
    async with engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    """The newest migration revision the code knows (the migrations ship with the code: read
    once per process)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands relative to the code's migrations."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        """True when the schema is at head."""
        return self.current == self.head


async def schema_state(engine: AsyncEngine) -> SchemaState:
    """Read the database's Alembic revision."""

    def current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        revision = await connection.run_sync(current)
    return SchemaState(current=revision, head=head_revision())


async def migrate(engine: AsyncEngine, revision: str = "head") -> SchemaState:
    """Apply the migrations up to ``revision``; returns the state after."""

    def upgrade(connection: Connection) -> None:
        command.upgrade(_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)
    return await schema_state(engine)


async def check_migrated(engine: AsyncEngine) -> None:
    """Raise :class:`StoreNotMigrated` naming the command to run when the schema is not at head."""
    state = await schema_state(engine)
    if not state.up_to_date:
        found = state.current or "an empty database"
        raise StoreNotMigrated(
            f"the database schema is at {found}, the node needs {state.head}: "
            "run `python -m gateway migrate` (same GATEWAY_DATABASE_URL) and start again"
        )
