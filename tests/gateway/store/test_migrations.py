"""The Alembic migrations build exactly the schema the table models declare, on both backends.

A database is migrated to head by the project's own :func:`gateway.store.database.migrate` (a
fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards), then Alembic's autogenerate
comparison reads it back against ``Base.metadata``: tables, columns, types, nullability, server
defaults, indexes, unique constraints and foreign keys (with their ``ON DELETE``). Alembic does not
compare primary keys, so they are compared here from the inspector. A second test tampers with a
copy of the metadata to show that the comparison really sees each kind of drift.
"""

from __future__ import annotations

import pprint
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    ForeignKeyConstraint,
    Index,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    inspect,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeEngine

from gateway.store.database import schema_state
from gateway.store.tables import Base
from tests.gateway.store.conftest import open_store

#: (kind, table, column or constraint/index name) of one difference, e.g.
#: ("modify_nullable", "deliveries", "link") or ("remove_index", "deliveries", "ix_…").
Key = tuple[str, str, str]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
async def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on a database migrated to head (a fresh file or PostgreSQL schema)."""
    async with open_store(request.param, tmp_path) as store:
        yield store.engine


def compare_type(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """True when the column types differ; None hands over to Alembic's DDL comparison.

    A TypeDecorator (``AwareDateTime``) is compared as the type it stores: its Python-side
    conversion is no part of the schema. Its time-zone flag is checked where the database keeps
    it (PostgreSQL: ``timestamp with time zone``); SQLite's ``DATETIME`` keeps no zone, so there
    the flag cannot differ. Everything else (lengths, integer sizes, the SQLite variant of the
    auto-increment keys) is compared by Alembic on the DDL each type compiles to.
    """
    declared = metadata_type
    if isinstance(declared, TypeDecorator):
        declared = declared.load_dialect_impl(context.dialect)
    if (
        context.dialect.name == "postgresql"
        and isinstance(declared, DateTime)
        and isinstance(inspected_type, DateTime)
        and bool(declared.timezone) != bool(inspected_type.timezone)
    ):
        return True
    return None


def schema_diff(connection: Connection, metadata: MetaData) -> list[Any]:
    """Alembic's differences between the connected database and ``metadata``."""
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": compare_type, "compare_server_default": True},
    )
    return list(compare_metadata(context, metadata))


def primary_key_diff(connection: Connection, metadata: MetaData) -> list[str]:
    """Primary keys (name, columns) that differ; Alembic's comparison leaves them out."""
    inspector = inspect(connection)
    existing = set(inspector.get_table_names())
    found = []
    for table in metadata.sorted_tables:
        if table.name not in existing:
            continue  # reported by compare_metadata as add_table
        reflected = inspector.get_pk_constraint(table.name)
        declared_key = (table.primary_key.name, [column.name for column in table.primary_key])
        reflected_key = (reflected["name"], reflected["constrained_columns"])
        if declared_key != reflected_key:
            found.append(f"{table.name}: declared {declared_key}, migrated {reflected_key}")
    return found


def key(op: tuple[Any, ...]) -> Key:
    """The (kind, table, name) of one Alembic difference."""
    kind = op[0]
    if kind.startswith("modify_") and len(op) == 7:  # (kind, schema, table, column, kw, old, new)
        return kind, op[2], op[3]
    if kind in ("add_column", "remove_column"):  # (kind, schema, table, column)
        return kind, op[2], op[3].name
    obj = op[1]
    if isinstance(obj, Table):
        return kind, obj.name, ""
    table = obj.table.name if obj.table is not None else "?"
    return kind, table, str(obj.name)


def describe(op: tuple[Any, ...]) -> str:
    """One Alembic difference, readable."""
    kind, table, name = key(op)
    if kind.startswith("modify_") and len(op) == 7:
        return f"{kind} {table}.{name}: migrated {op[5]!r}, declared {op[6]!r}"
    if kind in ("add_column", "remove_column"):
        column = op[3]
        return f"{kind} {table}.{name} {column.type!r} nullable={column.nullable}"
    obj = op[1]
    if isinstance(obj, Index | UniqueConstraint):
        columns = [getattr(column, "name", str(column)) for column in obj.columns]
        return f"{kind} {table}.{name} on {columns}"
    if isinstance(obj, ForeignKeyConstraint):
        target = [element.target_fullname for element in obj.elements]
        return f"{kind} {table}.{name} {obj.column_keys} -> {target} ondelete={obj.ondelete}"
    return f"{kind} {table}.{name} {op[1:]!r}"


