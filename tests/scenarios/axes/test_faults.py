"""Faults between nodes (issue 4): the national node down for a while, a crash between a
forward and its record, a crash between a pull's commit and its acknowledgement. No document is
lost and none is duplicated."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.bus import MemoryBus, Message
from connectors.vxp.client import VxpClient
from connectors.vxp.errors import VxpTransportError
from edxml import Priority
from gateway.core.errors import StoreUnavailable
from gateway.core.model import DeliveryState
from gateway.store.repository import SqlStore
from gateway.store.tables import DocumentRow
from gateway.workers.puller import Puller
from tests.scenarios.axes.nodes import REMOTE, REMOTE2, SENDER, Axes, three_nodes
from tests.scenarios.exchange.conftest import eventually
from tests.scenarios.exchange.packages import document

SENDER_SECRET = "secret-sender"
RECEIVERS = {REMOTE: "secret-remote", REMOTE2: "secret-remote2"}


def _quick_resend(name: str, values: dict[str, Any]) -> None:
    if name != "national":
        values["upstream_resend_seconds"] = 0.2


@pytest.fixture(params=["embedded", "services"])
async def axes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Axes]:
    async with three_nodes(str(request.param), tmp_path, tweak=_quick_resend) as started:
        yield started


async def _documents_from(store: SqlStore, system_id: str) -> int:
    async with store.engine.connect() as connection:
        count = await connection.scalar(
            select(func.count())
            .select_from(DocumentRow)
            .where(DocumentRow.sender_system == system_id)
        )
    return int(count or 0)


async def _pending(axes: Axes, code: str) -> list[Any]:
    client = axes.lang_son.client(code, RECEIVERS[code])
    return await client.get_received_edoc_list("edoc")


async def test_national_node_down_then_back_drains_everything_once(axes: Axes) -> None:
    """While the national node is down the provincial node keeps accepting and keeps the
    forwards queued (not failed); when it returns every document arrives exactly once."""
    axes.down.set()
    sender = axes.cao_bang.client(SENDER, SENDER_SECRET)
    sent = []
    for priority in (Priority.THUONG, Priority.THUONG, Priority.HOA_TOC, Priority.THUONG):
        data = document(SENDER, (REMOTE,), priority=priority)
        sent.append(await sender.send_edoc(data, from_code=SENDER))
    await asyncio.sleep(1.0)  # longer than the bus's whole retry budget in these tests
    for doc_id in sent:
        trace = await axes.cao_bang.runtime.exchange.trace(None, doc_id)
        assert trace.deliveries[0].state is DeliveryState.QUEUED

    axes.down.clear()
    items = await eventually(lambda: _pending(axes, REMOTE), lambda i: len(i) >= len(sent))
    await asyncio.sleep(0.5)  # let any duplicate show up
    items = await _pending(axes, REMOTE)
    assert len(items) == len(sent)
    assert await _documents_from(axes.national.runtime.store, "node-h14") == len(sent)
    for doc_id in sent:
        trace = await axes.cao_bang.runtime.exchange.trace(None, doc_id)
        assert trace.deliveries[0].state is DeliveryState.FORWARDED


async def test_crash_between_forward_and_record_makes_no_second_document(
    axes: Axes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The national node took the package but the provincial node failed to record it: the
    forward runs again, answers the same DocId, and the destination gets one copy."""
    store = axes.cao_bang.runtime.store
    original = store.mark_forwarded
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise StoreUnavailable("database went away (test)")
        return await original(*args, **kwargs)

    monkeypatch.setattr(store, "mark_forwarded", flaky)
    sender = axes.cao_bang.client(SENDER, SENDER_SECRET)
    doc_id = await sender.send_edoc(document(SENDER, (REMOTE,)), from_code=SENDER)

    async def state() -> DeliveryState:
        trace = await axes.cao_bang.runtime.exchange.trace(None, doc_id)
        return trace.deliveries[0].state

    await eventually(state, lambda s: s is DeliveryState.FORWARDED)
    assert calls >= 2
    await eventually(lambda: _pending(axes, REMOTE), bool)
    await asyncio.sleep(0.3)
    assert len(await _pending(axes, REMOTE)) == 1
    assert await _documents_from(axes.national.runtime.store, "node-h14") == 1


