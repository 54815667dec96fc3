"""The driver connections a PostgreSQL store lends its hot statements (gateway.store.session)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from gateway.core.model import MessageType
from gateway.store.database import create_engine
from gateway.store.repository import SqlStore
from gateway.store.session import DRIVER_IDLE, DriverConnections
from tests.conftest import TEST_DATABASE_URL
from tests.gateway.store.conftest import terminate_backends

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


async def _backend(store: SqlStore) -> int:
    async with store._driver() as connection:
        return int(await connection.fetchval("SELECT pg_backend_pid()"))


async def test_consecutive_statements_reuse_one_held_connection(postgres_store: SqlStore) -> None:
    """One statement after the other runs on the same connection, held between them."""
    store = postgres_store
    first = await _backend(store)
    assert await store.count_pending("nobody", MessageType.EDOC, NOW) == 0
    assert await _backend(store) == first
    assert DriverConnections.of(store.engine).idle == 1


async def test_every_adapter_on_an_engine_shares_its_lender(postgres_store: SqlStore) -> None:
    other = SqlStore(postgres_store.engine, cache_seconds=0)
    assert DriverConnections.of(other.engine) is DriverConnections.of(postgres_store.engine)
    assert await _backend(other) == await _backend(postgres_store)


async def test_at_most_the_idle_limit_stays_checked_out(postgres_store: SqlStore) -> None:
    """Statements in flight at once each get a connection; only DRIVER_IDLE stay held after."""
    store = postgres_store
    gate = asyncio.Event()

    async def hold() -> None:
        async with store._driver() as connection:
            await gate.wait()
            await connection.fetchval("SELECT 1")

    tasks = [asyncio.create_task(hold()) for _ in range(DRIVER_IDLE + 3)]
    await asyncio.sleep(0.2)
    gate.set()
    await asyncio.gather(*tasks)
    lender = DriverConnections.of(store.engine)
    assert lender.idle == DRIVER_IDLE
    assert store.engine.sync_engine.pool.checkedout() == DRIVER_IDLE  # type: ignore[attr-defined]


async def test_a_connection_left_in_a_transaction_is_not_lent_again(
    postgres_store: SqlStore,
) -> None:
    store = postgres_store
    async with store._driver() as connection:
        left_open = int(await connection.fetchval("SELECT pg_backend_pid()"))
        await connection.execute("BEGIN")
    assert DriverConnections.of(store.engine).idle == 0
    assert await _backend(store) != left_open


async def test_a_killed_connection_is_replaced_and_the_idle_ones_dropped(
    postgres_store: SqlStore,
) -> None:
    """A database restart kills every held connection: the next statement (retried once by
    ``reconnecting``) runs on a fresh one, and no other dead one is lent after it."""
    store = postgres_store
    gate = asyncio.Event()
    pids: list[int] = []

    async def hold() -> None:
        async with store._driver() as connection:
            pids.append(int(await connection.fetchval("SELECT pg_backend_pid()")))
            await gate.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(3)]
    await asyncio.sleep(0.2)
    gate.set()
    await asyncio.gather(*tasks)
    assert DriverConnections.of(store.engine).idle == 3
    await terminate_backends(pids)
    assert await store.count_pending("nobody", MessageType.EDOC, NOW) == 0
    assert await store.count_pending("nobody", MessageType.EDOC, NOW) == 0
    assert await _backend(store) not in pids


async def test_disposing_the_engine_returns_the_held_connections(postgres_store: SqlStore) -> None:
    """``engine.dispose()`` leaves nothing checked out (and the store works again after)."""
    store = postgres_store
    await _backend(store)
    lender = DriverConnections.of(store.engine)
    assert lender.idle == 1
    await store.engine.dispose()
    assert lender.idle == 0
    assert store.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert await store.count_pending("nobody", MessageType.EDOC, NOW) == 0


async def test_a_lender_does_not_keep_its_engine_alive() -> None:
    """The registry is keyed weakly by engine: the lender holds no reference back to it."""
    import gc
    import weakref

    engine = create_engine(TEST_DATABASE_URL)
    DriverConnections.of(engine)
    gone = weakref.ref(engine.sync_engine)
    await engine.dispose()
    del engine
    gc.collect()
    assert gone() is None


async def test_a_held_connection_seen_closed_is_not_lent(postgres_store: SqlStore) -> None:
    """One closed while it sat idle is dropped at the next loan; one closed in use, at return."""
    store = postgres_store
    lender = DriverConnections.of(store.engine)
    first = await _backend(store)
    held, _ = lender._idle[0]
    await held.driver_connection.close()
    second = await _backend(store)
    assert second != first
    async with store._driver() as connection:
        await connection.close()
    assert lender.idle == 0
    assert await _backend(store) not in (first, second)
