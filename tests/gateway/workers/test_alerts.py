"""The alert worker end to end: detected, logged, counted, posted once through the outbox and
the bus to a signed webhook; cleared, then able to fire again (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client import REGISTRY
from sqlalchemy import update
from structlog.testing import capture_logs

from connectors.bus import MemoryBus, Message, Reject, RetryPolicy
from connectors.vxp.retry import RetryPolicy as CallRetry
from connectors.webhook import SIGNATURE_HEADER, WebhookClient, verify
from edxml.trust import TrustStore, fingerprint
from gateway import telemetry
from gateway.core.alerts import AlertKind, AlertRules, LinkHealth
from gateway.core.clock import FrozenClock
from gateway.core.model import DeliveryState
from gateway.runtime import TOPICS
from gateway.store.repository import SqlStore
from gateway.store.tables import DeliveryRow
from gateway.workers.alerts import AlertPoster, AlertWorker
from gateway.workers.relay import OutboxRelay
from tests.gateway.store.conftest import NOW, accepted, open_store, plan

SECRET = "webhook-secret-webhook-secret-0123"
NODE = "000.00.00.H14"


@dataclass
class _Hook:
    """A webhook receiver behind an httpx MockTransport: records bodies, fails when told."""

    fail_next: int = 0
    bodies: list[bytes] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """500 while ``fail_next``; else record the verified body and answer 200."""
        if self.fail_next:
            self.fail_next -= 1
            return httpx.Response(500)
        assert verify(SECRET.encode(), request.content, request.headers[SIGNATURE_HEADER])
        self.bodies.append(request.content)
        self.arrived.set()
        return httpx.Response(200)

    async def next_body(self) -> dict[str, object]:
        """The next body posted (waits for the bus to deliver it)."""
        await asyncio.wait_for(self.arrived.wait(), 10)
        self.arrived.clear()
        body: dict[str, object] = json.loads(self.bodies[-1])
        return body


@dataclass
class _Node:
    """A store, a bus, the relay, the alert worker and the poster, with a frozen clock."""

    store: SqlStore
    clock: FrozenClock
    relay: OutboxRelay
    worker: AlertWorker
    hook: _Hook
    links: list[LinkHealth]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
async def node(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[_Node]:
    """A node whose alerts are posted to a :class:`_Hook`."""
    telemetry.reset()
    clock = FrozenClock(NOW)
    hook = _Hook()
    fast = CallRetry(attempts=2, timeout=5, wait_initial=0.01, wait_max=0.01, wait_jitter=0.01)
    http = httpx.AsyncClient(transport=httpx.MockTransport(hook.handler))
    links: list[LinkHealth] = []
    async with open_store(request.param, tmp_path) as store:
        bus = MemoryBus(topics=TOPICS, retry=RetryPolicy(delays=(0.01, 0.01)))
        await bus.start()
        poster = AlertPoster(
            WebhookClient("https://ops.example/hook", SECRET, http=http, retry=fast)
        )
        await bus.subscribe("alert", poster.handle, on_dead=poster.on_dead)
        relay = OutboxRelay(store, bus, clock)
        worker = AlertWorker(
            store,
            clock,
            node_id=NODE,
            rules=AlertRules(stuck_in_transit=timedelta(minutes=30)),
            interval=60,
            links=lambda: links,
            webhook=True,
        )
        try:
            yield _Node(store, clock, relay, worker, hook, links)
        finally:
            await bus.close()
            await http.aclose()
    telemetry.reset()


def _total(kind: AlertKind) -> float | None:
    return REGISTRY.get_sample_value("gateway_alerts_total", {"kind": kind.value})


def _open(kind: AlertKind) -> float | None:
    return REGISTRY.get_sample_value("gateway_alerts_open", {"kind": kind.value})


async def _state(store: SqlStore, delivery_id: str, state: DeliveryState) -> None:
    async with store.engine.begin() as connection:
        await connection.execute(
            update(DeliveryRow).where(DeliveryRow.delivery_id == delivery_id).values(state=state)
        )


async def test_a_failed_copy_alerts_once_then_again_after_it_cleared(node: _Node) -> None:
    """Failed → logged, counted, posted once (after a 500); not again; cleared; fires again."""
    await node.worker.round()  # the first round sets the watermark
    copy = (await accepted(node.store, plan())).recipients[0].delivery_id
    node.clock.advance(timedelta(minutes=1))
    await node.store.fail_delivery(
        copy, reason="dead-lettered", code="ROUTE_DEAD_LETTER", actor="router", now=node.clock.now()
    )
    node.clock.advance(timedelta(minutes=1))
    node.hook.fail_next = 1  # the receiver's first answer is a 500: the connector retries
    with capture_logs() as logs:
        opened = await node.worker.round()
    assert [(a.kind, a.key) for a in opened] == [(AlertKind.COPY_FAILED, copy)]
    (line,) = [entry for entry in logs if entry["event"] == "alert"]
    assert line["log_level"] == "warning"
    assert line["key"] == copy
    assert line["alert"] == "copy_failed"
    assert _total(AlertKind.COPY_FAILED) == 1
    assert _open(AlertKind.COPY_FAILED) == 1

    assert await node.relay.drain_once() == 1
    body = await node.hook.next_body()
    assert body["kind"] == "copy_failed"
    assert body["key"] == copy
    assert body["node"] == NODE
    assert str(body["at"]).endswith("+07:00")
    assert isinstance(body["details"], dict)
    assert body["details"]["failure_code"] == "ROUTE_DEAD_LETTER"

    node.clock.advance(timedelta(minutes=1))
    assert await node.worker.round() == []  # still failed: the alert stays open, silent
    assert await node.relay.drain_once() == 0
    assert len(node.hook.bodies) == 1
    assert _total(AlertKind.COPY_FAILED) == 1

    await _state(node.store, copy, DeliveryState.RECEIVED)  # a late done
    with capture_logs() as logs:
        assert await node.worker.round() == []
    assert [e["key"] for e in logs if e["event"] == "alert cleared"] == [copy]
    assert _open(AlertKind.COPY_FAILED) == 0

    await _state(node.store, copy, DeliveryState.AVAILABLE)  # replayed, and failing again
    node.clock.advance(timedelta(minutes=1))
    await node.store.fail_delivery(copy, reason="again", code="X", actor="t", now=node.clock.now())
    assert [a.key for a in await node.worker.round()] == [copy]
    assert await node.relay.drain_once() == 1
    assert (await node.hook.next_body())["key"] == copy
    assert len(node.hook.bodies) == 2
    assert _total(AlertKind.COPY_FAILED) == 2


async def test_stuck_copies_and_a_link_down_alert_and_clear(node: _Node) -> None:
    """A queued copy past 30 min and a link failing past the grace alert; both clear."""
    queued = await accepted(node.store, plan(recipients=(("000.00.01.H41", None),)))
    delivery_id = queued.recipients[0].delivery_id
    node.links.append(LinkHealth("upstream", False, NOW))
    assert await node.worker.round() == []  # 0 minutes: nothing yet
    node.clock.advance(timedelta(minutes=31))
    opened = await node.worker.round()
    assert {(a.kind, a.key) for a in opened} == {
        (AlertKind.COPY_STUCK, delivery_id),
        (AlertKind.UPSTREAM_DOWN, "upstream"),
    }
    assert await node.worker.round() == []
    assert _open(AlertKind.COPY_STUCK) == 1
    assert _open(AlertKind.UPSTREAM_DOWN) == 1

    node.links[0] = LinkHealth("upstream", True, node.clock.now(), node.clock.now())
    await _state(node.store, delivery_id, DeliveryState.REMOVED)
    with capture_logs() as logs:
        await node.worker.round()
    cleared = {(e["alert"], e["key"]) for e in logs if e["event"] == "alert cleared"}
    assert cleared == {("copy_stuck", delivery_id), ("upstream_down", "upstream")}
    assert _open(AlertKind.COPY_STUCK) == 0
    assert _open(AlertKind.UPSTREAM_DOWN) == 0
    assert await node.relay.drain_once() == 2


def _certificate(not_after: datetime) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA tỉnh Cao Bằng")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=365))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


async def test_a_trusted_certificate_expiring_within_60_days_alerts(node: _Node) -> None:
    """Of two trust-store certificates, the one expiring in 30 days alerts, by fingerprint."""
    soon, later = _certificate(NOW + timedelta(days=30)), _certificate(NOW + timedelta(days=400))
    worker = AlertWorker(
        node.store,
        node.clock,
        node_id=NODE,
        rules=AlertRules(),
        interval=60,
        trust=TrustStore.from_certificates([soon, later]),
        links=list,
    )
    (alert,) = await worker.round()
    assert alert.kind is AlertKind.CERTIFICATE_EXPIRING
    assert alert.key == fingerprint(soon)
    assert "CA tỉnh Cao Bằng" in alert.subject
    assert alert.details["days_left"] == 30
    assert await worker.round() == []
    assert await node.relay.drain_once() == 0  # this worker has no webhook: nothing queued


async def test_a_refused_post_is_dead_lettered_not_retried(node: _Node) -> None:
    """A 4xx from the receiver gives the message up at once, with a log line."""
    poster = AlertPoster(
        WebhookClient(
            "https://ops.example/hook",
            SECRET,
            http=httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(401))),
        )
    )
    body = json.dumps(
        {"kind": "copy_failed", "key": "k", "subject": "s", "details": {}, "at": "a", "node": "n"}
    ).encode()
    with pytest.raises(Reject, match="WEBHOOK_REFUSED"):
        await poster.handle(Message("alert", body, message_id="alert:x:1"))
    with capture_logs() as logs:
        await poster.on_dead(Message("alert", body, message_id="alert:x:1"), "WEBHOOK_REFUSED")
    assert [e["event"] for e in logs] == ["alert webhook given up"]


def test_the_puller_s_rounds_are_the_link_health_signal() -> None:
    """record_link_round keeps since when the link is up or down and its last success."""
    telemetry.reset()
    t0, t1, t2, t3 = (NOW + timedelta(seconds=5 * i) for i in range(4))
    telemetry.record_link_round("upstream", ok=True, at=t0)
    telemetry.record_link_round("upstream", ok=False, at=t1)
    telemetry.record_link_round("upstream", ok=False, at=t2)
    assert telemetry.link_health() == [LinkHealth("upstream", False, t1, t0)]
    telemetry.record_link_round("upstream", ok=True, at=t3)
    assert telemetry.link_health() == [LinkHealth("upstream", True, t3, t3)]
    telemetry.reset()
    assert telemetry.link_health() == []
