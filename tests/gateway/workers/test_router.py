"""The router: copies whose system was unknown at accept time, routed or failed, once."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.bus import Message, Reject
from gateway.core import work
from gateway.core.clock import FrozenClock
from gateway.core.model import DeliveryState
from gateway.store.repository import SqlStore
from gateway.workers.relay import to_message
from gateway.workers.router import Router
from identifiers import Registry
from tests.gateway.store.conftest import NOW, accepted, add_system, open_store, plan


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    """A migrated SQLite store."""
    async with open_store("sqlite", tmp_path) as opened:
        yield opened


def _router(store: SqlStore) -> Router:
    return Router(store, Registry.load_default(), FrozenClock(NOW))


def _message(delivery_id: str) -> Message:
    return to_message(work.route(delivery_id, 0))


async def test_a_copy_gets_the_system_granted_since_its_accept(store: SqlStore) -> None:
    """No system served the code at accept time; one granted since makes the copy available."""
    p = await accepted(store, plan(recipients=(("000.00.01.H41", None),)))
    copy_id = p.recipients[0].delivery_id
    await add_system(store, "sys-b", "H41")
    await _router(store).handle(_message(copy_id))
    copy = await store.get_delivery(copy_id)
    assert copy is not None
    assert (copy.state, copy.system_id) == (DeliveryState.AVAILABLE, "sys-b")
    await _router(store).handle(_message(copy_id))  # a redelivery changes nothing
    trace = await store.trace(p.document.document_id)
    assert trace is not None
    assert [e.kind.value for e in trace.events[copy_id]].count("available") == 1


async def test_still_no_system_fails_the_copy_with_the_reason(store: SqlStore) -> None:
    """With no enabled system for the code the copy fails with ROUTE_NO_SYSTEM."""
    p = await accepted(store, plan(recipients=(("000.00.01.H41", None),)))
    copy_id = p.recipients[0].delivery_id
    await _router(store).handle(_message(copy_id))
    copy = await store.get_delivery(copy_id)
    assert copy is not None
    assert copy.state is DeliveryState.FAILED
    assert copy.last_error == "no connected system serves 000.00.01.H41"


async def test_the_forwarders_copies_are_left_alone(store: SqlStore) -> None:
    """A copy that leaves by the upstream link is never routed locally."""
    base = plan(recipients=(("000.00.01.H41", None),))
    upstream = dataclasses.replace(base.recipients[0], link=work.UPSTREAM)
    p = await accepted(store, dataclasses.replace(base, recipients=(upstream,)))
    await add_system(store, "sys-b", "H41")
    await _router(store).handle(_message(upstream.delivery_id))
    copy = await store.get_delivery(upstream.delivery_id)
    assert copy is not None
    assert copy.state is DeliveryState.QUEUED
    assert p.document.document_id == copy.document_id


async def test_unknown_copies_and_bad_bodies_are_poison(store: SqlStore) -> None:
    """A message naming no copy, or unreadable, is rejected (dead-lettered at once)."""
    with pytest.raises(Reject, match="ROUTE_UNKNOWN_DELIVERY"):
        await _router(store).handle(_message("no-such-copy"))
    bad = Message(topic="route", body=b"{}", message_id="route:x")
    with pytest.raises(Reject, match="ROUTE_MESSAGE_INVALID"):
        await _router(store).handle(bad)
