"""The VXP-compatible API end to end: send → pull → fetch → confirm → status → sender's view.

Runs on the embedded default and on PostgreSQL + RabbitMQ (``backend`` parameter), with the
project's SDK-faithful client signing every request like the official SDK.
"""

from __future__ import annotations

import pytest

from connectors.vxp.errors import VxpFailure
from connectors.vxp.models import ReceivedEdoc, SentEdoc
from edxml import Priority
from tests.gateway.exchange.conftest import Node, eventually
from tests.gateway.exchange.packages import document, edxml_id, status

H14, H41 = "000.00.00.H14", "000.00.00.H41"


async def _pending(node: Node, system: str, kind: str = "edoc") -> list[ReceivedEdoc]:
    return await node.client(system).get_received_edoc_list(kind)


async def test_document_and_status_round_trip(node: Node) -> None:
    """A document reaches its recipient once; confirmation and statuses reach the sender."""
    sender, receiver = node.client(H14), node.client(H41)
    data = document(H14, (H41,))
    doc_id = await sender.send_edoc(data, from_code=H14)

    items = await eventually(lambda: receiver.get_received_edoc_list("edoc"), lambda v: len(v) == 1)
    item = items[0]
    assert item.from_code == H14
    assert item.to_code == H41
    assert item.doc_id != doc_id  # the recipient's copy has its own id
    assert item.extra["senderDocId"] == doc_id

    fetched = await receiver.get_edoc(item.doc_id)
    # Byte-preserving: the original plus exactly one TraceHeader of this node.
    assert fetched.count(b"<edXML:TraceHeader>") == data.count(b"<edXML:TraceHeader>") + 1
    assert fetched.startswith(data[:200])
    assert fetched.endswith(data[-200:])
    downloaded = await receiver.download_edoc(item.doc_id)
    assert downloaded.count(b"<edXML:TraceHeader>") == fetched.count(b"<edXML:TraceHeader>")

    assert await receiver.count_receive_edoc() == 1
    await receiver.update_status(item.doc_id, "done")
    await receiver.update_status(item.doc_id, "done")  # a client retry changes nothing
    assert await receiver.get_received_edoc_list("edoc") == []
    assert await receiver.count_receive_edoc() == 0

    rows: list[SentEdoc] = await sender.get_sent_edoc_list(doc_id)
    assert len(rows) == 1
    row = rows[0]
    assert (row.sender_doc_id, row.receiver_doc_id) == (doc_id, item.doc_id)
    assert row.receive_status == "done"
    assert row.received_time is not None
    assert row.received_time.endswith("+07:00")
    assert row.sent_time.endswith("+07:00")

    target = edxml_id(data)
    for code in ("01", "03", "06"):
        await receiver.send_edoc(
            status(code, document_id=target), from_code=H41, messagetype="status"
        )
    statuses = await eventually(
        lambda: sender.get_received_edoc_list("status"), lambda v: len(v) == 3
    )
    assert {s.from_code for s in statuses} == {H41}
    assert await sender.count_receive_status() == 3
    for notice in statuses:
        assert b"<edXML:StatusCode>" in await sender.get_edoc(notice.doc_id)
        await sender.update_status(notice.doc_id, "done")
    assert await sender.get_received_edoc_list("status") == []
    row = (await sender.get_sent_edoc_list(doc_id))[0]
    assert row.extra["statusCode"] == "06"


async def test_urgent_copies_come_first(node: Node) -> None:
    """Pull lists put urgent documents before older normal ones."""
    sender, receiver = node.client(H14), node.client(H41)
    normal = await sender.send_edoc(document(H14, (H41,)), from_code=H14)
    urgent = await sender.send_edoc(document(H14, (H41,), priority=Priority.HOA_TOC), from_code=H14)
    items = await eventually(lambda: receiver.get_received_edoc_list("edoc"), lambda v: len(v) == 2)
    assert [i.extra["senderDocId"] for i in items] == [urgent, normal]


async def test_resend_is_idempotent(node: Node) -> None:
    """The same bytes, or the same DocumentId, answer the first DocId and add no copy."""
    sender, receiver = node.client(H14), node.client(H41)
    data = document(H14, (H41,), number="77")
    first = await sender.send_edoc(data, from_code=H14)
    assert await sender.send_edoc(data, from_code=H14) == first
    same_id = document(H14, (H41,), number="77", subject="Trích yếu khác")
    assert await sender.send_edoc(same_id, from_code=H14) == first
    await eventually(lambda: receiver.get_received_edoc_list("edoc"), lambda v: len(v) == 1)
    assert len(await sender.get_sent_edoc_list(first)) == 1


