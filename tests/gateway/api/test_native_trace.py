"""GET /api/v1/sent, /documents/{id}/trace and /deliveries: what became of what was sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.api.native_support import (
    OUTSIDER,
    RECEIVER,
    SENDER,
    NativeNode,
    edoc,
    open_node,
    status,
)


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NativeNode]:
    """A started node with three connected systems."""
    async with open_node(tmp_path) as started:
        yield started


def _timestamps(value: Any) -> list[str]:
    """Every ``*_at`` / ``at`` string inside a JSON value."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (key == "at" or key.endswith("_at")) and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_timestamps(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_timestamps(item))
    return found


async def test_sent_lists_one_row_per_recipient(node: NativeNode) -> None:
    """/sent gives one typed row per recipient copy, filterable by document id."""
    first = (await node.send(SENDER, edoc(), params={"to": ["000.00.15.H51", "H14.92"]})).json()
    await node.send(SENDER, edoc("second-document"))
    await node.route()
    rows = (await node.get(SENDER, "/api/v1/sent")).json()["items"]
    assert len(rows) == 3
    assert {row["direction"] for row in rows} <= {"sent", "both"}
    only = (await node.get(SENDER, "/api/v1/sent", document_id=first["document_id"])).json()[
        "items"
    ]
    assert sorted(row["to"] for row in only) == ["000.00.15.H51", "H14.92"]
    assert {row["state"] for row in only} == {"available"}
    assert all(row["available_at"] is not None for row in only)
    assert (await node.get(SENDER, "/api/v1/sent", kind="status")).json()["items"] == []


async def test_sent_is_scoped_to_the_sender(node: NativeNode) -> None:
    """The receiver and an outsider see nothing of the sender's documents in /sent."""
    document_id, _ = await node.send_routed()
    for system_id in (RECEIVER, OUTSIDER):
        assert (await node.get(system_id, "/api/v1/sent")).json()["items"] == []
        rows = await node.get(system_id, "/api/v1/sent", document_id=document_id)
        assert rows.json()["items"] == []


async def test_trace_after_send_and_confirm(node: NativeNode) -> None:
    """The trace shows the document facts and the copy's events, timestamps and statuses."""
    document_id, delivery_id = await node.send_routed()
    await node.get(RECEIVER, f"/api/v1/inbox/{delivery_id}")
    await node.confirm(RECEIVER, delivery_id, "done")
    assert (await node.send(RECEIVER, status("03"), params={"messagetype": "status"})).is_success

    response = await node.get(SENDER, f"/api/v1/documents/{document_id}/trace")
    assert response.status_code == 200
    trace = response.json()
    doc = trace["document"]
    assert (doc["document_id"], doc["kind"], doc["sender_system"]) == (
        document_id,
        "edoc",
        SENDER,
    )
    assert (doc["from"], doc["number"], doc["notation"]) == (
        "002.00.20.H13",
        "12234555512",
        "PRO-TEST-CASE1",
    )
    assert (doc["promulgation_date"], doc["priority"], doc["business_type"]) == (
        "2019-01-17",
        0,
        0,
    )
    assert doc["edxml_document_id"] == "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"
    assert doc["signature"]["class"]
    assert all("code" in note for note in doc["notes"])
    assert doc["attachments"][0]["name"] == "GUIDE_INSTALL OPENVPN.SIGNED.PDF"

    [copy] = trace["recipients"]
    assert (copy["delivery_id"], copy["state"], copy["system_id"]) == (
        delivery_id,
        "received",
        RECEIVER,
    )
    assert (copy["requested_code"], copy["code"], copy["redirected"]) == (
        "000.00.15.H51",
        "000.00.15.H51",
        False,
    )
    assert copy["created_at"] <= copy["available_at"] <= copy["received_at"]
    kinds = [event["kind"] for event in copy["events"]]
    assert kinds == ["accepted", "available", "fetched", "confirmed", "status"]
    assert copy["events"][3]["actor"] == RECEIVER
    [notice] = copy["statuses"]
    assert (notice["code"], notice["from"]) == ("03", "000.00.15.H51")
    assert notice["issued_at"] == "2018-09-28T17:25:11+07:00"
    assert notice["recorded_at"]
    assert notice["status_document_id"]
    assert all(stamp.endswith("+07:00") for stamp in _timestamps(trace))


async def test_trace_shows_succession(node: NativeNode) -> None:
    """A copy addressed to a closed agency shows the requested and the effective code."""
    response = await node.send(SENDER, edoc(), params={"to": "000.00.94.H14"})
    await node.route()
    trace = await node.get(SENDER, f"/api/v1/documents/{response.json()['document_id']}/trace")
    [copy] = trace.json()["recipients"]
    assert (copy["requested_code"], copy["code"], copy["redirected"]) == (
        "000.00.94.H14",
        "000.00.95.H14",
        True,
    )
    redirect = next(e for e in copy["events"] if e["kind"] == "redirected")
    assert redirect["detail"]["redirects"][0]["to"] == "H14.95"


async def test_only_the_sender_may_trace(node: NativeNode) -> None:
    """The receiver and an outsider get 404 DOCUMENT_UNKNOWN, as for an unknown id."""
    document_id, _ = await node.send_routed()
    for system_id, target in ((RECEIVER, document_id), (OUTSIDER, document_id), (SENDER, "nope")):
        response = await node.get(system_id, f"/api/v1/documents/{target}/trace")
        assert response.status_code == 404
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("DOCUMENT_UNKNOWN", "document_id")


async def test_failed_copies_are_listed(node: NativeNode) -> None:
    """A copy no system serves becomes failed and is listed for its sender with the reason."""
    await node.send(SENDER, edoc(), params={"to": ["000.00.00.G22", "000.00.15.H51"]})
    await node.route()
    [failed] = (await node.get(SENDER, "/api/v1/deliveries", state="failed")).json()["items"]
    assert (failed["to"], failed["state"], failed["direction"]) == (
        "000.00.00.G22",
        "failed",
        "sent",
    )
    assert "000.00.00.G22" in failed["last_error"]
    assert (await node.get(RECEIVER, "/api/v1/deliveries", state="failed")).json()["items"] == []
    assert (await node.get(OUTSIDER, "/api/v1/deliveries", state="failed")).json()["items"] == []


async def test_deliveries_cover_both_sides(node: NativeNode) -> None:
    """Without a state, the sender and the receiver each see the copy, with their direction."""
    _, delivery_id = await node.send_routed()
    [sent] = (await node.get(SENDER, "/api/v1/deliveries")).json()["items"]
    [received] = (await node.get(RECEIVER, "/api/v1/deliveries")).json()["items"]
    assert sent["delivery_id"] == received["delivery_id"] == delivery_id
    assert (sent["direction"], received["direction"]) == ("sent", "received")
    assert (await node.get(OUTSIDER, "/api/v1/deliveries")).json()["items"] == []


async def test_deliveries_validate_their_parameters(node: NativeNode) -> None:
    """An unknown state or a limit out of range answers 422 REQUEST_INVALID."""
    for params in ({"state": "lost"}, {"limit": 0}, {"limit": 501}):
        response = await node.get(SENDER, "/api/v1/deliveries", **params)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "REQUEST_INVALID"
