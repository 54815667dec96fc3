"""Revoke, update and replace reach every current recipient of the original (domain.md §2)."""

from __future__ import annotations

from edxml import BusinessDocType
from edxml.model import ReceiverType
from gateway.core.model import DeliveryState, EventKind
from tests.scenarios.exchange.conftest import Node, eventually
from tests.scenarios.exchange.packages import document, edxml_id

H14, H41 = "000.00.00.H14", "000.00.00.H41"


async def _received(node: Node, system: str) -> list[str]:
    client = node.client(system)
    items = await client.get_received_edoc_list("edoc")
    for item in items:
        await client.update_status(item.doc_id, "done")
    return [str(item.extra["senderDocId"]) for item in items]


async def test_revoke_fans_out_to_current_recipients(node: Node) -> None:
    """A revoke addressed to one recipient reaches every recipient of the original, linked."""
    sender = node.client(H14)
    original = document(H14, (H41, "H14.92"))
    first = await sender.send_edoc(original, from_code=H14)
    await eventually(lambda: _received(node, H41), lambda v: v == [first])
    revoke = document(
        H14,
        (H41,),
        business=BusinessDocType.REVOKE,
        target=edxml_id(original),
        number="1",
        subject="Thu hồi",
    )
    revoked = await sender.send_edoc(revoke, from_code=H14)
    rows = await sender.get_sent_edoc_list(revoked)
    assert sorted(r.to_code or "" for r in rows) == sorted([H41, "H14.92"])
    record = await node.runtime.store.get_document(revoked)
    assert record is not None
    assert record.related_document_id == first
    trace = await node.runtime.store.trace(first)
    assert trace is not None
    for copy in trace.deliveries:
        assert EventKind.LINKED in [e.kind for e in trace.events[copy.delivery_id]]
    # Sending the same revoke again is the same send.
    assert await sender.send_edoc(revoke, from_code=H14) == revoked


async def test_update_adds_and_removes_recipients(node: Node) -> None:
    """An update reaches added recipients and marks removed ones on the original."""
    sender = node.client(H14)
    original = document(H14, (H41, "H14.92"))
    first = await sender.send_edoc(original, from_code=H14)
    update = document(
        H14,
        (H41,),
        business=BusinessDocType.UPDATE,
        target=edxml_id(original),
        number="2",
        receivers=(("H14.92", ReceiverType.REMOVED), ("H14.93", ReceiverType.ADDED)),
    )
    updated = await sender.send_edoc(update, from_code=H14)
    rows = await sender.get_sent_edoc_list(updated)
    assert sorted(r.to_code or "" for r in rows) == sorted([H41, "H14.92", "H14.93"])
    trace = await node.runtime.store.trace(first)
    assert trace is not None
    states = {c.code: c.state for c in trace.deliveries}
    assert states["H14.92"] is DeliveryState.REMOVED
    assert states[H41] is not DeliveryState.REMOVED


async def test_replace_links_the_replaced_document(node: Node) -> None:
    """A replacement names the replaced document and reaches its recipients."""
    from edxml import read_package

    sender = node.client(H14)
    original = document(H14, (H41,))
    first = await sender.send_edoc(original, from_code=H14)
    replacement = document(H14, ("H14.92",), business=BusinessDocType.REPLACE, number="3")
    # Name the replaced document in ReplacementInfoList.
    marker = b"</edXML:Bussiness>"
    info = (
        b"<edXML:ReplacementInfoList><edXML:ReplacementInfo><edXML:DocumentId>"
        + edxml_id(original).encode()
        + b"</edXML:DocumentId><edXML:OrganIdList><edXML:OrganId>000.00.00.H41</edXML:OrganId>"
        b"</edXML:OrganIdList></edXML:ReplacementInfo></edXML:ReplacementInfoList>"
    )
    replacement = replacement.replace(marker, info + marker)
    pkg = read_package(replacement).package
    assert pkg.business is not None
    assert pkg.business.replacements
    replaced = await sender.send_edoc(replacement, from_code=H14)
    rows = await sender.get_sent_edoc_list(replaced)
    assert sorted(r.to_code or "" for r in rows) == sorted([H41, "H14.92"])
    record = await node.runtime.store.get_document(replaced)
    assert record is not None
    assert record.related_document_id == first
