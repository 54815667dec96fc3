"""The node-to-node extensions of the VXP API on one node: ``updateStatus`` with ``nextDocId`` or
``failCode``, and ``reportDelivery`` (docs/axes.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from connectors.vxp.client import VxpClient
from connectors.vxp.errors import VxpFailure, VxpParamError
from gateway.core.clock import VN_TZ
from gateway.core.model import DeliveryState
from tests.gateway.exchange.conftest import Node, eventually, node_settings, start_node
from tests.gateway.exchange.packages import document

SENDER, RECEIVER = "000.00.00.H14", "000.00.00.H41"


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    """One node where the receiving system is registered as a node link."""
    async for started in start_node(node_settings("embedded", tmp_path)):
        await started.runtime.store.update_system(RECEIVER, node_link=True)
        yield started


@pytest.fixture
async def plain(tmp_path: Path) -> AsyncIterator[Node]:
    """One node where every system is an ordinary document system (no node link)."""
    async for started in start_node(node_settings("embedded", tmp_path)):
        yield started


async def _item(node: Node) -> tuple[VxpClient, str, str]:
    """A document from H14 waiting for H41: (H41's client, its DocId there, the sender's)."""
    sender = node.client(SENDER)
    doc_id = await sender.send_edoc(document(SENDER, (RECEIVER,)), from_code=SENDER)
    receiver = node.client(RECEIVER)
    (item,) = await eventually(lambda: receiver.get_received_edoc_list("edoc"), bool)
    return receiver, item.doc_id, doc_id


async def _state(node: Node, delivery_id: str) -> DeliveryState:
    copy = await node.runtime.store.get_delivery(delivery_id)
    assert copy is not None
    return copy.state


async def test_next_doc_id_forwards_then_report_receives(node: Node) -> None:
    """A downstream node takes the item on (forwarded, no receipt yet), then reports the final
    confirmation: received at that time, with its receipt measures; repeats change nothing."""
    receiver, item, doc_id = await _item(node)
    await receiver.update_status(item, "done", next_doc_id="downstream-1")
    assert await _state(node, item) is DeliveryState.FORWARDED
    rows = await node.client(SENDER).get_sent_edoc_list(doc_id)
    assert rows[0].received_time is None
    assert rows[0].extra["nextDocId"] == "downstream-1"
    again = await receiver.update_status(item, "done", next_doc_id="downstream-1")
    assert again.error_desc == "Success (already recorded)"

    at = datetime(2026, 11, 20, 18, 30, tzinfo=VN_TZ)  # after office hours
    await receiver.report_delivery(item, "received", at)
    copy = await node.runtime.store.get_delivery(item)
    assert copy is not None
    assert copy.state is DeliveryState.RECEIVED
    assert copy.received_at == at
    assert copy.legal.received_out_of_hours is True
    assert copy.legal.legal_received_at == datetime(2026, 11, 23, 7, 30, tzinfo=VN_TZ)
    repeat = await receiver.report_delivery(item, "received", at)
    assert repeat.error_desc == "Success (already recorded)"


async def test_fail_code_fails_the_copy_at_once(node: Node) -> None:
    """A coded refusal is final: no re-offer, the code is kept."""
    receiver, item, _ = await _item(node)
    await receiver.update_status(item, "fail", desc="không biết", fail_code="RECIPIENT_UNKNOWN")
    copy = await node.runtime.store.get_delivery(item)
    assert copy is not None
    assert copy.state is DeliveryState.FAILED
    assert copy.last_error == "RECIPIENT_UNKNOWN: khong biet"


async def test_report_delivery_is_checked(node: Node) -> None:
    """Bad state or time, a time in the future and another system's copy are refused."""
    receiver, item, _ = await _item(node)
    await receiver.update_status(item, "done", next_doc_id="downstream-1")
    future = datetime.now(VN_TZ) + timedelta(hours=1)
    with pytest.raises(VxpFailure) as caught:
        await receiver.report_delivery(item, "received", future)
    assert "time" in caught.value.error_desc
    with pytest.raises(VxpFailure) as caught:
        await node.client(SENDER).report_delivery(item, "received", datetime.now(VN_TZ))
    assert caught.value.error_code == "15"  # the sender is no node link
    assert "AUTH_NODE_LINK" in caught.value.error_desc
    with pytest.raises(VxpParamError):
        await receiver.report_delivery(item, "received", datetime(2026, 11, 20, 9, 0))  # noqa: DTZ001
    with pytest.raises(VxpFailure) as caught:
        await receiver.report_delivery(item, "lost", datetime.now(VN_TZ))  # type: ignore[arg-type]
    assert "state" in caught.value.error_desc
    assert await _state(node, item) is DeliveryState.FORWARDED


