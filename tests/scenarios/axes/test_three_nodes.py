"""A document and its statuses cross A → national → B → national → A (issue 4), on the embedded
default and on PostgreSQL + RabbitMQ (one schema and one vhost per node)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from edxml import VN_TZ, Priority
from edxml.model import BusinessDocType
from gateway.core.model import DeliveryState, DocumentTrace
from tests.scenarios.axes.nodes import (
    LOCAL,
    REMOTE,
    REMOTE2,
    SENDER,
    Axes,
    three_nodes,
)
from tests.scenarios.exchange.conftest import Node, eventually
from tests.scenarios.exchange.packages import document, edxml_id, status


async def sample(name: str, **labels: str) -> float:
    """One sample of this process's Prometheus registry (0 when absent)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


SECRETS = {
    SENDER: "secret-sender",
    LOCAL: "secret-local",
    REMOTE: "secret-remote",
    REMOTE2: "secret-remote2",
}


@pytest.fixture(params=["embedded", "services"])
async def axes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Axes]:
    async with three_nodes(str(request.param), tmp_path) as started:
        yield started


async def _trace(node: Node, document_id: str) -> DocumentTrace:
    return await node.runtime.exchange.trace(None, document_id)


async def _copy_state(node: Node, document_id: str, code: str) -> DeliveryState:
    trace = await _trace(node, document_id)
    return next(c.state for c in trace.deliveries if c.code == code)


async def test_document_and_statuses_cross_provinces_and_come_back(axes: Axes) -> None:
    """H14 → national → H37: delivered with every trace entry; the confirmation and the
    statuses 01 → 03 → 06 come back to the sender with their times."""
    reports = {"link": "upstream", "state": "received"}
    reported_before = await sample("gateway_link_reports_sent_total", **reports)
    sender = axes.cao_bang.client(SENDER, SECRETS[SENDER])
    data = document(SENDER, (REMOTE,))
    doc_id = await sender.send_edoc(data, from_code=SENDER)

    receiver = axes.lang_son.client(REMOTE, SECRETS[REMOTE])
    items = await eventually(lambda: receiver.get_received_edoc_list("edoc"), bool)
    assert [(i.from_code, i.to_code) for i in items] == [(SENDER, REMOTE)]
    fetched = await receiver.get_edoc(items[0].doc_id)
    # The sender's entry, then Cao Bằng's node, the national node and Lạng Sơn's, in order.
    assert fetched.count(b"<edXML:TraceHeader>") == data.count(b"<edXML:TraceHeader>") + 3
    positions = [
        fetched.rindex(node_id.encode())
        for node_id in ("000.00.00.H14", "000.00.00.G22", "000.00.00.H37")
    ]
    assert positions == sorted(positions)
    await receiver.update_status(items[0].doc_id, "done")
    destination = await _trace(
        axes.lang_son, (await axes.lang_son.runtime.store.get_delivery(items[0].doc_id)).document_id
    )  # type: ignore[union-attr]
    received_at = destination.deliveries[0].received_at
    assert received_at is not None

    # Lạng Sơn's node reported the receipt over its link (the metric counts it).
    await eventually(
        lambda: sample("gateway_link_reports_sent_total", **reports),
        lambda n: n >= reported_before + 1,
    )
    # The confirmation reaches the origin as the copy's received_at.
    await eventually(
        lambda: _copy_state(axes.cao_bang, doc_id, REMOTE), lambda s: s is DeliveryState.RECEIVED
    )
    origin = (await _trace(axes.cao_bang, doc_id)).deliveries[0]
    assert origin.received_at == received_at
    assert origin.legal.legal_received_at is not None
    rows = await sender.get_sent_edoc_list(doc_id)
    assert rows[0].received_time is not None
    assert rows[0].receive_status == "done"

    # Statuses 01 → 03 → 06 from Lạng Sơn reach the sender in Cao Bằng.
    target = edxml_id(data)
    for minute, code in enumerate(("01", "03", "06")):
        issued = datetime(2026, 11, 20, 10, minute, 5, tzinfo=VN_TZ)
        await receiver.send_edoc(
            status(code, reporter=REMOTE, sender=SENDER, document_id=target, timestamp=issued),
            from_code=REMOTE,
            messagetype="status",
        )
    notices = await eventually(
        lambda: sender.get_received_edoc_list("status"), lambda items: len(items) == 3
    )
    assert {n.from_code for n in notices} == {REMOTE}
    trace = await eventually(
        lambda: _trace(axes.cao_bang, doc_id),
        lambda t: t.deliveries[0].status_code == "06",
    )
    statuses = trace.statuses[trace.deliveries[0].delivery_id]
    assert [s.code for s in statuses] == ["01", "03", "06"]
    assert all(s.issued_at is not None and s.recorded_at is not None for s in statuses)
    # The sender's getSentEdocList lists them too, with the time issued and the time seen.
    (row,) = await sender.get_sent_edoc_list(doc_id)
    listed = row.extra["statuses"]
    assert isinstance(listed, list)
    assert [n["statusCode"] for n in listed] == ["01", "03", "06"]
    assert all(n["issuedTime"] and n["recordedTime"] for n in listed)
    # The national node saw them on the way, and recorded when.
    upstream_id = trace.deliveries[0].upstream_doc_id
    assert upstream_id is not None
    there = await _trace(axes.national, upstream_id)
    seen = there.statuses[there.deliveries[0].delivery_id]
    assert [s.code for s in seen] == ["01", "03", "06"]
    assert all(a.recorded_at <= b.recorded_at for a, b in zip(seen, statuses, strict=True))


