"""The signed webhook: signature, retries on 5xx/transport, refusal on 4xx, a real server."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable

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
from tests.connectors.webhook_server import WebhookServer, serving

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


@pytest.fixture
async def server() -> AsyncIterator[WebhookServer]:
    """A running :class:`WebhookServer` that fails the first request with 500."""
    async with serving([500]) as running:
        yield running


async def test_a_real_server_gets_the_retry_and_can_verify_the_signature(
    server: WebhookServer,
) -> None:
    """Over a real socket: a 500, then the same signed body again, accepted."""
    async with WebhookClient(server.url, SECRET, timeout=5.0, retry=FAST) as client:
        assert await client.post(BODY) == 200
    assert len(server.received) == 2
    assert server.accepted == [BODY]
    for headers, body in server.received:
        assert body == BODY
        assert verify(SECRET.encode(), body, headers[SIGNATURE_HEADER.lower()])
        assert int(headers[TIMESTAMP_HEADER.lower()]) > 0