def flatten(diff: list[Any]) -> list[tuple[Any, ...]]:
    """Alembic groups a column's modifications in a list; one tuple per difference."""
    ops: list[tuple[Any, ...]] = []
    for entry in diff:
        ops.extend(entry if isinstance(entry, list) else [entry])
    return ops


async def run(engine: AsyncEngine, check: Callable[[Connection], Any]) -> Any:
    """``check`` on a sync connection of ``engine``."""
    async with engine.connect() as connection:
        return await connection.run_sync(check)


async def test_migrations_build_the_declared_schema(migrated: AsyncEngine) -> None:
    """Migrated to head, the database has exactly the tables, columns and keys of tables.py."""
    state = await schema_state(migrated)
    assert state.up_to_date, state

    diff = flatten(await run(migrated, lambda c: schema_diff(c, Base.metadata)))
    primary_keys = await run(migrated, lambda c: primary_key_diff(c, Base.metadata))

    drift = [describe(op) for op in diff] + [f"primary key {line}" for line in primary_keys]
    assert not drift, (
        f"migrations (head {state.head}) and gateway/store/tables.py differ on "
        f"{migrated.dialect.name}:\n" + "\n".join(drift) + "\n\nraw:\n" + pprint.pformat(diff)
    )


def tampered() -> MetaData:
    """A copy of the declared metadata with one drift of each kind the test must see."""
    metadata = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    tables = metadata.tables
    tables["documents"].c.kind.type = String(11)  # VARCHAR(10) in the migrations
    tables["deliveries"].c.link.nullable = False  # nullable in the migrations
    tables["systems"].c.created_at.type = DateTime()  # timestamp *with* time zone migrated
    tables["outbox"].append_column(Column("extra", String(5)))
    deliveries = tables["deliveries"]
    (index,) = [i for i in deliveries.indexes if i.name == "ix_deliveries_state_time"]
    deliveries.indexes.discard(index)
    (unique,) = [
        c
        for c in deliveries.constraints
        if isinstance(c, UniqueConstraint) and c.name == "uq_deliveries_origin_doc_id"
    ]
    deliveries.constraints.discard(unique)
    (foreign,) = tables["attachments"].foreign_key_constraints
    foreign.ondelete = None  # ON DELETE CASCADE in the migrations
    tables["blobs"].primary_key.name = "pk_blob"  # pk_blobs in the migrations
    return metadata


async def test_comparison_sees_each_kind_of_drift(migrated: AsyncEngine) -> None:
    """Types, nullability, columns, indexes, unique constraints, FK options and keys all count."""
    metadata = tampered()
    diff = flatten(await run(migrated, lambda c: schema_diff(c, metadata)))
    primary_keys = await run(migrated, lambda c: primary_key_diff(c, metadata))

    found = {key(op) for op in diff}
    expected: set[Key] = {
        ("modify_type", "documents", "kind"),
        ("modify_nullable", "deliveries", "link"),
        ("add_column", "outbox", "extra"),
        ("remove_index", "deliveries", "ix_deliveries_state_time"),
        ("remove_constraint", "deliveries", "uq_deliveries_origin_doc_id"),
        ("remove_fk", "attachments", "fk_attachments_document_id_documents"),
        ("add_fk", "attachments", "fk_attachments_document_id_documents"),
    }
    if migrated.dialect.name == "postgresql":  # SQLite's DATETIME keeps no time zone
        expected.add(("modify_type", "systems", "created_at"))
    assert found == expected, "\n".join(describe(op) for op in diff)
    assert primary_keys == [
        "blobs: declared ('pk_blob', ['sha256']), migrated ('pk_blobs', ['sha256'])"
    ]
