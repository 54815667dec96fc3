"""A transaction whose connection was dropped (database restart) runs again on a fresh one."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gateway.core.errors import StoreUnavailable
from gateway.store.repository import SqlStore
from tests.gateway.store.conftest import accepted, add_system, plan, terminate_backends


async def _kill_pooled_connections(store: SqlStore, count: int = 3) -> int:
    """Fill the pool with ``count`` connections, then terminate them as a restart would."""
    engine = store.engine
    connections = [await engine.connect() for _ in range(count)]
    pids = [(await c.execute(text("SELECT pg_backend_pid()"))).scalar_one() for c in connections]
    for connection in connections:
        await connection.close()  # back to the pool, alive
    await terminate_backends(pids)
    return len(pids)


async def test_a_dropped_connection_is_replaced_once(postgres_store: SqlStore) -> None:
    """After the server killed the pooled connections, reads and writes still succeed."""
    store = postgres_store
    await add_system(store, "sys-a", "H14")
    p = await accepted(store, plan())
    uncached = SqlStore(store.engine, cache_seconds=0)
    assert await _kill_pooled_connections(store) == 3
    assert await uncached.credentials("sys-a") is not None
    assert await store.get_document(p.document.document_id) is not None
    assert await store.fail_delivery(
        p.recipients[0].delivery_id,
        reason="test",
        code="TEST",
        actor="t",
        now=p.document.accepted_at,
    )


async def test_other_database_errors_are_not_retried(postgres_store: SqlStore) -> None:
    """A failure that is not a lost connection surfaces as StoreUnavailable at once."""
    store = postgres_store
    async with store.engine.begin() as connection:
        await connection.execute(text("DROP TABLE deliveries CASCADE"))
    with pytest.raises(StoreUnavailable):
        await store.get_delivery("00000000-0000-0000-0000-000000000000")
