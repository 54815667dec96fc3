"""GET /api/v1/node: identity, role, version and +07:00 timestamps."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from gateway import package_version


async def test_node_reports_id_role_and_version(client: httpx.AsyncClient) -> None:
    """The node answers its configured id and role and the installed version."""
    body = (await client.get("/api/v1/node")).json()
    assert body["node_id"] == "000.00.00.H14"
    assert body["role"] == "provincial"
    assert body["version"] == package_version()


async def test_node_timestamps_are_in_vietnam_time(client: httpx.AsyncClient) -> None:
    """started_at and time are ISO 8601 with the +07:00 offset."""
    body = (await client.get("/api/v1/node")).json()
    for name in ("started_at", "time"):
        assert body[name].endswith("+07:00")
        assert datetime.fromisoformat(body[name]).utcoffset() == timedelta(hours=7)
    assert body["started_at"] <= body["time"]
