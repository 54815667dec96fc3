"""The readable timeline of one demo document, from every node it crossed.

Starting at the sender's node, the document is followed hop by hop: a copy forwarded upstream
names the national node's DocId (``upstream_doc_id``), and the national node's copy that a
provincial node took on names that node's DocId (recorded with its ``updateStatus done``). At
each node the timeline reads the node's own trace (:meth:`gateway.core.exchange.Exchange.trace`):
when it accepted the document, what happened to each copy (available, fetched, confirmed,
forwarded, reported back…), the receipt times with the legal receipt time (NĐ 64/2007 Art. 36:
out of office hours counts from the next working session), and the status notices recorded
against the copy, each with the time it was issued and the time this node saw it. The sender's
own view, ``getSentEdocList``, closes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.vxp.client import VxpClient
from connectors.vxp.errors import VxpError
from connectors.vxp.models import SentEdoc
from gateway.core.clock import VN_TZ
from gateway.core.errors import NotFound
from gateway.core.model import DeliveryEvent, DeliveryView, DocumentTrace, EventKind, MessageType
from gateway.demo.cluster import NATIONAL, Cluster, DemoSystem, RunningNode
from gateway.demo.mailbox import Arrival
from gateway.demo.packages import STATUS_NAMES, Letter


@dataclass
class Tracked:
    """One document of the demo and what its sender and receiver saw of it."""

    number: int
    label: str
    letter: Letter
    sender: DemoSystem
    receiver: DemoSystem
    doc_id: str | None = None  # the DocId the sender's node answered
    arrival: Arrival | None = None  # the receiver's confirmed copy
    issued: dict[str, datetime] = field(default_factory=dict)  # status code → issued at
    returned: dict[str, Arrival] = field(default_factory=dict)  # status code → at the sender


@dataclass(frozen=True, slots=True)
class NodeTrace:
    """The document as one node holds it."""

    node: RunningNode
    trace: DocumentTrace


def when(value: datetime | None) -> str:
    """An instant as ISO 8601 in Vietnam's zone (+07:00), to the millisecond."""
    if value is None:
        return "-"
    return value.astimezone(VN_TZ).isoformat(timespec="milliseconds")


def short(doc_id: str | None) -> str:
    """The first characters of an id, enough to tell ids apart in a timeline."""
    if not doc_id:
        return "-"
    return doc_id if len(doc_id) <= 12 else doc_id[:8] + "…"


#: What a linked package (``BussinessDocType``) did to the document.
BUSINESS = {1: "revoked", 2: "updated", 3: "replaced"}


def _tag(node: RunningNode) -> str:
    return node.spec.key


async def follow(cluster: Cluster, tracked: Tracked) -> list[NodeTrace]:
    """The document at every node it reached, in the order it travelled."""
    if tracked.doc_id is None:
        return []
    found: list[NodeTrace] = []
    queue: list[tuple[RunningNode, str]] = [(cluster.node(tracked.sender.node), tracked.doc_id)]
    if tracked.arrival is not None and tracked.receiver.node != tracked.sender.node:
        # The receiver's node by what the receiver pulled (even before the hop back is recorded).
        queue.append((cluster.node(tracked.receiver.node), tracked.arrival.local_doc_id))
    seen: set[tuple[str, str]] = set()
    while queue:
        node, doc_id = queue.pop(0)
        if (node.spec.key, doc_id) in seen or not doc_id:
            continue
        seen.add((node.spec.key, doc_id))
        try:
            trace = await node.runtime.exchange.trace(None, doc_id)
        except NotFound:
            continue
        found.append(NodeTrace(node, trace))
        for copy in trace.deliveries:
            after = _next_node(cluster, node, copy)
            if after is not None and copy.upstream_doc_id:
                # Before the receiver's own node: keep the travel order.
                queue.insert(0, (after, copy.upstream_doc_id))
    return found


def _next_node(cluster: Cluster, node: RunningNode, copy: DeliveryView) -> RunningNode | None:
    """Where a copy went on: upstream to the national node, or down to a provincial node."""
    if node.spec.key != NATIONAL:
        return cluster.node(NATIONAL) if copy.link == "upstream" else None
    for other in cluster.nodes.values():
        if other.spec.province is not None and copy.system_id == other.spec.link_id:
            return other
    return None


