"""A provincial node forwards what lies outside its province to the national node (issue 4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from connectors.vxp.errors import VxpFailure
from gateway.app import create_app
from gateway.core.clock import SystemClock
from gateway.core.model import DeliveryState
from gateway.core.secrets import SecretBox
from gateway.core.systems import SystemAdmin
from gateway.settings import Settings
from tests.scenarios.exchange.conftest import Node, eventually, node_settings
from tests.scenarios.exchange.packages import document

#: Cao Bằng's node at the national node, and Lạng Sơn's.
CAO_BANG, LANG_SON = "node-h14", "node-h37"
SENDER, REMOTE, LOCAL = "000.00.00.H14", "000.00.01.H37", "000.00.91.H14"


Systems = list[tuple[str, str, tuple[str, ...]]]


async def sample(name: str, **labels: str) -> float:
    """One sample of this process's Prometheus registry (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def _start(
    settings: Settings, systems: Systems, upstream_http: httpx.AsyncClient | None = None
) -> AsyncIterator[Node]:
    app = create_app(settings, upstream_http=upstream_http)
    node = Node(app, settings)
    async with app.router.lifespan_context(app):
        runtime = node.runtime
        admin = SystemAdmin(
            runtime.store,
            SecretBox(settings.secret_key.get_secret_value()),
            runtime.registry,
            SystemClock(),
        )
        for system_id, secret, grants in systems:
            await admin.add(system_id, grants, secret=secret)
        yield node
        for client in node.clients:
            await client.aclose()
        for http in node.https:
            await http.aclose()


@pytest.fixture
async def national(tmp_path: Path) -> AsyncIterator[Node]:
    """A national node serving the Cao Bằng and Lạng Sơn nodes as ordinary systems."""
    settings = node_settings("embedded", tmp_path / "n", role="national", node_id="000.00.00.G22")
    systems = [(CAO_BANG, "secret-h14", ("H14",)), (LANG_SON, "secret-h37", ("H37",))]
    async for node in _start(settings, systems):
        yield node


@pytest.fixture
async def provincial(national: Node, tmp_path: Path) -> AsyncIterator[Node]:
    """Cao Bằng's node, linked to the national node through an in-process transport."""
    settings = node_settings(
        "embedded",
        tmp_path / "a",
        province_codes="H14",
        upstream_url="http://national.test/vxp",
        upstream_system_id=CAO_BANG,
        upstream_secret="secret-h14",
    )
    link = httpx.AsyncClient(transport=httpx.ASGITransport(app=national.app), timeout=30)
    systems = [(SENDER, "test-secret", ("H14",)), (LOCAL, "local-secret", (LOCAL,))]
    try:
        async for node in _start(settings, systems, upstream_http=link):
            yield node
    finally:
        await link.aclose()


async def test_outside_the_province_goes_upstream_inside_stays(
    provincial: Node, national: Node
) -> None:
    """One send: the local copy is routed locally, the remote one forwarded once upstream."""
    forwarded_before = await sample("gateway_link_copies_forwarded_total", link="upstream")
    sender = provincial.client(SENDER, "test-secret")
    data = document(SENDER, (LOCAL, REMOTE))
    doc_id = await sender.send_edoc(data, from_code=SENDER)

    local = provincial.client(LOCAL, "local-secret")
    assert len(await eventually(lambda: local.get_received_edoc_list("edoc"), bool)) == 1

    lang_son = national.client(LANG_SON, "secret-h37")
    items = await eventually(lambda: lang_son.get_received_edoc_list("edoc"), bool)
    assert [(i.from_code, i.to_code) for i in items] == [(SENDER, REMOTE)]
    fetched = await lang_son.get_edoc(items[0].doc_id)
    # The sender's trace, then Cao Bằng's node, then the national node: in order.
    traces = fetched.count(b"<edXML:TraceHeader>")
    assert traces == data.count(b"<edXML:TraceHeader>") + 2
    assert fetched.rindex(b"000.00.00.G22") > fetched.rindex(provincial.settings.node_id.encode())

    # The forwarder records the forward after the national node answered: the national copy can
    # be listed a moment before the provincial copy says `forwarded`.
    def recorded(trace: Any) -> bool:
        return any(c.state is DeliveryState.FORWARDED for c in trace.deliveries)

    trace = await eventually(lambda: provincial.runtime.exchange.trace(None, doc_id), recorded)
    by_code = {c.code: c for c in trace.deliveries}
    assert by_code[LOCAL].link is None
    forwarded = by_code[REMOTE]
    assert forwarded.link == "upstream"
    assert forwarded.state is DeliveryState.FORWARDED
    assert forwarded.upstream_doc_id is not None
    kinds = [e.kind.value for e in trace.events[forwarded.delivery_id]]
    assert kinds == ["accepted", "forwarded"]
    counted = await eventually(
        lambda: sample("gateway_link_copies_forwarded_total", link="upstream"),
        lambda n: n >= forwarded_before + 1,
    )
    assert counted == forwarded_before + 1  # the one remote copy, once


async def test_a_refusal_upstream_fails_the_copy_with_its_code(
    provincial: Node, national: Node
) -> None:
    """The national node refusing the sender makes the origin's copy failed, with the code."""
    await national.runtime.store.update_system(CAO_BANG, grants=["H41"])  # H14 no longer
    sender = provincial.client(SENDER, "test-secret")
    doc_id = await sender.send_edoc(document(SENDER, (REMOTE,)), from_code=SENDER)

    async def copy_state() -> DeliveryState:
        trace = await provincial.runtime.exchange.trace(None, doc_id)
        return trace.deliveries[0].state

    assert await eventually(copy_state, lambda s: s is DeliveryState.FAILED) is DeliveryState.FAILED
    trace = await provincial.runtime.exchange.trace(None, doc_id)
    (failed,) = [
        e for e in trace.events[trace.deliveries[0].delivery_id] if e.kind.value == "failed"
    ]
    assert failed.detail["code"] == "SENDER_NOT_GRANTED"


async def test_unknown_code_inside_the_province_is_refused_at_once(provincial: Node) -> None:
    """Only what lies outside the province is left to the national node to resolve."""
    sender = provincial.client(SENDER, "test-secret")
    with pytest.raises(VxpFailure) as caught:
        await sender.send_edoc(document(SENDER, ("000.00.77.H14",)), from_code=SENDER)
    assert caught.value.error_code == "18"
