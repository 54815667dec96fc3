"""Fixtures of the VXP tests: spec constants, a recording mock transport and a client factory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.vxp.client import VxpClient
from connectors.vxp.retry import RetryPolicy
from tests.conftest import SDK_SAMPLES

ENDPOINT = "http://node.test:8080/vxp"
SYSTEM_ID = "000.00.00.H14"
SECRET = "test-secret"  # the spec's dummy credential
SPEC_TIMESTAMP = "22112026T001330+0115"  # spec §4.2 getAgenciesList capture
SAMPLE = SDK_SAMPLES / "edoc.edxml"
FAST_RETRY = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.0, wait_jitter=0.0)

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def ok(**extra: Any) -> httpx.Response:
    """A 200 success envelope with extra members."""
    return httpx.Response(
        200, json={"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", **extra}
    )


def fail(
    code: str = "24", desc: str = "DOC_UNKNOWN: no such docId", status: int = 200
) -> httpx.Response:
    """A FAIL envelope, as the node answers it (spec §6)."""
    body = {"status": "FAIL", "ErrorCode": code, "ErrorDesc": desc, "DocId": ""}
    return httpx.Response(status, json=body)


@dataclass
class Recorder:
    """A MockTransport handler: records requests, plays replies in order (the last repeats)."""

    replies: Sequence[Reply]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)

    @property
    def last(self) -> httpx.Request:
        """The most recent request."""
        return self.requests[-1]


def signed(request: httpx.Request) -> dict[str, str]:
    """The sign-header JSON of a request as an ordered dict."""
    return dict(json.loads(request.headers["XroadVnpt-sign-header"]))


def sign_keys(request: httpx.Request) -> str:
    """The XroadVnpt-sign-header-key value of a request."""
    return request.headers["XroadVnpt-sign-header-key"]


MakeClient = Callable[..., tuple[VxpClient, Recorder]]


@pytest.fixture
def sample() -> bytes:
    """The SDK's sample edoc.edxml (8363 bytes, spec §4.3)."""
    return Path(SAMPLE).read_bytes()


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Build a VxpClient on a recording MockTransport; closes every HTTP client afterwards."""
    opened: list[httpx.AsyncClient] = []

    def make(*replies: Reply, **options: Any) -> tuple[VxpClient, Recorder]:
        recorder = Recorder(replies or (ok(),))
        http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
        opened.append(http)
        options.setdefault("timestamp", SPEC_TIMESTAMP)
        options.setdefault("retry", FAST_RETRY)
        endpoint = options.pop("endpoint", ENDPOINT)
        return VxpClient(endpoint, SYSTEM_ID, SECRET, http=http, **options), recorder

    yield make
    for http in opened:
        await http.aclose()