async def test_one_document_to_two_remote_recipients_is_one_document_there(axes: Axes) -> None:
    """Two upstream items of the same package are one document at the destination, with two
    copies; inside the province the copy stays local."""
    sender = axes.cao_bang.client(SENDER, SECRETS[SENDER])
    doc_id = await sender.send_edoc(document(SENDER, (REMOTE, REMOTE2, LOCAL)), from_code=SENDER)
    first = axes.lang_son.client(REMOTE, SECRETS[REMOTE])
    second = axes.lang_son.client(REMOTE2, SECRETS[REMOTE2])
    (a,) = await eventually(lambda: first.get_received_edoc_list("edoc"), bool)
    (b,) = await eventually(lambda: second.get_received_edoc_list("edoc"), bool)
    copy_a = await axes.lang_son.runtime.store.get_delivery(a.doc_id)
    copy_b = await axes.lang_son.runtime.store.get_delivery(b.doc_id)
    assert copy_a is not None
    assert copy_b is not None
    assert copy_a.document_id == copy_b.document_id
    local = axes.cao_bang.client(LOCAL, SECRETS[LOCAL])
    assert len(await eventually(lambda: local.get_received_edoc_list("edoc"), bool)) == 1
    trace = await _trace(axes.cao_bang, doc_id)
    assert {c.code: c.link for c in trace.deliveries} == {
        REMOTE: "upstream",
        REMOTE2: "upstream",
        LOCAL: None,
    }


async def test_revoke_crosses_and_fans_out_at_the_destination(axes: Axes) -> None:
    """A revoke of a document sent to two Lạng Sơn agencies reaches both of them."""
    sender = axes.cao_bang.client(SENDER, SECRETS[SENDER])
    original = document(SENDER, (REMOTE, REMOTE2))
    await sender.send_edoc(original, from_code=SENDER)
    receivers = [axes.lang_son.client(code, SECRETS[code]) for code in (REMOTE, REMOTE2)]
    for receiver in receivers:
        (item,) = await eventually(lambda r=receiver: r.get_received_edoc_list("edoc"), bool)
        await receiver.update_status(item.doc_id, "done")
    revoke = document(
        SENDER,
        (REMOTE, REMOTE2),
        business=BusinessDocType.REVOKE,
        target=edxml_id(original),
        priority=Priority.KHAN,
    )
    await sender.send_edoc(revoke, from_code=SENDER)
    for receiver in receivers:
        (item,) = await eventually(lambda r=receiver: r.get_received_edoc_list("edoc"), bool)
        copy = await axes.lang_son.runtime.store.get_delivery(item.doc_id)
        assert copy is not None
        doc = await axes.lang_son.runtime.store.get_document(copy.document_id)
        assert doc is not None
        assert doc.business_type == 1
        assert doc.related_document_id is not None  # linked to the original there


async def test_unknown_recipient_at_the_destination_fails_at_the_origin(axes: Axes) -> None:
    """Lạng Sơn's node refuses an agency it does not know: the national node's copy fails with
    that code, and the origin shows the failure."""
    sender = axes.cao_bang.client(SENDER, SECRETS[SENDER])
    doc_id = await sender.send_edoc(document(SENDER, ("000.00.77.H37",)), from_code=SENDER)
    await eventually(
        lambda: _copy_state(axes.cao_bang, doc_id, "000.00.77.H37"),
        lambda s: s is DeliveryState.FAILED,
    )
    trace = await _trace(axes.cao_bang, doc_id)
    copy = trace.deliveries[0]
    assert copy.last_error is not None
    assert "RECIPIENT_UNKNOWN" in copy.last_error
    reported = [e for e in trace.events[copy.delivery_id] if e.kind.value == "reported"]
    assert reported[-1].detail["code"] == "RECIPIENT_UNKNOWN"