async def test_resend_to_other_recipients_is_a_coded_conflict(node: Node) -> None:
    """The same bytes with a ``to`` the first send did not have answer a FAIL naming ``to``;
    the same ``to`` again is still the idempotent repeat."""
    sender = node.client(H14)
    data = document(H14, (H41,), number="78")
    first = await sender.send_edoc(data, from_code=H14, to=[H41])
    with pytest.raises(VxpFailure) as caught:
        await sender.send_edoc(data, from_code=H14, to=[H41, "000.00.15.H51"])
    assert caught.value.error_code == "25"
    assert caught.value.error_desc.startswith("DOCUMENT_REPEAT_CONFLICT [to]")
    assert await sender.send_edoc(data, from_code=H14, to=[H41]) == first
    assert len(await sender.get_sent_edoc_list(first)) == 1


async def test_semantic_duplicate_is_accepted_and_flagged(node: Node) -> None:
    """Same number, notation and date under a new DocumentId: accepted, flagged on the document."""
    sender = node.client(H14)
    first = await sender.send_edoc(document(H14, (H41,), number="88"), from_code=H14)
    again = document(H14, (H41,), number="88", document_id=f"{H14},2026/11/20,88/UBND-VP-bis")
    second = await sender.send_edoc(again, from_code=H14)
    assert second != first
    record = await node.runtime.store.get_document(second)
    assert record is not None
    assert record.duplicate_of == first
    assert any(n["code"] == "DOCUMENT_SEMANTIC_DUPLICATE" for n in record.notes)


async def test_receiver_failure_offers_again_then_fails(node: Node) -> None:
    """updateStatus fail hides the copy, offers it again later, and gives up after the limit."""
    sender, receiver = node.client(H14), node.client(H41)
    doc_id = await sender.send_edoc(document(H14, (H41,)), from_code=H14)
    for _ in range(3):  # max_receiver_failures = 3 in the test settings
        items = await eventually(
            lambda: receiver.get_received_edoc_list("edoc"), lambda v: len(v) == 1
        )
        await receiver.update_status(items[0].doc_id, "fail")
    rows = await eventually(
        lambda: sender.get_sent_edoc_list(doc_id), lambda v: v[0].extra.get("state") == "failed"
    )
    assert rows[0].send_status == "fail"
    assert await receiver.get_received_edoc_list("edoc") == []


async def test_succession_redirects_to_successor(node: Node) -> None:
    """A copy addressed to a merged agency goes to its successor, and the redirect is recorded."""
    sender = node.client(H14)
    doc_id = await sender.send_edoc(document(H14, ("H14.94",)), from_code=H14)
    rows = await sender.get_sent_edoc_list(doc_id)
    assert rows[0].to_code == "H14.95"
    assert rows[0].extra["requestedCode"] == "H14.94"
    trace = await node.runtime.store.trace(doc_id)
    assert trace is not None
    kinds = [e.kind.value for e in trace.events[rows[0].receiver_doc_id or ""]]
    assert kinds[:2] == ["accepted", "redirected"]


async def test_recipient_without_system_fails_visibly(node: Node) -> None:
    """A registered agency no connected system serves: the copy fails with the reason."""
    sender = node.client(H14)
    doc_id = await sender.send_edoc(document(H14, ("G12",)), from_code=H14)
    rows = await eventually(
        lambda: sender.get_sent_edoc_list(doc_id), lambda v: v[0].extra.get("state") == "failed"
    )
    assert "G12" in (rows[0].send_status_desc or "")


async def test_sdk_sample_with_sticky_client(node: Node) -> None:
    """The official SDK sample goes through a sticky (SDK-like) client unchanged."""
    from tests.conftest import SDK_SAMPLES

    data = (SDK_SAMPLES / "edoc.edxml").read_bytes()
    client = node.client("sdk-test", sticky=True)
    doc_id = await client.send_edoc(data, from_code="002.00.20.H13")
    items = await eventually(lambda: client.get_received_edoc_list("edoc"), lambda v: len(v) == 1)
    assert items[0].extra["senderDocId"] == doc_id
    got = await client.get_edoc(items[0].doc_id)
    assert len(got) > len(data)
    await client.update_status(items[0].doc_id, "done")
    # Sticky docId/status headers linger: the list must not be filtered by them (Q6).
    assert await client.get_received_edoc_list("edoc") == []
