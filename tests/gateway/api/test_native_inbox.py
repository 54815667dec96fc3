"""The caller's inbox: list, count, fetch and confirm copies, scoped to the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.gateway.api.native_support import (
    OUTSIDER,
    RECEIVER,
    SENDER,
    NativeNode,
    edoc,
    open_node,
)


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NativeNode]:
    """A started node with three connected systems."""
    async with open_node(tmp_path) as started:
        yield started


def _vn(value: str) -> datetime:
    """Parse a timestamp the API returned, checking it is in +07:00."""
    assert value.endswith("+07:00"), value
    return datetime.fromisoformat(value)


async def test_inbox_lists_a_routed_copy(node: NativeNode) -> None:
    """After routing, the recipient's inbox lists the copy with its typed fields in +07:00."""
    document_id, delivery_id = await node.send_routed()
    [item] = (await node.get(RECEIVER, "/api/v1/inbox")).json()
    assert item["delivery_id"] == delivery_id
    assert item["document_id"] == document_id
    assert (item["kind"], item["from"], item["to"]) == ("edoc", "002.00.20.H13", "000.00.15.H51")
    assert (item["number"], item["notation"]) == ("12234555512", "PRO-TEST-CASE1")
    assert item["subject"].startswith("Văn bản liên thông")
    assert (item["priority"], item["receiver_failures"]) == (0, 0)
    assert _vn(item["updated_at"]) >= _vn(item["created_at"])


async def test_copy_is_in_the_inbox_when_the_send_answers(node: NativeNode) -> None:
    """With no router run at all, the receiver lists, counts and fetches the copy at once."""
    await node.send(SENDER, edoc())
    [item] = (await node.get(RECEIVER, "/api/v1/inbox")).json()
    assert (await node.get(RECEIVER, "/api/v1/inbox/count")).json()["count"] == 1
    [row] = (await node.get(SENDER, "/api/v1/sent")).json()["items"]
    assert row["delivery_id"] == item["delivery_id"]
    assert row["state"] == "available"
    response = await node.get(RECEIVER, f"/api/v1/inbox/{row['delivery_id']}")
    assert response.status_code == 200


async def test_count_follows_the_inbox(node: NativeNode) -> None:
    """/inbox/count gives 1 for the waiting kind, 0 for the other kind and for other systems."""
    await node.send_routed()
    count = await node.get(RECEIVER, "/api/v1/inbox/count")
    assert count.json() == {"kind": "edoc", "count": 1}
    statuses = await node.get(RECEIVER, "/api/v1/inbox/count", kind="status")
    assert statuses.json() == {"kind": "status", "count": 0}
    assert (await node.get(SENDER, "/api/v1/inbox/count")).json()["count"] == 0


async def test_fetch_returns_the_package_with_the_node_trace(node: NativeNode) -> None:
    """GET /inbox/{id} answers the package as application/xml with one more TraceHeader."""
    _, delivery_id = await node.send_routed()
    response = await node.get(RECEIVER, f"/api/v1/inbox/{delivery_id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    original = edoc()
    assert response.content.count(b"TraceHeader>") == original.count(b"TraceHeader>") + 2
    assert node.runtime.settings.node_id.encode() in response.content


async def test_confirm_done_receives_the_copy(node: NativeNode) -> None:
    """confirm done makes the copy received and empties the inbox; a repeat changes nothing."""
    _, delivery_id = await node.send_routed()
    response = await node.confirm(RECEIVER, delivery_id, "done")
    assert response.status_code == 200
    body = response.json()
    assert (body["delivery_id"], body["state"], body["changed"]) == (delivery_id, "received", True)
    assert _vn(body["received_at"]) == _vn(body["updated_at"])
    assert (await node.get(RECEIVER, "/api/v1/inbox")).json() == []
    assert (await node.get(RECEIVER, "/api/v1/inbox/count")).json()["count"] == 0
    again = await node.confirm(RECEIVER, delivery_id, "done")
    assert (again.json()["state"], again.json()["changed"]) == ("received", False)


async def test_confirm_fail_defers_the_copy(node: NativeNode) -> None:
    """confirm fail keeps the copy available, counts the failure and offers it again later."""
    _, delivery_id = await node.send_routed()
    response = await node.confirm(RECEIVER, delivery_id, "fail", reason="disk full")
    body = response.json()
    assert (body["state"], body["changed"], body["receiver_failures"]) == ("available", True, 1)
    assert _vn(body["next_attempt_at"]) > _vn(body["updated_at"])
    assert body["received_at"] is None
    assert (await node.get(RECEIVER, "/api/v1/inbox")).json() == []
    [copy] = (await node.get(RECEIVER, "/api/v1/deliveries", state="available")).json()["items"]
    assert (copy["delivery_id"], copy["receiver_failures"]) == (delivery_id, 1)


async def test_confirm_needs_done_or_fail(node: NativeNode) -> None:
    """A status other than done/fail answers 422 REQUEST_INVALID naming `status`."""
    _, delivery_id = await node.send_routed()
    response = await node.confirm(RECEIVER, delivery_id, "maybe")
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("REQUEST_INVALID", "status")


async def test_other_systems_cannot_fetch_or_confirm(node: NativeNode) -> None:
    """The sender and an outsider get 404 DOCUMENT_UNKNOWN on the recipient's copy."""
    _, delivery_id = await node.send_routed()
    for system_id in (SENDER, OUTSIDER):
        fetched = await node.get(system_id, f"/api/v1/inbox/{delivery_id}")
        confirmed = await node.confirm(system_id, delivery_id, "done")
        for response in (fetched, confirmed):
            assert response.status_code == 404
            error = response.json()["error"]
            assert (error["code"], error["field"]) == ("DOCUMENT_UNKNOWN", "delivery_id")
    assert (await node.get(RECEIVER, "/api/v1/inbox/count")).json()["count"] == 1


async def test_unknown_copy_answers_like_a_foreign_one(node: NativeNode) -> None:
    """An id nobody has answers the same 404 DOCUMENT_UNKNOWN as another system's copy."""
    response = await node.get(RECEIVER, "/api/v1/inbox/no-such-copy")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "DOCUMENT_UNKNOWN"
