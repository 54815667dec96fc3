"""The client's bytes on a real loopback socket (no mock transport): request line, headers, body."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from connectors.vxp.client import VxpClient
from connectors.vxp.protocol import Action, parse_signed_params, verify_signed_headers
from connectors.vxp.retry import NO_RETRY
from tests.connectors.vxp.conftest import SECRET, SPEC_TIMESTAMP, SYSTEM_ID

BODY = b'{"status":"OK","ErrorCode":"0","ErrorDesc":"Success","DocId":"W1"}'
REPLY = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
    + BODY
)
OPTIONS = {"timeout": 5.0, "retry": NO_RETRY}


@dataclass
class Capture:
    """Raw requests a loopback server received."""

    port: int = 0
    raw: list[bytes] = field(default_factory=list)


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + await reader.readexactly(length)


@pytest.fixture
async def server() -> AsyncIterator[Capture]:
    """A one-reply-per-request HTTP/1.1 server on 127.0.0.1 that records raw bytes."""
    capture = Capture()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                capture.raw.append(await _read_request(reader))
                writer.write(REPLY)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    capture.port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield capture


def _headers(raw: bytes) -> list[tuple[bytes, bytes]]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    pairs = []
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        pairs.append((name, value.strip()))
    return pairs


async def test_send_edoc_on_the_wire(server: Capture) -> None:
    """sendEdoc is a raw POST (file + CRLF, no multipart) under the endpoint prefix (§5.1)."""
    endpoint = f"http://127.0.0.1:{server.port}/vxp"
    async with VxpClient(
        endpoint, SYSTEM_ID, SECRET, timestamp=SPEC_TIMESTAMP, **OPTIONS
    ) as client:
        assert await client.send_edoc(b"<edXML/>", from_code=SYSTEM_ID, to=["B"]) == "W1"
    [raw] = server.raw
    assert raw.startswith(b"POST /vxp/sendEdoc HTTP/1.1\r\n")
    assert raw.endswith(b"\r\n\r\n<edXML/>\r\n")
    headers = dict(_headers(raw))
    assert headers[b"Content-Length"] == b"10"
    assert headers[b"Content-Type"] == b"application/octet-stream"
    assert b"boundary" not in raw
    assert verify_signed_headers(
        headers[b"XroadVnpt-sign-header"], headers[b"XroadVnpt-hash-header"].decode(), SECRET
    )


async def test_non_ascii_value_arrives_as_utf8_and_verifies(server: Capture) -> None:
    """A non-ASCII filePath goes out as UTF-8 bytes and the node can verify it (§3.4, §4.1)."""
    endpoint = f"http://127.0.0.1:{server.port}/vxp"
    async with VxpClient(endpoint, SYSTEM_ID, SECRET, **OPTIONS) as client:
        reply = await client.call(
            Action.GET_EDOC, {"docId": "D1", "filePath": "D:/Văn bản đến"}, body=b"{}"
        )
    assert reply.status_code == 200
    [raw] = server.raw
    assert raw.startswith(b"POST /vxp/getEdoc HTTP/1.1\r\n")
    headers = dict(_headers(raw))
    assert headers[b"XroadVnpt-filePath"] == "D:/Văn bản đến".encode()
    sign_header = headers[b"XroadVnpt-sign-header"]
    assert verify_signed_headers(sign_header, headers[b"XroadVnpt-hash-header"].decode(), SECRET)
    params = parse_signed_params(sign_header)
    assert params["filepath"] == "D:/Văn bản đến"
    assert params["docid"] == "D1"
    assert raw.endswith(b"\r\n\r\n{}")


async def test_download_edoc_is_a_get_without_body(server: Capture) -> None:
    """downloadEdoc is GET with Content-Type but no body and no Content-Length (§5.5)."""
    endpoint = f"http://127.0.0.1:{server.port}/vxp"
    async with VxpClient(endpoint, SYSTEM_ID, SECRET, **OPTIONS) as client:
        reply = await client.call(Action.DOWNLOAD_EDOC, {"docId": "D1"})
    assert reply.status_code == 200
    [raw] = server.raw
    assert raw.startswith(b"GET /vxp/downloadEdoc HTTP/1.1\r\n")
    names = {name.lower() for name, _ in _headers(raw)}
    assert b"content-type" in names
    assert b"content-length" not in names
    assert raw.endswith(b"\r\n\r\n")
