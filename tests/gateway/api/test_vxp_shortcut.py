"""The VXP shortcut: a VXP call is answered inside the request context, anything else by the app."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gateway.api.vxp.routes import vxp_path


def _scope(path: str, method: str = "POST", root_path: str = "") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": root_path}


@pytest.mark.parametrize(
    ("path", "method", "root_path", "expected"),
    [
        ("/vxp/sendEdoc", "POST", "", "sendEdoc"),
        ("/vxp//getReceivedEdocList", "GET", "", "/getReceivedEdocList"),
        ("/vxp", "PUT", "", ""),
        ("/vxp/", "HEAD", "", ""),
        ("/truc/vxp/countReceiveEdoc", "GET", "/truc", "countReceiveEdoc"),
        ("/vxpsendEdoc", "POST", "", None),
        ("/api/v1/vxp/sendEdoc", "POST", "", None),
        ("/vxp/sendEdoc", "DELETE", "", None),
        ("/vxp/sendEdoc", "PATCH", "", None),
    ],
)
def test_which_requests_take_the_shortcut(
    path: str, method: str, root_path: str, expected: str | None
) -> None:
    """Every method the VXP routes serve, under ``/vxp`` after the root path; nothing else."""
    assert vxp_path(_scope(path, method, root_path)) == expected


def test_websocket_and_lifespan_never_take_it() -> None:
    """Only HTTP requests are VXP calls."""
    assert vxp_path({"type": "lifespan"}) is None
    assert vxp_path({"type": "websocket", "path": "/vxp/sendEdoc"}) is None


async def test_a_vxp_call_keeps_its_request_id_and_metrics_label(
    client: httpx.AsyncClient,
) -> None:
    """The request-context middleware still wraps it: the id comes back, the call is timed
    under its action, and an unsigned call is the coded FAIL of the VXP API."""
    reply = await client.post("/vxp/countReceiveEdoc", headers={"X-Request-ID": "vxp-short-1"})
    assert reply.status_code == 200
    assert reply.headers["X-Request-ID"] == "vxp-short-1"
    body = reply.json()
    assert (body["status"], body["ErrorCode"]) == ("FAIL", "15")
    assert body["ErrorDesc"].startswith("AUTH_HEADER_MISSING")
    metrics = (await client.get("/metrics")).text
    assert 'route="/vxp/countReceiveEdoc"' in metrics


async def test_unknown_action_and_bare_prefix(client: httpx.AsyncClient) -> None:
    """``/vxp`` and ``/vxp/`` name no action: ACTION_UNKNOWN, as the routes answered."""
    for path in ("/vxp", "/vxp/"):
        body = (await client.get(path)).json()
        assert body["status"] == "FAIL"
        assert body["ErrorDesc"].startswith("ACTION_UNKNOWN")


async def test_other_methods_and_paths_reach_the_app(client: httpx.AsyncClient) -> None:
    """A method the routes refuse is the app's coded 405 with Allow; a look-alike path its 404."""
    refused = await client.delete("/vxp/sendEdoc")
    assert refused.status_code == 405
    assert refused.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in refused.headers["Allow"]
    missing = await client.post("/vxpsendEdoc")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"


async def test_behind_a_root_path(app: FastAPI) -> None:
    """Served under a proxy prefix, the VXP API answers at ``<prefix>/vxp``."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, root_path="/truc")
        async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as http:
            body = (await http.post("/truc/vxp/countReceiveEdoc")).json()
    assert (body["status"], body["ErrorCode"]) == ("FAIL", "15")
