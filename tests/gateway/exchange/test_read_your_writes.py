"""Visible at commit: what ``sendEdoc`` accepted is in the receiver's count and list when the
answer arrives, with no waiting, the way the official SDK uses the node (send, then list at once).

Driven by the SDK-faithful client, 200 times in a row on each backend: a document, then the
status notice sent back; ``updateStatus done`` takes each out of the list before it answers.
"""

from __future__ import annotations

from tests.gateway.exchange.conftest import Node
from tests.gateway.exchange.packages import document, edxml_id, status

H14, H41 = "000.00.00.H14", "000.00.00.H41"
ROUNDS = 200


async def test_send_then_count_and_list_at_once_200_times(node: Node) -> None:
    """Each document and each status is counted and listed by the next call after its send
    answered, and gone from both after the receiver's done; never waited for, never twice."""
    sender, receiver = node.client(H14), node.client(H41)
    for round_ in range(ROUNDS):
        data = document(H14, (H41,), number=f"{1000 + round_}")
        doc_id = await sender.send_edoc(data, from_code=H14)
        assert await receiver.count_receive_edoc() == 1, round_
        (item,) = await receiver.get_received_edoc_list("edoc")
        assert item.extra["senderDocId"] == doc_id
        await receiver.update_status(item.doc_id, "done")
        assert await receiver.count_receive_edoc() == 0, round_
        assert await receiver.get_received_edoc_list("edoc") == []

        notice = status("01", document_id=edxml_id(data))
        await receiver.send_edoc(notice, from_code=H41, messagetype="status")
        assert await sender.count_receive_status() == 1, round_
        (back,) = await sender.get_received_edoc_list("status")
        assert back.from_code == H41
        await sender.update_status(back.doc_id, "done")
        assert await sender.count_receive_status() == 0, round_
        assert await sender.get_received_edoc_list("status") == []
