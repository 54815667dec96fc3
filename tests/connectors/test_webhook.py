"""The signed webhook: signature, retries on 5xx/transport, refusal on 4xx, a real server."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from connectors.vxp.retry import RetryPolicy
from connectors.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookClient,
    WebhookRefused,
    WebhookUnavailable,
    sign,
    verify,
)

SECRET = "s3cret-s3cret-s3cret-s3cret-s3cret"
BODY = '{"kind":"copy_failed","key":"d-1","subject":"bản sao"}'.encode()
FAST = RetryPolicy(attempts=3, timeout=5.0, wait_initial=0.01, wait_max=0.02, wait_jitter=0.01)


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> WebhookClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return WebhookClient("https://ops.example/hook", SECRET, http=http, retry=FAST, clock=lambda: 7)


def test_the_signature_is_the_hex_hmac_sha256_of_the_body() -> None:
    """``sha256=`` + hex HMAC; verify accepts it and refuses a changed body or no header."""
    expected = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET.encode(), BODY) == expected
    assert verify(SECRET.encode(), BODY, expected)
    assert not verify(SECRET.encode(), BODY + b" ", expected)
    assert not verify(b"other", BODY, expected)
    assert not verify(SECRET.encode(), BODY, None)


async def test_a_post_carries_the_body_signature_and_timestamp() -> None:
    """The body goes as it is, JSON, with both headers."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    async with _client(handler) as client:
        assert await client.post(BODY) == 204
    (request,) = seen
    assert request.content == BODY
    assert request.headers["content-type"].startswith("application/json")
    assert verify(SECRET.encode(), BODY, request.headers[SIGNATURE_HEADER])
    assert request.headers[TIMESTAMP_HEADER] == "7"


async def test_a_500_is_retried_then_the_post_succeeds() -> None:
    """Two 500s, then 200: three tries, one success."""
    statuses = [500, 503, 200]
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(statuses.pop(0))

    async with _client(handler) as client:
        assert await client.post(BODY) == 200
    assert calls == 3


async def test_transport_errors_exhaust_the_attempts() -> None:
    """A receiver that never answers is WEBHOOK_UNAVAILABLE after the bounded attempts."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    async with _client(handler) as client:
        with pytest.raises(WebhookUnavailable, match="WEBHOOK_UNAVAILABLE") as caught:
            await client.post(BODY)
    assert calls == 3
    assert caught.value.attempts == 3


async def test_a_4xx_is_refused_at_once_but_429_is_retried() -> None:
    """401 is not tried again; 429 is, like a 5xx."""
    statuses = [429, 401]
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(statuses.pop(0))

    async with _client(handler) as client:
        with pytest.raises(WebhookRefused) as caught:
            await client.post(BODY)
    assert calls == 2
    assert caught.value.status == 401


# ---------------------------------------------------------------- a real HTTP server


@dataclass
class _Server:
    """A tiny HTTP/1.1 server on a local socket answering the statuses of ``script`` in turn."""

    script: list[int]
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read one request (headers, Content-Length body) and answer the next status."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")[1:]
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines if x)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.received.append((headers, body))
        status = self.script.pop(0) if self.script else 200
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[_Server]:
    """A running :class:`_Server` that fails the first request with 500."""
    state = _Server([500])
    listening = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield state


async def test_a_real_server_gets_the_retry_and_can_verify_the_signature(server: _Server) -> None:
    """Over a real socket: a 500, then the same signed body again, accepted."""
    url = f"http://127.0.0.1:{server.port}/hook"
    async with WebhookClient(url, SECRET, timeout=5.0, retry=FAST) as client:
        assert await client.post(BODY) == 200
    assert len(server.received) == 2
    for headers, body in server.received:
        assert body == BODY
        assert verify(SECRET.encode(), body, headers[SIGNATURE_HEADER.lower()])
        assert int(headers[TIMESTAMP_HEADER.lower()]) > 0