def _event_text(event: DeliveryEvent, names: dict[str, str]) -> str | None:
    detail = event.detail
    kind = event.kind
    if kind is EventKind.ACCEPTED or kind is EventKind.STATUS:
        return None  # the document line and the statuses section tell these
    if kind is EventKind.AVAILABLE:
        return f"available to {detail.get('system_id', '?')}"
    if kind is EventKind.FETCHED:
        return f"fetched by {event.actor} (getEdoc)"
    if kind is EventKind.CONFIRMED:
        return f"confirmed by {event.actor} (updateStatus done): received_at"
    if kind is EventKind.FORWARDED:
        if detail.get("upstream_doc_id"):
            return f"forwarded to the national node, DocId there {short(detail['upstream_doc_id'])}"
        return f"taken on by {event.actor}, DocId there {short(detail.get('next_doc_id'))}"
    if kind.value == "reported":  # the next node reported the copy's fate back (docs/axes.md)
        if detail.get("state") == "received":
            received = detail.get("received_at")
            at = when(datetime.fromisoformat(received)) if isinstance(received, str) else "?"
            return f"receipt reported back by {event.actor}: received_at {at}"
        return (
            f"failure reported back by {event.actor}: {detail.get('code')} {detail.get('reason')}"
        )
    if kind is EventKind.FAILED:
        return f"FAILED: {detail.get('code')}: {detail.get('reason')}"
    if kind is EventKind.LINKED:
        linked = str(detail.get("document_id") or "")
        business = detail.get("business_type")
        verb = BUSINESS.get(business, "linked") if isinstance(business, int) else "linked"
        by = names.get(linked, "a document")
        return f"{verb} by {by} (business type {business}, DocId here {short(linked)})"
    if kind is EventKind.REDIRECTED:
        return f"redirected (succession): {detail.get('redirects')}"
    if kind is EventKind.RECEIVER_FAILED:
        return f"receiver failed ({detail.get('reason')}), offered again later"
    if kind is EventKind.REMOVED:
        return "recipient removed by an update"
    return f"{kind.value} {detail}" if detail else kind.value


def _hops(
    tracked: Tracked, traces: list[NodeTrace], names: dict[str, str]
) -> list[tuple[datetime, str, str]]:
    hops: list[tuple[datetime, str, str]] = []
    if tracked.arrival is not None:
        arrival = tracked.arrival
        hops.append(
            (
                arrival.taken_at,
                tracked.receiver.system_id,
                f"has it: pulled, read and confirmed its copy {short(arrival.copy_id)}",
            )
        )
    for item in traces:
        doc = item.trace.document
        copies = ", ".join(
            c.code + (" (upstream)" if c.link == "upstream" else "") for c in item.trace.deliveries
        )
        hops.append(
            (
                doc.accepted_at,
                _tag(item.node),
                f"accepted from {doc.sender_system} as {doc.sender_code}, DocId "
                f"{short(doc.document_id)}; copies: {copies or '-'}",
            )
        )
        many = len(item.trace.deliveries) > 1
        for copy in item.trace.deliveries:
            for event in item.trace.events.get(copy.delivery_id, ()):
                text = _event_text(event, names)
                if text is not None:
                    prefix = f"[{copy.code}] " if many else ""
                    hops.append((event.at, _tag(item.node), prefix + text))
    hops.sort(key=lambda hop: hop[0])
    return hops


def _receipts(traces: list[NodeTrace]) -> list[str]:
    lines = []
    for item in traces:
        for copy in item.trace.deliveries:
            legal = copy.legal
            out_of_hours = {None: "?", True: "yes", False: "no"}[legal.received_out_of_hours]
            line = (
                f"{item.node.spec.name}, copy for {copy.code}: state {copy.state.value}, "
                f"sent_at {when(copy.created_at)}, received_at {when(copy.received_at)}, "
                f"legal_received_at {when(legal.legal_received_at)} "
                f"(out of hours: {out_of_hours})"
            )
            if legal.urgent_handover_minutes is not None:
                line += f", urgent handover {legal.urgent_handover_minutes} business min"
            lines.append(line)
    return lines