async def test_crash_between_pull_and_acknowledgement_makes_no_second_copy(
    axes: Axes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The destination committed the pulled item but its ``updateStatus done`` was lost: the
    next round finds the item already pulled and only acknowledges it."""
    original = VxpClient.update_status
    lost = 0

    async def flaky(self: VxpClient, doc_id: str, status: Any, **kwargs: Any) -> Any:
        nonlocal lost
        if kwargs.get("next_doc_id") and lost == 0:
            lost += 1
            raise VxpTransportError("connection reset (test)", action="updateStatus")
        return await original(self, doc_id, status, **kwargs)

    monkeypatch.setattr(VxpClient, "update_status", flaky)
    sender = axes.cao_bang.client(SENDER, SENDER_SECRET)
    await sender.send_edoc(document(SENDER, (REMOTE,)), from_code=SENDER)
    (item,) = await eventually(lambda: _pending(axes, REMOTE), bool)
    national = axes.national.client("node-h37", "secret-h37")
    await eventually(lambda: national.get_received_edoc_list("edoc"), lambda i: not i)
    await asyncio.sleep(0.3)
    assert lost == 1
    assert len(await _pending(axes, REMOTE)) == 1
    assert await _documents_from(axes.lang_son.runtime.store, "upstream") == 1
    copy = await axes.lang_son.runtime.store.get_delivery(item.doc_id)
    assert copy is not None
    assert copy.origin_doc_id is not None


async def test_resend_publishes_urgent_first(axes: Axes) -> None:
    """The forwards missed while the national node was down go again urgent first (the bus
    then hands urgent work out first: tests/connectors/bus)."""
    axes.down.set()
    sender = axes.cao_bang.client(SENDER, SENDER_SECRET)
    normal = await sender.send_edoc(document(SENDER, (REMOTE,)), from_code=SENDER)
    urgent = await sender.send_edoc(
        document(SENDER, (REMOTE,), priority=Priority.HOA_TOC), from_code=SENDER
    )
    await asyncio.sleep(0.4)
    published: list[Message] = []

    class Recorder(MemoryBus):
        async def publish(self, messages: Any) -> None:
            published.extend(messages)

    runtime = axes.cao_bang.runtime
    puller = Puller(
        runtime.exchange,
        runtime.store,
        VxpClient("http://unused.test/vxp", "x", "y"),
        runtime.clock,
        interval=1,
        bus=Recorder(topics=("forward",)),
        resend_after=timedelta(0),
    )
    assert await puller.resend() == 2
    order = [m.body for m in published]
    assert urgent.encode() in order[0]
    assert normal.encode() in order[1]
    assert published[0].priority > published[1].priority
    axes.down.clear()


async def test_receipt_reported_while_the_national_node_is_down_arrives_later(axes: Axes) -> None:
    """The destination confirms while the national node is down: the report outlives the bus's
    retries and reaches the origin once the national node is back."""
    sender = axes.cao_bang.client(SENDER, SENDER_SECRET)
    doc_id = await sender.send_edoc(document(SENDER, (REMOTE,)), from_code=SENDER)
    (item,) = await eventually(lambda: _pending(axes, REMOTE), bool)
    axes.down.set()
    receiver = axes.lang_son.client(REMOTE, RECEIVERS[REMOTE])
    await receiver.get_edoc(item.doc_id)
    await receiver.update_status(item.doc_id, "done")
    await asyncio.sleep(1.5)  # the bus gives up on the report more than once meanwhile

    async def state() -> DeliveryState:
        trace = await axes.cao_bang.runtime.exchange.trace(None, doc_id)
        return trace.deliveries[0].state

    assert await state() is DeliveryState.FORWARDED
    store = axes.lang_son.runtime.store
    far = datetime.now(UTC) + timedelta(days=1)
    # Not acknowledged yet: the start-up sweep would report it again.
    assert [c.delivery_id for c in await store.unreported(far, 10)] == [item.doc_id]
    axes.down.clear()
    await eventually(state, lambda s: s is DeliveryState.RECEIVED)
    await eventually(lambda: store.unreported(far, 10), lambda found: not found)
    copy = await axes.lang_son.runtime.store.get_delivery(item.doc_id)
    assert copy is not None
    trace = await axes.cao_bang.runtime.exchange.trace(None, doc_id)
    assert trace.deliveries[0].received_at == copy.received_at


async def test_package_the_destination_refuses_fails_at_the_origin_with_its_code(
    tmp_path: Path,
) -> None:
    """Lạng Sơn's node takes smaller packages than the national node: it answers the item with
    the coded refusal, and the origin's copy fails with that code."""

    def small_at_h37(name: str, values: dict[str, Any]) -> None:
        if name == "h37":
            values["max_package_bytes"] = 4096

    async with three_nodes("embedded", tmp_path, tweak=small_at_h37) as axes:
        sender = axes.cao_bang.client(SENDER, SENDER_SECRET)
        doc_id = await sender.send_edoc(document(SENDER, (REMOTE,)), from_code=SENDER)

        async def state() -> DeliveryState:
            trace = await axes.cao_bang.runtime.exchange.trace(None, doc_id)
            return trace.deliveries[0].state

        await eventually(state, lambda s: s is DeliveryState.FAILED)
        trace = await axes.cao_bang.runtime.exchange.trace(None, doc_id)
        copy = trace.deliveries[0]
        (reported,) = [e for e in trace.events[copy.delivery_id] if e.kind.value == "reported"]
        assert reported.detail["code"] == "EDXML_TOO_LARGE"
        (row,) = await sender.get_sent_edoc_list(doc_id)
        assert row.send_status == "fail"
        assert "EDXML_TOO_LARGE" in (row.send_status_desc or "")
        assert not await _pending(axes, REMOTE)
