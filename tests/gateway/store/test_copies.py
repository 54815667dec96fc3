"""One transaction per use case: accept unit, routing, fetch and confirm of a copy."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta

import pytest

from gateway.core.errors import Conflict, PackageRefused
from gateway.core.model import ConfirmOutcome, DeliveryState, EventKind, MessageType
from gateway.store.repository import SqlStore
from tests.gateway.store.conftest import NOW, accepted, add_system, plan


async def test_accept_unit_stores_everything_or_nothing(store: SqlStore) -> None:
    """A refusal raised inside the unit rolls back what the unit wrote."""
    refused = plan()

    async def refuse_after_writing() -> None:
        async with store.accepting() as unit:
            await unit.store(refused, ())
            raise PackageRefused("late refusal", code="TEST")

    with pytest.raises(PackageRefused):
        await refuse_after_writing()
    assert await store.get_document(refused.document.document_id) is None
    kept = await accepted(store, plan())
    assert await store.get_document(kept.document.document_id) is not None
    assert len(await store.deliveries_of(kept.document.document_id)) == 1


async def test_concurrent_identical_send_is_a_conflict(store: SqlStore) -> None:
    """The same dedup key stored twice: the second unit raises Conflict, nothing of it stays."""
    first = await accepted(store, plan(dedup_key="k1"))
    second = plan(dedup_key="k1")
    with pytest.raises(Conflict):
        await accepted(store, second)
    async with store.accepting() as unit:
        assert await unit.find_existing("sys-a", "0" * 64, "k1") == first.document.document_id
    assert await store.get_document(second.document.document_id) is None


async def test_same_bytes_from_two_systems_share_one_blob(store: SqlStore) -> None:
    """The blob insert does nothing when the bytes are stored already."""
    a = plan(sender="sys-a")
    b = plan(sender="sys-b")
    object.__setattr__(b, "data", a.data)
    object.__setattr__(b.document, "sha256", a.document.sha256)
    await accepted(store, a)
    await accepted(store, b)
    assert await store.load_package(a.document.sha256) == a.data


async def test_a_copy_with_a_known_system_is_available_at_commit(store: SqlStore) -> None:
    """The accept commits the copy available to its system, with its available event."""
    p = await accepted(store, plan())
    copy = p.recipients[0].delivery_id
    view = await store.get_delivery(copy)
    assert view is not None
    assert view.state is DeliveryState.AVAILABLE
    assert view.system_id == "sys-b"
    assert view.available_at == p.document.accepted_at
    assert [c.delivery_id for c in await store.pull_list("sys-b", MessageType.EDOC, NOW, 10)] == [
        copy
    ]
    assert not await store.make_available(copy, NOW)  # not queued: the router changes nothing
    trace = await store.trace(p.document.document_id)
    assert trace is not None
    (entry,) = [e for e in trace.events[copy] if e.kind.value == "available"]
    assert (entry.actor, entry.detail) == ("sys-a", {"system_id": "sys-b"})


async def test_make_available_once_to_the_recorded_system(store: SqlStore) -> None:
    """queued → available in one statement; a repeat changes nothing."""
    p = await accepted(store, plan(recipients=(("000.00.01.H41", None),)))
    copy = p.recipients[0].delivery_id
    assert await store.make_available(copy, NOW, "sys-b")
    assert not await store.make_available(copy, NOW, "sys-b")
    view = await store.get_delivery(copy)
    assert view is not None
    assert view.state is DeliveryState.AVAILABLE
    assert view.system_id == "sys-b"
    assert view.available_at == NOW
    trace = await store.trace(p.document.document_id)
    assert trace is not None
    (entry,) = [e for e in trace.events[copy] if e.kind.value == "available"]
    assert (entry.at, entry.actor, entry.detail) == (
        NOW,
        "router",
        {"system_id": "sys-b", "from_state": "queued"},
    )


async def test_make_available_without_a_system_needs_one_given(store: SqlStore) -> None:
    """A copy no system served at accept time is routed only with an explicit system."""
    p = await accepted(store, plan(recipients=(("000.00.09.H41", None),)))
    copy = p.recipients[0].delivery_id
    assert not await store.make_available(copy, NOW)
    assert await store.make_available(copy, NOW, "sys-c")
    view = await store.get_delivery(copy)
    assert view is not None
    assert view.system_id == "sys-c"


async def test_fetch_only_by_the_recipient_system_once_available(store: SqlStore) -> None:
    """fetch() returns the bytes to the copy's system once available, None otherwise."""
    p = await accepted(store, plan(recipients=(("000.00.01.H41", None),)))
    copy = p.recipients[0].delivery_id
    assert await store.fetch(copy, "sys-b", NOW) is None  # still queued
    await store.make_available(copy, NOW, "sys-b")
    assert await store.fetch(copy, "sys-x", NOW) is None
    assert await store.fetch(copy, "sys-b", NOW) == p.data
    trace = await store.trace(p.document.document_id)
    assert trace is not None
    assert [e.kind.value for e in trace.events[copy]] == ["accepted", "available", "fetched"]


