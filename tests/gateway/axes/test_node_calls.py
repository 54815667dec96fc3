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
    assert caught.value.error_code == "24"
    with pytest.raises(VxpParamError):
        await receiver.report_delivery(item, "received", datetime(2026, 11, 20, 9, 0))  # noqa: DTZ001
    with pytest.raises(VxpFailure) as caught:
        await receiver.report_delivery(item, "lost", datetime.now(VN_TZ))  # type: ignore[arg-type]
    assert "state" in caught.value.error_desc
    assert await _state(node, item) is DeliveryState.FORWARDED
