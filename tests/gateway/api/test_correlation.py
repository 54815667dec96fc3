"""X-Request-ID: honoured when safe, generated otherwise, echoed and bound in the logs."""

from __future__ import annotations

import re

import httpx
import pytest

from gateway.logging import MAX_REQUEST_ID_LENGTH


async def test_incoming_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    """A safe X-Request-ID comes back unchanged in the response header."""
    response = await client.get("/healthz", headers={"X-Request-ID": "sdk-7f3a:42"})
    assert response.headers["X-Request-ID"] == "sdk-7f3a:42"


async def test_missing_request_id_is_generated(client: httpx.AsyncClient) -> None:
    """Without X-Request-ID the node makes one (32 hex digits), different per request."""
    first = (await client.get("/healthz")).headers["X-Request-ID"]
    second = (await client.get("/healthz")).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize(
    "incoming",
    [
        "has space",
        "x" * (MAX_REQUEST_ID_LENGTH + 1),
        "mã-số".encode(),
        '"quoted"',
        "-leading-dash",
    ],
)
async def test_unsafe_request_id_is_replaced(
    client: httpx.AsyncClient, incoming: str | bytes
) -> None:
    """A non-ASCII, over-long or oddly punctuated id is replaced by a generated one."""
    value = incoming if isinstance(incoming, bytes) else incoming.encode("ascii")
    response = await client.get("/healthz", headers={b"X-Request-ID": value})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


async def test_request_id_is_logged_with_the_access_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The request's access log line carries its request id, method, path and status."""
    await client.get("/api/v1/codes/G12", headers={"X-Request-ID": "corr-1"})
    lines = [
        record.msg
        for record in caplog.records
        if isinstance(record.msg, dict) and record.msg.get("event") == "request"
    ]
    assert lines[-1]["request_id"] == "corr-1"
    assert (lines[-1]["method"], lines[-1]["path"], lines[-1]["status"]) == (
        "GET",
        "/api/v1/codes/G12",
        200,
    )