async def test_confirm_checks_the_owner_and_is_idempotent(store: SqlStore) -> None:
    """confirm() is None for a foreign system; done twice changes the copy once."""
    await add_system(store, "sys-b", "H41")
    p = await accepted(store, plan())
    copy = p.recipients[0].delivery_id

    def confirm(actor: str) -> Awaitable[ConfirmOutcome | None]:
        return store.confirm(
            copy, done=True, actor=actor, now=NOW, max_failures=3, retry_at=lambda n: NOW,
            reason=None,
        )  # fmt: skip

    assert await confirm("sys-x") is None
    first = await confirm("sys-b")
    assert first is not None
    assert first.changed
    assert first.delivery.state is DeliveryState.RECEIVED
    assert first.delivery.received_at == NOW
    again = await confirm("sys-b")
    assert again is not None
    assert not again.changed


async def test_confirm_fail_offers_again_then_fails(store: SqlStore) -> None:
    """Each fail asks retry_at(failures); the last allowed one makes the copy failed."""
    p = await accepted(store, plan())
    copy = p.recipients[0].delivery_id
    asked: list[int] = []

    def retry_at(failures: int) -> datetime:
        asked.append(failures)
        return NOW - timedelta(seconds=1)  # offered again at once

    def fail() -> Awaitable[ConfirmOutcome | None]:
        return store.confirm(
            copy, done=False, actor="sys-b", now=NOW, max_failures=2, retry_at=retry_at,
            reason="disk",
        )  # fmt: skip

    first = await fail()
    assert first is not None
    assert first.delivery.state is DeliveryState.AVAILABLE
    second = await fail()
    assert second is not None
    assert second.delivery.state is DeliveryState.FAILED
    assert asked == [1]


async def test_concurrent_confirms_change_the_copy_once(postgres_store: SqlStore) -> None:
    """Confirms racing each other on PostgreSQL (optimistic writes guarded by the state read)
    change the copy once and append its history once. (SQLite is not held to it: its reads
    take no lock, so two racing confirms in one process can both record the change.)"""
    store = postgres_store
    p = await accepted(store, plan())
    copy = p.recipients[0].delivery_id
    outcomes = await asyncio.gather(
        *(
            store.confirm(
                copy,
                done=True,
                actor="sys-b",
                now=NOW,
                max_failures=3,
                retry_at=lambda n: NOW,
                reason=None,
            )
            for _ in range(6)
        )
    )
    assert sum(1 for o in outcomes if o is not None and o.changed) == 1
    trace = await store.trace(p.document.document_id)
    assert trace is not None
    assert [e.kind for e in trace.events[copy]].count(EventKind.CONFIRMED) == 1
