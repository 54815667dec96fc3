"""A started node for the native API tests: three connected systems with bearer tokens.

The node runs on the embedded default (SQLite, in-process bus) **without** its workers: a test
routes the committed copies itself with :meth:`NativeNode.route`, which runs the real router on
every pending outbox row. Routing is then a step of the test, never something to wait for.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from gateway.app import create_app
from gateway.core.systems import SystemAdmin
from gateway.core.work import Topic
from gateway.runtime import Runtime
from gateway.settings import get_settings
from gateway.workers.relay import to_message
from gateway.workers.router import Router
from tests.conftest import SDK_SAMPLES, seeded

#: The sender of the SDK sample document (From 002.00.20.H13).
SENDER = "000.00.00.H14"
#: The system serving the sample's recipient (To 000.00.15.H51).
RECEIVER = "000.00.00.H41"
#: A system that takes no part in the sample exchange.
OUTSIDER = "sys-g12"
SYSTEMS = {
    SENDER: ("000.00.00.H14", "002.00.20.H13"),
    RECEIVER: ("000.00.00.H41", "000.00.15.H51"),
    OUTSIDER: ("000.00.00.G12",),
}
#: The edXML DocumentId of the SDK sample document.
SAMPLE_ID = "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"


def edoc(document_id: str | None = None) -> bytes:
    """The SDK sample document, optionally with another edXML DocumentId (a distinct send)."""
    data = (SDK_SAMPLES / "edoc.edxml").read_bytes()
    if document_id is None:
        return data
    return data.replace(SAMPLE_ID.encode(), document_id.encode())


def status(code: str = "03", document_id: str = SAMPLE_ID) -> bytes:
    """A status package from the sample's recipient about the sample document."""
    data = (SDK_SAMPLES / "status.edxml").read_bytes().decode("utf-8")
    data = data.replace(
        "<edXML:OrganId>000.00.00.H41</edXML:OrganId>",
        "<edXML:OrganId>000.00.15.H51</edXML:OrganId>",
    )
    data = data.replace(
        "<edXML:OrganId>000.00.00.G22</edXML:OrganId>",
        "<edXML:OrganId>002.00.20.H13</edXML:OrganId>",
    )
    data = data.replace("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT", document_id)
    data = data.replace(
        "<edXML:StatusCode>01</edXML:StatusCode>", f"<edXML:StatusCode>{code}</edXML:StatusCode>"
    )
    return data.encode("utf-8")


@dataclass
class NativeNode:
    """A started node, an HTTP client on it and the bearer token of each system."""

    app: FastAPI
    client: httpx.AsyncClient
    tokens: dict[str, str]

    @property
    def runtime(self) -> Runtime:
        """The node's open resources."""
        runtime = self.app.state.runtime
        assert isinstance(runtime, Runtime)
        return runtime

    def auth(self, system_id: str) -> dict[str, str]:
        """The Authorization header of ``system_id``."""
        return {"Authorization": f"Bearer {self.tokens[system_id]}"}

    async def send(
        self,
        system_id: str,
        data: bytes,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """``POST /api/v1/documents`` as ``system_id``."""
        sent = {"Content-Type": "application/xml", **self.auth(system_id), **(headers or {})}
        return await self.client.post(
            "/api/v1/documents", content=data, params=params, headers=sent
        )

    async def get(self, system_id: str, path: str, **params: Any) -> httpx.Response:
        """``GET path`` as ``system_id``."""
        return await self.client.get(path, params=params, headers=self.auth(system_id))

    async def confirm(
        self, system_id: str, delivery_id: str, status: str, reason: str | None = None
    ) -> httpx.Response:
        """``POST /api/v1/inbox/{delivery_id}/confirm`` as ``system_id``."""
        body: dict[str, Any] = {"status": status}
        if reason is not None:
            body["reason"] = reason
        return await self.client.post(
            f"/api/v1/inbox/{delivery_id}/confirm", json=body, headers=self.auth(system_id)
        )

    async def route(self) -> int:
        """Run the router on every pending ``route`` outbox row (the relay's job; the other
        work is marked published unread); returns how many were routed."""
        runtime = self.runtime
        router = Router(runtime.store, runtime.registry, runtime.clock)
        items = await runtime.store.claim_outbox(1000, runtime.clock.now())
        routed = [item for item in items if item.topic == Topic.ROUTE]
        for item in routed:
            await router.handle(to_message(item))
        await runtime.store.mark_published([i.outbox_id for i in items], runtime.clock.now())
        return len(routed)

    async def send_routed(self) -> tuple[str, str]:
        """The sample sent by SENDER and routed: (document id, RECEIVER's delivery id)."""
        response = await self.send(SENDER, edoc())
        assert response.status_code == 201, response.text
        await self.route()
        inbox = (await self.get(RECEIVER, "/api/v1/inbox")).json()
        assert len(inbox) == 1, inbox
        return response.json()["document_id"], inbox[0]["delivery_id"]


@asynccontextmanager
async def open_node(tmp_path: Path, **overrides: Any) -> AsyncIterator[NativeNode]:
    """A node on ``tmp_path`` with the three systems of :data:`SYSTEMS` registered."""
    settings = seeded(
        get_settings(
            data_dir=tmp_path / f"node-{uuid.uuid4().hex[:8]}",
            secret_key="x" * 40,
            run_workers=False,
            log_level="WARNING",
            **overrides,
        )
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        assert isinstance(runtime, Runtime)
        admin = SystemAdmin(
            runtime.store, runtime.exchange.secrets, runtime.registry, runtime.clock
        )
        tokens = {}
        for system_id, grants in SYSTEMS.items():
            tokens[system_id] = (await admin.add(system_id, grants)).token
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as client:
            yield NativeNode(app, client, tokens)
