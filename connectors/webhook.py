"""A signed JSON webhook: the node posts its alerts to an operator's URL (docs/console.md).

Each post carries the body's HMAC-SHA256 under the shared secret::

    X-Gateway-Signature: sha256=<hex HMAC-SHA256(secret, body)>
    X-Gateway-Timestamp: <Unix seconds when the request was sent>

A receiver recomputes the HMAC over the raw body bytes it received and compares in constant time
(:func:`verify`). The body itself holds the alert's time (``at``), so it is covered by the
signature; the timestamp header lets a receiver refuse stale deliveries.

Every request has a timeout. Transport errors, HTTP 5xx, 408 and 429 are retried with stamina's
exponential backoff and jitter, bounded in attempts and total time (design.md §3.7); then
:class:`WebhookUnavailable`. Any other answer outside 2xx is :class:`WebhookRefused` at once: the
receiver said no (a wrong secret, a wrong URL) and saying it again will not help.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from types import TracebackType

import httpx
import stamina

from connectors.vxp.retry import RetryPolicy

SIGNATURE_HEADER = "X-Gateway-Signature"
TIMESTAMP_HEADER = "X-Gateway-Timestamp"
#: Answers worth another try: the receiver is down or busy.
RETRIED_STATUSES = frozenset({408, 429})
#: The webhook's default: 4 tries within 30 s.
DEFAULT_RETRY = RetryPolicy(attempts=4, timeout=30.0, wait_initial=0.5, wait_max=5.0)


def sign(secret: bytes, body: bytes) -> str:
    """The signature header's value for ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` under ``secret`` (constant time)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header.strip())


class WebhookError(Exception):
    """A post that did not succeed; ``status`` is the last HTTP status, if any answered."""

    code = "WEBHOOK_ERROR"

    def __init__(self, message: str, *, status: int | None = None, attempts: int = 1) -> None:
        super().__init__(f"{self.code}: {message}")
        self.message = message
        self.status = status
        self.attempts = attempts


class WebhookRefused(WebhookError):
    """The receiver answered outside 2xx with a status that is not retried."""

    code = "WEBHOOK_REFUSED"


class WebhookUnavailable(WebhookError):
    """Every try failed at the transport level or with a retried status."""

    code = "WEBHOOK_UNAVAILABLE"


class _Retryable(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class WebhookClient:
    """Posts signed JSON bodies to one URL. Owns its ``httpx.AsyncClient`` unless given one."""

    def __init__(
        self,
        url: str,
        secret: str | bytes,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._timeout = httpx.Timeout(timeout)
        self._retry = retry
        self._clock = clock
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=self._timeout)

    async def __aenter__(self) -> WebhookClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_http:
            await self._http.aclose()

    def __repr__(self) -> str:
        return f"WebhookClient({httpx.URL(self.url).copy_with(query=None)!s})"

    def headers(self, body: bytes) -> dict[str, str]:
        """The headers of one post of ``body``, stamped now."""
        return {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(self._secret, body),
            TIMESTAMP_HEADER: str(int(self._clock())),
        }

    async def post(self, body: bytes) -> int:
        """Post ``body`` (JSON bytes), retrying as the module says; returns the 2xx status.

        Raises :class:`WebhookRefused` or :class:`WebhookUnavailable`.
        """
        attempts = 0
        try:
            async for attempt in stamina.retry_context(on=_Retryable, **self._retry.schedule()):
                with attempt:
                    attempts = attempt.num
                    return await self._once(body)
        except _Retryable as exhausted:
            raise WebhookUnavailable(
                f"{exhausted.reason} (after {attempts} attempt(s))",
                status=exhausted.status,
                attempts=attempts,
            ) from exhausted
        raise AssertionError("unreachable: stamina either returns or raises")  # pragma: no cover

    async def _once(self, body: bytes) -> int:
        try:
            response = await self._http.post(
                self.url, content=body, headers=self.headers(body), timeout=self._timeout
            )
        except httpx.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return status
        if status >= 500 or status in RETRIED_STATUSES:
            raise _Retryable(f"HTTP {status}", status)
        raise WebhookRefused(f"HTTP {status}", status=status)
