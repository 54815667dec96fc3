"""The native API refuses query parameters a route does not take (gateway/api/query.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.api import API_PREFIX
from gateway.api.query import UNKNOWN_PARAMETER
from tests.gateway.api.native_support import SENDER, NativeNode, edoc, open_node


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NativeNode]:
    """A started node with three connected systems."""
    async with open_node(tmp_path) as started:
        yield started


def _v1_routes(node: NativeNode) -> list[tuple[str, str]]:
    """Every (method, path) of /api/v1 in the OpenAPI document, path parameters filled with a
    placeholder."""
    found = []
    for path, operations in node.app.openapi()["paths"].items():
        if path.startswith(API_PREFIX):
            filled = re.sub(r"\{[^}]+\}", "x", path)
            found.extend((method.upper(), filled) for method in operations)
    return found


async def test_every_v1_route_refuses_an_unknown_parameter(node: NativeNode) -> None:
    """Each /api/v1 route answers 422 REQUEST_UNKNOWN_PARAMETER naming the parameter, even
    unauthenticated (like an unknown route's 404)."""
    routes = _v1_routes(node)
    assert ("GET", "/api/v1/deliveries") in routes
    assert ("GET", "/api/v1/calendar/legal-time") in routes
    for method, path in routes:
        response = await node.client.request(method, path, params={"zz_unknown": "1"})
        assert response.status_code == 422, (method, path, response.text)
        error = response.json()["error"]
        assert (error["code"], error["field"]) == (UNKNOWN_PARAMETER, "zz_unknown"), path
        assert error["request_id"]


async def test_a_misspelt_filter_is_refused_not_ignored(node: NativeNode) -> None:
    """`/deliveries?status=failed` (for `state`) is refused, and the message lists what the
    route takes."""
    response = await node.get(SENDER, "/api/v1/deliveries", status="failed")
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (UNKNOWN_PARAMETER, "status")
    assert "state" in error["message"]
    assert "limit" in error["message"]


async def test_several_unknown_parameters_name_the_first(node: NativeNode) -> None:
    """With two unknown parameters the field is the first one, the message names both."""
    response = await node.get(SENDER, "/api/v1/inbox", page="2", sort="asc")
    error = response.json()["error"]
    assert error["field"] == "page"
    assert "'sort'" in error["message"]


async def test_declared_parameters_and_aliases_pass(node: NativeNode) -> None:
    """Declared parameters, an alias (`from`) and a repeated one (`to`) are accepted."""
    sent = await node.send(
        SENDER,
        edoc(),
        params={"from": "002.00.20.H13", "to": ["000.00.15.H51", "000.00.15.H51"]},
    )
    assert sent.status_code == 201, sent.text
    listed = await node.get(SENDER, "/api/v1/sent", kind="edoc", limit=5)
    assert listed.status_code == 200, listed.text
    legal = await node.client.get("/api/v1/calendar/legal-time", params={"at": "2026-03-02T09:00"})
    assert legal.status_code == 200, legal.text


async def test_routes_outside_v1_are_not_checked(node: NativeNode) -> None:
    """The probes and the VXP API keep ignoring query strings (the SDK's wire is fixed)."""
    assert (await node.client.get("/healthz", params={"zz_unknown": "1"})).status_code == 200