def _statuses(tracked: Tracked, traces: list[NodeTrace]) -> list[str]:
    seen: dict[str, list[tuple[str, datetime, datetime | None]]] = {}
    for item in traces:
        for notices in item.trace.statuses.values():
            for notice in notices:
                seen.setdefault(notice.code, []).append(
                    (item.node.spec.name, notice.recorded_at, notice.issued_at)
                )
    lines = []
    for code in sorted(set(seen) | set(tracked.issued)):
        views = sorted(seen.get(code, []), key=lambda v: v[1])
        issued = tracked.issued.get(code) or next((v[2] for v in views if v[2]), None)
        line = f"{code} {STATUS_NAMES.get(code, '')}: issued {when(issued)}"
        if views:
            line += "; seen by " + ", ".join(f"{name} at {when(at)}" for name, at, _ in views)
        returned = tracked.returned.get(code)
        if returned is not None:
            line += f"; taken by {tracked.sender.system_id} at {when(returned.taken_at)}"
        lines.append(line)
    return lines


def _sent_row(row: SentEdoc) -> str:
    extra = row.extra
    parts = [
        f"to {row.to_code}: state {extra.get('state', '?')}",
        f"sendStatus {row.send_status}",
        f"receiveStatus {row.receive_status}",
        f"sentTime {row.sent_time or '-'}",
        f"receivedTime {row.received_time or '-'}",
        f"legalReceivedTime {extra.get('legalReceivedTime', '-')}",
        f"receivedOutOfHours {_flag(extra.get('receivedOutOfHours'))}",
        f"statusCode {extra.get('statusCode', '-')} at {extra.get('statusTime', '-')}",
    ]
    return ", ".join(parts)


def _flag(value: Any) -> str:
    if value is None:
        return "-"
    return "true" if value else "false"


def _trace_headers(arrival: Arrival) -> str:
    return " -> ".join(f"{organ} {when(at)}" for organ, at in arrival.traces)


async def render(
    tracked: Tracked,
    traces: list[NodeTrace],
    names: dict[str, str],
    sender_client: VxpClient,
    out: Callable[[str], None],
) -> None:
    """Print the timeline of ``tracked``, whose ``traces`` :func:`follow` found; ``names`` tells
    which demo document a DocId (at any node) is."""
    letter = tracked.letter
    out("")
    out(f"== Document {tracked.number}: {tracked.label}")
    out(f"   {letter.notation} «{letter.subject}»")
    out(
        f"   from {letter.sender} ({tracked.sender.system_id}) to {letter.to} "
        f"({tracked.receiver.system_id}), priority {int(letter.priority)}"
    )
    out(f"   edXML DocumentId {letter.document_id}")
    if not traces:
        out("   (never accepted)")
        return
    origin = traces[0].trace.document
    out(f"   sent_at {when(origin.accepted_at)} (accepted by the {traces[0].node.spec.name})")
    out("   crossed:")
    for item in traces:
        out(f"     {item.node.spec.name:<20} DocId {item.trace.document.document_id}")
    out("   hops:")
    for at, tag, text in _hops(tracked, traces, names):
        out(f"     {when(at)}  {tag:<14}  {text}")
    if tracked.arrival is not None and tracked.arrival.traces:
        out(f"   TraceHeaderList as received: {_trace_headers(tracked.arrival)}")
    out("   receipt (each node's copy):")
    for line in _receipts(traces):
        out(f"     {line}")
    if origin.kind is MessageType.EDOC and not letter.revokes:
        statuses = _statuses(tracked, traces)
        out("   statuses:" if statuses else "   statuses: none")
        for line in statuses:
            out(f"     {line}")
    try:
        rows = await sender_client.get_sent_edoc_list(origin.document_id)
    except VxpError as error:
        out(f"   getSentEdocList ({tracked.sender.system_id}): failed: {error}")
        return
    out(f"   getSentEdocList ({tracked.sender.system_id} at the {traces[0].node.spec.name}):")
    for row in rows:
        out(f"     {_sent_row(row)}")


async def print_timelines(
    cluster: Cluster,
    documents: list[Tracked],
    sender_client: VxpClient,
    out: Callable[[str], None],
) -> None:
    """Follow every document through the nodes, then print each one's timeline."""
    found = [await follow(cluster, tracked) for tracked in documents]
    names = {
        item.trace.document.document_id: f"document {tracked.number}"
        for tracked, traces in zip(documents, found, strict=True)
        for item in traces
    }
    for tracked, traces in zip(documents, found, strict=True):
        await render(tracked, traces, names, sender_client, out)
