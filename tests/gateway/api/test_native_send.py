"""POST /api/v1/documents: accepting packages, idempotent repeats and coded refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.gateway.api.native_support import (
    OUTSIDER,
    RECEIVER,
    SENDER,
    NativeNode,
    edoc,
    open_node,
    status,
)

INVALID = ROOT / "tests" / "edxml" / "corpus" / "invalid"


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NativeNode]:
    """A started node with three connected systems."""
    async with open_node(tmp_path) as started:
        yield started


async def test_send_creates_a_document(node: NativeNode) -> None:
    """A new package answers 201 with its id, created true, and a Location of its trace."""
    response = await node.send(SENDER, edoc())
    assert response.status_code == 201
    body = response.json()
    assert body["created"] is True
    assert response.headers["Location"] == f"/api/v1/documents/{body['document_id']}/trace"


async def test_resend_is_idempotent(node: NativeNode) -> None:
    """The same package again answers 200, created false, the original id, and no new copy."""
    first = await node.send(SENDER, edoc())
    again = await node.send(SENDER, edoc(), headers={"Content-Type": "application/octet-stream"})
    assert again.status_code == 200
    assert again.json() == {"document_id": first.json()["document_id"], "created": False}
    assert "Location" not in again.headers
    assert len((await node.get(SENDER, "/api/v1/sent")).json()["items"]) == 1


async def test_send_without_content_type_is_accepted(node: NativeNode) -> None:
    """A body without Content-Type is taken as application/octet-stream."""
    response = await node.client.post(
        "/api/v1/documents", content=edoc(), headers=node.auth(SENDER)
    )
    assert response.status_code == 201


async def test_send_status_package(node: NativeNode) -> None:
    """A status package about a delivered document is accepted with messagetype=status."""
    await node.send_routed()
    response = await node.send(RECEIVER, status(), params={"messagetype": "status"})
    assert response.status_code == 201, response.text
    await node.route()
    count = await node.get(SENDER, "/api/v1/inbox/count", kind="status")
    assert count.json() == {"kind": "status", "count": 1}


async def test_messagetype_may_come_as_a_header(node: NativeNode) -> None:
    """X-Message-Type: status with a document package is refused 422 PACKAGE_KIND."""
    response = await node.send(SENDER, edoc(), headers={"X-Message-Type": "status"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "PACKAGE_KIND"


async def test_query_and_header_must_agree(node: NativeNode) -> None:
    """messagetype=edoc with X-Message-Type: status is 422 REQUEST_PARAMETER on messagetype."""
    response = await node.send(
        SENDER, edoc(), params={"messagetype": "edoc"}, headers={"X-Message-Type": "status"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("REQUEST_PARAMETER", "messagetype")


async def test_unknown_messagetype_is_invalid(node: NativeNode) -> None:
    """messagetype=fax answers 422 REQUEST_INVALID naming the parameter."""
    response = await node.send(SENDER, edoc(), params={"messagetype": "fax"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("REQUEST_INVALID", "messagetype")


async def test_to_replaces_the_recipients(node: NativeNode) -> None:
    """Repeated and comma-separated `to` values address every listed agency once."""
    response = await node.send(
        SENDER,
        edoc(),
        params={"to": ["000.00.15.H51", "000.00.00.G22,000.00.15.H51"]},
    )
    assert response.status_code == 201
    rows = (await node.get(SENDER, "/api/v1/sent")).json()["items"]
    assert sorted(row["to"] for row in rows) == ["000.00.00.G22", "000.00.15.H51"]


async def test_from_must_be_granted(node: NativeNode) -> None:
    """`from` naming an agency the caller does not act for is 403 SENDER_NOT_GRANTED."""
    response = await node.send(SENDER, edoc(), params={"from": "000.00.00.G12"})
    assert response.status_code == 403
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("SENDER_NOT_GRANTED", "from")


async def test_package_of_another_sender_is_forbidden(node: NativeNode) -> None:
    """A system sending a package From an agency it is not granted gets 403."""
    response = await node.send(OUTSIDER, edoc())
    assert response.status_code == 403
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("SENDER_NOT_GRANTED", "From/OrganId")


async def test_unknown_recipient_lists_the_codes(node: NativeNode) -> None:
    """Unregistered recipients answer 422 RECIPIENT_UNKNOWN with every code in `codes`."""
    response = await node.send(
        SENDER, edoc(), params={"to": ["000.00.00.X98", "000.00.15.H51", "000.00.00.X99"]}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "RECIPIENT_UNKNOWN"
    assert error["codes"] == ["000.00.00.X98", "000.00.00.X99"]
    assert "findings" not in error


async def test_blank_recipient_is_a_bad_parameter(node: NativeNode) -> None:
    """An empty item in `to` answers 422 REQUEST_PARAMETER on `to`."""
    response = await node.send(SENDER, edoc(), params={"to": "000.00.15.H51,,"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("REQUEST_PARAMETER", "to")


async def test_invalid_package_lists_every_finding(node: NativeNode) -> None:
    """A package failing validation answers 422 with its code and the `findings` list."""
    data = (INVALID / "no-recipient__EDXML_REQUIRED.edxml").read_bytes()
    response = await node.send(SENDER, data)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "EDXML_REQUIRED"
    assert error["findings"]
    assert {"code", "severity", "path", "message"} <= set(error["findings"][0])
    assert "codes" not in error


async def test_not_xml_is_refused(node: NativeNode) -> None:
    """Bytes that are not edXML answer 422 with an EDXML_* code."""
    response = await node.send(SENDER, b"hello, not xml")
    assert response.status_code == 422
    assert response.json()["error"]["code"].startswith("EDXML_")


async def test_empty_body_is_refused(node: NativeNode) -> None:
    """An empty body answers 422 PACKAGE_EMPTY."""
    response = await node.send(SENDER, b"  \r\n")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "PACKAGE_EMPTY"


async def test_json_body_is_an_unsupported_media_type(node: NativeNode) -> None:
    """Content-Type application/json answers 415 UNSUPPORTED_MEDIA_TYPE."""
    response = await node.send(SENDER, b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_body_over_the_limit_is_413(tmp_path: Path) -> None:
    """A declared length over max_package_bytes answers 413 EDXML_TOO_LARGE."""
    async with open_node(tmp_path, max_package_bytes=1000) as node:
        response = await node.send(SENDER, edoc())
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("EDXML_TOO_LARGE", "body")


async def test_streamed_body_over_the_limit_is_413(tmp_path: Path) -> None:
    """A chunked body is cut off with 413 as soon as it passes max_package_bytes."""
    data = edoc()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), 512):
            yield data[start : start + 512]

    async with open_node(tmp_path, max_package_bytes=1000) as node:
        response = await node.client.post(
            "/api/v1/documents",
            content=chunks(),
            headers={"Content-Type": "application/xml", **node.auth(SENDER)},
        )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "EDXML_TOO_LARGE"


async def test_from_may_come_as_a_header(node: NativeNode) -> None:
    """X-From is read like `from`: a granted agency is accepted, another one is 403."""
    granted = await node.send(SENDER, edoc(), headers={"X-From": "002.00.20.H13"})
    assert granted.status_code == 201
    refused = await node.send(SENDER, edoc("other"), headers={"X-From": "000.00.00.G12"})
    assert refused.status_code == 403
    assert refused.json()["error"]["field"] == "from"
