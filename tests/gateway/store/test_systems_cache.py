"""Systems' credentials and grants: one statement each, cached, cleared by the store's writes."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from gateway.store.repository import SqlStore
from gateway.store.tables import SystemRow
from tests.gateway.store.conftest import add_system


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _disable_behind_its_back(store: SqlStore, system_id: str) -> None:
    async with store.engine.begin() as connection:
        await connection.execute(
            update(SystemRow).where(SystemRow.system_id == system_id).values(enabled=False)
        )


async def test_credentials_are_the_system_its_grants_and_sealed_secret(store: SqlStore) -> None:
    """credentials() returns the system with every grant and the secret as stored."""
    await add_system(store, "sys-a", "H14", "000.00.01.H41")
    found = await store.credentials("sys-a")
    assert found is not None
    system, sealed = found
    assert system.grants == ("000.00.01.H41", "H14")
    assert sealed == b"sealed-sys-a"
    assert await store.credentials("nobody") is None


async def test_a_change_made_elsewhere_shows_after_the_cache_time(store: SqlStore) -> None:
    """Another process's change is served stale for at most cache_seconds, then read again."""
    clock = Clock()
    cached = SqlStore(store.engine, cache_seconds=5, monotonic=clock)
    await add_system(cached, "sys-a", "H14")
    assert (await cached.credentials("sys-a"))[0].enabled  # type: ignore[index]
    await _disable_behind_its_back(store, "sys-a")
    clock.now += 4.9
    assert (await cached.credentials("sys-a"))[0].enabled  # type: ignore[index]
    clock.now += 0.2
    assert not (await cached.credentials("sys-a"))[0].enabled  # type: ignore[index]


async def test_the_stores_own_writes_clear_the_cache(store: SqlStore) -> None:
    """update_system and add_system show at once in credentials() and grants()."""
    await add_system(store, "sys-a", "H14")
    assert await store.grants() == (("sys-a", "H14"),)
    await store.update_system("sys-a", grants=["H41"])
    assert await store.grants() == (("sys-a", "H41"),)
    await store.update_system("sys-a", enabled=False)
    assert not (await store.credentials("sys-a"))[0].enabled  # type: ignore[index]
    assert await store.grants() == ()
    await add_system(store, "sys-b", "H37")
    assert await store.grants() == (("sys-b", "H37"),)


@pytest.mark.parametrize("cache_seconds", [0.0])
async def test_cache_off_reads_every_time(store: SqlStore, cache_seconds: float) -> None:
    """cache_seconds=0 reads the database on every call."""
    uncached = SqlStore(store.engine, cache_seconds=cache_seconds)
    await add_system(uncached, "sys-a", "H14")
    assert await uncached.credentials("sys-a") is not None
    await _disable_behind_its_back(store, "sys-a")
    assert not (await uncached.credentials("sys-a"))[0].enabled  # type: ignore[index]
