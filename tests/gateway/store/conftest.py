"""A migrated store on SQLite and on PostgreSQL (a fresh schema per test), and plan builders."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from gateway.core.model import (
    AcceptPlan,
    DocumentRecord,
    MessageType,
    RecipientPlan,
    System,
)
from gateway.store.database import create_engine, ensure_schema, migrate
from gateway.store.repository import SqlStore
from tests.conftest import TEST_DATABASE_URL, require_service, seed_migrated

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    """A migrated store on each backend; the PostgreSQL schema is dropped afterwards."""
    async with open_store(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture
async def postgres_store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """A migrated store on PostgreSQL only (behaviour SQLite has no equivalent of)."""
    async with open_store("postgresql", tmp_path) as opened:
        yield opened


@asynccontextmanager
async def open_store(backend: str, tmp_path: Path) -> AsyncIterator[SqlStore]:
    """A migrated store on ``backend`` in a fresh file or PostgreSQL schema."""
    schema = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{seed_migrated(tmp_path / 'store.db')}"
    else:
        url = require_service("PostgreSQL", TEST_DATABASE_URL, 5432)
        schema = f"s_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url, schema=schema)
    try:
        await ensure_schema(engine, schema)
        await migrate(engine)
        yield SqlStore(engine)
    finally:
        if schema:
            async with engine.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()


async def add_system(store: SqlStore, system_id: str, *grants: str) -> None:
    """Register an enabled system with a dummy sealed secret."""
    system = System(system_id, tuple(grants) or ("H14",), created_at=NOW)
    await store.add_system(system, b"sealed-" + system_id.encode(), None)


def plan(
    sender: str = "sys-a",
    recipients: tuple[tuple[str, str | None], ...] = (("000.00.01.H41", "sys-b"),),
    **document: Any,
) -> AcceptPlan:
    """A new-document plan with one copy per (code, system)."""
    data = uuid.uuid4().bytes * 8
    record = DocumentRecord(
        document_id=str(uuid.uuid4()),
        kind=MessageType.EDOC,
        sender_system=sender,
        sender_code="000.00.01.H14",
        sender_key="000.00.01.H14",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        accepted_at=NOW,
        **document,
    )
    copies = tuple(
        RecipientPlan(str(uuid.uuid4()), code, code, code, system_id)
        for code, system_id in recipients
    )
    return AcceptPlan(document=record, data=data, attachments=(), recipients=copies)


async def accepted(store: SqlStore, accept_plan: AcceptPlan) -> AcceptPlan:
    """Store ``accept_plan`` through one accept unit and return it."""
    async with store.accepting() as unit:
        await unit.store(accept_plan, ())
    return accept_plan


async def terminate_backends(pids: list[int]) -> None:
    """Terminate these PostgreSQL backends from another connection, as a restart would."""
    killer = create_engine(TEST_DATABASE_URL)
    try:
        async with killer.connect() as connection:
            for pid in pids:
                await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await killer.dispose()
