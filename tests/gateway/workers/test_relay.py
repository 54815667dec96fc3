"""The outbox relay: publish, then mark; a failed mark is retried without publishing again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.bus import Message, PublishFailed
from gateway.core import work
from gateway.core.clock import FrozenClock
from gateway.core.errors import StoreUnavailable
from gateway.store.repository import SqlStore
from gateway.workers.relay import OutboxRelay
from tests.gateway.store.conftest import NOW, open_store, plan


class _Bus:
    """Records what is published; refuses while ``refuse`` > 0."""

    def __init__(self) -> None:
        self.published: list[str] = []
        self.messages: list[Message] = []
        self.calls = 0
        self.refuse = 0

    async def publish(self, messages: Sequence[Message]) -> None:
        if self.refuse:
            self.refuse -= 1
            raise PublishFailed("connection lost mid-publish")
        self.calls += 1
        self.published += [m.message_id for m in messages]
        self.messages += messages


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """A migrated SQLite store with three pending work items."""
    async with open_store("sqlite", tmp_path) as opened:
        await opened.add_outbox([work.route(f"d{i}", 0) for i in range(3)], NOW)
        yield opened


def _relay(store: SqlStore, bus: _Bus) -> OutboxRelay:
    return OutboxRelay(store, bus, FrozenClock(NOW))  # type: ignore[arg-type]


async def test_rows_are_published_once_then_marked(store: SqlStore) -> None:
    """One drain publishes every pending row; the next finds nothing."""
    bus = _Bus()
    relay = _relay(store, bus)
    assert await relay.drain_once() == 3
    assert await relay.drain_once() == 0
    assert bus.published == ["route:d0", "route:d1", "route:d2"]
    assert (await store.stats())["outbox_pending"] == 0


async def test_a_failed_mark_is_retried_without_publishing_again(store: SqlStore) -> None:
    """The broker confirmed, the store failed the mark: the next drain marks, publishes nothing."""
    bus = _Bus()
    relay = _relay(store, bus)
    real = store.mark_published
    failures = {"left": 1}

    async def flaky(ids: Sequence[int], now: Any) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise StoreUnavailable("database went away after the broker confirmed")
        await real(ids, now)

    store.mark_published = flaky  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable):
        await relay.drain_once()
    assert await relay.drain_once() == 0
    assert bus.published == ["route:d0", "route:d1", "route:d2"]
    assert (await store.stats())["outbox_pending"] == 0


async def test_a_refused_publish_leaves_the_rows_to_the_next_try(store: SqlStore) -> None:
    """A publish the broker refused releases the rows at once: the next drain publishes them."""
    bus = _Bus()
    bus.refuse = 1
    relay = _relay(store, bus)
    with pytest.raises(PublishFailed):
        await relay.drain_once()
    assert await relay.drain_once() == 3
    assert len(bus.published) == 3


async def test_a_running_relay_publishes_handed_rows_without_claiming(store: SqlStore) -> None:
    """Rows an accept of this process commits are published and marked with no claiming
    statement; rows from elsewhere are still claimed (at start, then every idle interval)."""
    bus = _Bus()
    relay = OutboxRelay(store, bus, FrozenClock(NOW), idle_interval=3600)  # type: ignore[arg-type]
    claims = 0
    real = store.claim_outbox

    async def counted(limit: int, now: Any) -> Any:
        nonlocal claims
        claims += 1
        return await real(limit, now)

    store.claim_outbox = counted  # type: ignore[method-assign]
    task = asyncio.create_task(relay.run())
    try:
        await _until(lambda: len(bus.published) == 3)  # the pending rows, claimed at start
        assert claims == 1
        for i in range(3):
            async with store.accepting() as unit:
                await unit.store(plan(), [work.route(f"new{i}", 0)])
            relay.wake()  # what Exchange.send does after an accept: no claim follows
            await _until(lambda want=4 + i: len(bus.published) == want)  # type: ignore[misc]
        await _until(lambda: relay._unmarked == [] and not relay._handed)
        assert claims == 1
        assert bus.published[3:] == ["route:new0", "route:new1", "route:new2"]
        assert (await store.stats())["outbox_pending"] == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert store._handoff is None  # a stopped relay is handed nothing


async def _accept_notifying(store: SqlStore, key: str) -> None:
    async with store.accepting() as unit:
        await unit.store(plan(), [work.notify(f"doc-{key}", [(key, "sys")], 0)])


async def test_notify_events_wait_to_travel_together(store: SqlStore) -> None:
    """Handed ``notify`` rows (nothing waits on them) are published together, as one message
    with an event per row, once the first has waited ``publish_linger``; other topics go at
    once; a stopping relay publishes the deferred ones and marks them."""
    bus = _Bus()
    relay = OutboxRelay(  # type: ignore[arg-type]
        store, bus, FrozenClock(NOW), idle_interval=3600, publish_linger=0.3, mark_linger=0
    )
    task = asyncio.create_task(relay.run())
    try:
        await _until(lambda: len(bus.published) == 3)  # the pending route rows, claimed at start
        calls = bus.calls
        for key in ("n0", "n1", "n2"):
            await _accept_notifying(store, key)
        async with store.accepting() as unit:
            await unit.store(plan(), [work.route("urgent", 0)])
        await _until(lambda: "route:urgent" in bus.published)
        assert not any(m.startswith("notify:") for m in bus.published)
        await _until(lambda: len(bus.published) == 5)
        assert bus.published[4:] == ["notify:n0+2"]
        assert bus.calls == calls + 2  # the route row alone, then the three events in one go
        events = work.parse_notify(bus.messages[4].body)
        assert [(e.document_id, e.copies) for e in events] == [
            (f"doc-{key}", [(key, "sys")]) for key in ("n0", "n1", "n2")
        ]
        await _accept_notifying(store, "late")
        await asyncio.sleep(0.05)  # …and the relay stops before it is due
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert bus.published[-1] == "notify:late"  # a lone event goes as it is
    assert (await store.stats())["outbox_pending"] == 0


async def _until(condition: Any) -> None:
    """Let the relay's task run until ``condition`` holds (5 s at most)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the relay did not get there")


async def test_a_running_relay_prunes_old_published_rows(store: SqlStore) -> None:
    """With a retention the relay deletes rows published longer ago, batch after batch while
    batches are full, then waits ``prune_interval``; a relay without one keeps them."""
    bus = _Bus()
    keeper = _relay(store, bus)
    assert await keeper.drain_once() == 3  # published (and marked) at NOW
    assert await keeper.prune_once() == 0
    later = FrozenClock(NOW + timedelta(days=8))
    relay = OutboxRelay(  # type: ignore[arg-type]
        store, bus, later, retention=timedelta(days=7), prune_batch=2, prune_interval=3600
    )
    task = asyncio.create_task(relay.run())
    try:
        for _ in range(200):
            if relay.pruned == 3:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert relay.pruned == 3
    assert await relay.prune_once() == 0


async def test_a_pruning_failure_does_not_stop_publishing(store: SqlStore) -> None:
    """The store refusing the prune is logged and tried later; rows are still published."""
    bus = _Bus()

    async def down(before: Any, limit: int) -> int:
        raise StoreUnavailable("database went away")

    store.prune_outbox = down  # type: ignore[method-assign]
    relay = OutboxRelay(store, bus, FrozenClock(NOW), retention=timedelta(days=7))  # type: ignore[arg-type]
    task = asyncio.create_task(relay.run())
    try:
        for _ in range(200):
            if len(bus.published) == 3:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert len(bus.published) == 3
    assert relay.pruned == 0