async def test_a_confirmed_receipt_is_never_rewritten_even_by_a_node_link(node: Node) -> None:
    """Once received, a report of another time or of a failure changes nothing."""
    receiver, item, doc_id = await _item(node)
    await receiver.update_status(item, "done")
    before = await node.runtime.store.get_delivery(item)
    assert before is not None
    assert before.state is DeliveryState.RECEIVED
    old = datetime(2020, 1, 1, 9, 0, tzinfo=VN_TZ)
    again = await receiver.report_delivery(item, "received", old)
    assert again.error_desc == "Success (already recorded)"
    await receiver.report_delivery(item, "failed", datetime.now(VN_TZ), code="X_Y", desc="no")
    after = await node.runtime.store.get_delivery(item)
    assert after is not None
    assert (after.state, after.received_at, after.legal) == (
        DeliveryState.RECEIVED,
        before.received_at,
        before.legal,
    )
    (row,) = await node.client(SENDER).get_sent_edoc_list(doc_id)
    assert row.received_time is not None
    assert datetime.fromisoformat(row.received_time) == before.received_at


async def _refused(call: object) -> str:
    with pytest.raises(VxpFailure) as caught:
        await call  # type: ignore[misc]
    assert caught.value.error_code == "15"
    return caught.value.error_desc


async def test_an_ordinary_system_cannot_use_the_node_extensions(plain: Node) -> None:
    """reportDelivery, nextDocId and failCode from a document system are a coded FAIL that
    changes nothing; its plain done/fail still work."""
    receiver, item, _ = await _item(plain)
    await receiver.update_status(item, "done")
    received = await plain.runtime.store.get_delivery(item)
    assert received is not None
    hostile = datetime(2020, 1, 1, 9, 0, tzinfo=VN_TZ)
    desc = await _refused(receiver.report_delivery(item, "received", hostile))
    assert desc.startswith("AUTH_NODE_LINK [systemid]")
    await _refused(receiver.report_delivery(item, "received", datetime.now(VN_TZ)))
    await _refused(receiver.report_delivery(item, "failed", datetime.now(VN_TZ), code="X_Y"))
    after = await plain.runtime.store.get_delivery(item)
    assert after is not None
    assert (after.state, after.received_at, after.legal.legal_received_at) == (
        DeliveryState.RECEIVED,
        received.received_at,
        received.legal.legal_received_at,
    )

    _, second, _ = await _second_item(plain)
    desc = await _refused(receiver.update_status(second, "done", next_doc_id="elsewhere-1"))
    assert desc.startswith("AUTH_NODE_LINK [nextDocId]")
    desc = await _refused(receiver.update_status(second, "fail", desc="x", fail_code="X_Y"))
    assert desc.startswith("AUTH_NODE_LINK [failCode]")
    assert await _state(plain, second) is DeliveryState.AVAILABLE
    await receiver.update_status(second, "fail", desc="busy")  # an ordinary fail: offered again
    copy = await plain.runtime.store.get_delivery(second)
    assert copy is not None
    assert (copy.state, copy.receiver_failures) == (DeliveryState.AVAILABLE, 1)


async def _second_item(node: Node) -> tuple[VxpClient, str, str]:
    """One more document from H14 to H41: (H41's client, its DocId there, the sender's)."""
    sender = node.client(SENDER)
    doc_id = await sender.send_edoc(document(SENDER, (RECEIVER,)), from_code=SENDER)
    receiver = node.client(RECEIVER)
    items = await receiver.get_received_edoc_list("edoc")
    (item,) = [i for i in items]
    return receiver, item.doc_id, doc_id
