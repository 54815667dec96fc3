"""Native API authentication: Authorization: Bearer <token>, coded 401s with a challenge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from gateway.core.systems import SystemAdmin
from tests.gateway.api.native_support import RECEIVER, SENDER, NativeNode, open_node

#: Every route of the native exchange API, with a body where one is needed.
ROUTES = (
    ("POST", "/api/v1/documents"),
    ("GET", "/api/v1/documents/some-id/trace"),
    ("GET", "/api/v1/inbox"),
    ("GET", "/api/v1/inbox/count"),
    ("GET", "/api/v1/inbox/some-id"),
    ("POST", "/api/v1/inbox/some-id/confirm"),
    ("GET", "/api/v1/sent"),
    ("GET", "/api/v1/deliveries"),
)


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NativeNode]:
    """A started node with three connected systems."""
    async with open_node(tmp_path) as started:
        yield started


def _error(response: httpx.Response) -> dict[str, str]:
    error = response.json()["error"]
    assert isinstance(error, dict)
    return error


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_needs_a_token(node: NativeNode, method: str, path: str) -> None:
    """Each exchange route answers 401 AUTH_TOKEN_MISSING with `WWW-Authenticate: Bearer`."""
    body = b"{}" if method == "POST" else None
    response = await node.client.request(method, path, content=body)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    error = _error(response)
    assert (error["code"], error["field"]) == ("AUTH_TOKEN_MISSING", "Authorization")


async def test_another_scheme_is_refused(node: NativeNode) -> None:
    """A Basic credential answers 401 AUTH_SCHEME."""
    response = await node.client.get("/api/v1/inbox", headers={"Authorization": "Basic eDp5"})
    assert response.status_code == 401
    assert _error(response)["code"] == "AUTH_SCHEME"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_unknown_token_is_refused(node: NativeNode) -> None:
    """A token no system holds answers 401 AUTH_TOKEN with an invalid_token challenge."""
    response = await node.client.get(
        "/api/v1/inbox", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401
    assert _error(response)["code"] == "AUTH_TOKEN"
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


async def test_overlong_token_is_refused_without_lookup(node: NativeNode) -> None:
    """A token of several kilobytes answers 401 AUTH_TOKEN."""
    headers = {"Authorization": "Bearer " + "t" * 5000}
    response = await node.client.get("/api/v1/inbox", headers=headers)
    assert response.status_code == 401
    assert _error(response)["code"] == "AUTH_TOKEN"


async def test_disabled_system_is_refused(node: NativeNode) -> None:
    """The token of a disabled system answers 401 AUTH_DISABLED."""
    runtime = node.runtime
    admin = SystemAdmin(runtime.store, runtime.exchange.secrets, runtime.registry, runtime.clock)
    await admin.set_enabled(RECEIVER, False)
    response = await node.get(RECEIVER, "/api/v1/inbox")
    assert response.status_code == 401
    assert _error(response)["code"] == "AUTH_DISABLED"


async def test_rotated_token_replaces_the_old_one(node: NativeNode) -> None:
    """After `systems rotate-token` the old token answers 401 and the new one works."""
    runtime = node.runtime
    admin = SystemAdmin(runtime.store, runtime.exchange.secrets, runtime.registry, runtime.clock)
    old = node.auth(SENDER)
    node.tokens[SENDER] = await admin.rotate_token(SENDER)
    assert (await node.client.get("/api/v1/inbox", headers=old)).status_code == 401
    assert (await node.get(SENDER, "/api/v1/inbox")).status_code == 200


async def test_valid_token_opens_the_api(node: NativeNode) -> None:
    """A registered system's token gets 200 and its (empty) inbox."""
    response = await node.get(SENDER, "/api/v1/inbox")
    assert response.status_code == 200
    assert response.json() == []


async def test_openapi_documents_the_bearer_scheme(node: NativeNode) -> None:
    """The OpenAPI document declares the bearer scheme on the exchange routes."""
    spec = (await node.client.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["SystemToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["SystemToken"]["description"],
    }
    assert spec["paths"]["/api/v1/inbox"]["get"]["security"] == [{"SystemToken": []}]
    send = spec["paths"]["/api/v1/documents"]["post"]
    assert send["security"] == [{"SystemToken": []}]
    assert set(send["requestBody"]["content"]) == {"application/xml", "application/octet-stream"}
    assert {"201", "200", "401", "413", "422"} <= set(send["responses"])
