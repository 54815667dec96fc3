"""The forwarder: sends a package's upstream copies to the national node, as a VXP client.

Consumes ``forward`` messages (``{"document_id": ..., "delivery_ids": [...]}``), one per package
per link: the package goes up once, with ``to`` listing its remote recipients. The provincial
node is an ordinary client of the national node's VXP-compatible API (domain.md §1), signing like
the SDK (:class:`connectors.vxp.client.VxpClient`).

- The package leaves with this node's ``TraceHeader`` appended, stamped with the time the node
  accepted it, so a retried forward sends the same bytes and the national node's de-duplication
  (same bytes from the same system) answers the first DocId: a crash between the send and the
  record below costs a repeat, never a second document.
- The copies become ``forwarded`` with the DocId the national node answered (their history gets
  a ``forwarded`` event).
- A FAIL answer is permanent (the national node refused the package, a recipient or the sender):
  the copies become ``failed`` with its code and text, visible in the sender's trace and sent list.
  Transport errors and 5xx mean the national node is down: the copies stay ``queued`` (the node
  keeps accepting) and the puller, polling the national node, sends them again, urgent first, as
  soon as it answers (:meth:`gateway.workers.puller.Puller.resend`), however long it was down.
  Only a failure of this node's own store is retried with the bus's backoff and, exhausted,
  dead-lettered with the copies ``failed`` (``on_dead``).
"""

from __future__ import annotations

import contextlib

from connectors.bus import Message, Reject, Retry
from connectors.vxp.client import VxpClient
from connectors.vxp.errors import VxpFailure, VxpResponseError, VxpTransportError
from edxml import BuildError, EdxmlError, Limits, append_trace
from gateway.core import work
from gateway.core.clock import Clock
from gateway.core.delivery import Event, step
from gateway.core.errors import StoreUnavailable
from gateway.core.model import MessageType
from gateway.core.ports import Store
from gateway.logging import get_logger
from gateway.telemetry import LINK_FORWARD_POSTPONED, LINK_FORWARDED, UPSTREAM_LINK

log = get_logger(__name__)


def _work(message: Message) -> tuple[str, list[str]]:
    try:
        return work.parse_forward(message.body)
    except work.WorkInvalid as exc:
        raise Reject(str(exc)) from exc


class Forwarder:
    """Handles ``forward`` messages of a provincial node."""

    def __init__(
        self, store: Store, client: VxpClient, clock: Clock, *, node_id: str, limits: Limits
    ) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.node_id = node_id
        self.limits = limits
        self.unreachable = 0

    async def handle(self, message: Message) -> None:
        """Forward the named copies (see the module docstring)."""
        document_id, delivery_ids = _work(message)
        try:
            document = await self.store.get_document(document_id)
            if document is None:
                raise Reject(f"FORWARD_UNKNOWN_DOCUMENT: {document_id}")
            wanted = set(delivery_ids)
            copies = [
                c
                for c in await self.store.deliveries_of(document_id)
                if c.delivery_id in wanted and step(c.state, Event.FORWARD) is not None
            ]
            if not copies:
                return  # a redelivery: already forwarded (or failed)
            data = await self.store.load_package(document.sha256)
        except StoreUnavailable as exc:
            raise Retry(str(exc)) from exc
        if document.kind is MessageType.EDOC:
            # Stamped with the accept time: the same bytes on every retry (module docstring).
            with contextlib.suppress(BuildError, EdxmlError):
                data = append_trace(data, self.node_id, document.accepted_at, limits=self.limits)
        ids = [c.delivery_id for c in copies]
        try:
            upstream_id = await self.client.send_edoc(
                data,
                from_code=document.sender_code,
                to=[c.code for c in copies],
                messagetype=document.kind.value,
            )
        except VxpFailure as exc:
            if exc.http_status is not None and exc.http_status >= 500:
                self._unreachable(document_id, f"national node unavailable: {exc.error_desc}")
                return
            reason = f"the national node refused the package: {exc.error_desc or exc.message}"
            for delivery_id in ids:
                await self.store.fail_delivery(
                    delivery_id,
                    reason=reason[:1000],
                    code=exc.reason or f"UPSTREAM_ERRORCODE_{exc.error_code}",
                    actor="forwarder",
                    now=self.clock.now(),
                )
            log.warning("forward refused", document_id=document_id, error=exc.error_desc)
            return
        except (VxpTransportError, VxpResponseError) as exc:
            self._unreachable(document_id, f"national node unreachable: {exc}")
            return
        try:
            await self.store.mark_forwarded(ids, upstream_id, self.clock.now())
        except StoreUnavailable as exc:
            raise Retry(str(exc)) from exc  # the repeat is answered with the same DocId
        LINK_FORWARDED.labels(UPSTREAM_LINK).inc(len(ids))
        log.info(
            "forwarded upstream",
            document_id=document_id,
            upstream_doc_id=upstream_id,
            copies=len(ids),
            request_id=message.headers.get("x-request-id"),
        )

    def _unreachable(self, document_id: str, reason: str) -> None:
        """The national node did not answer: the copies stay ``queued``, and the puller sends
        them again, urgent first, once the national node answers (:meth:`Puller.resend`)."""
        self.unreachable += 1
        LINK_FORWARD_POSTPONED.labels(UPSTREAM_LINK).inc()
        log.warning("forward postponed: copies stay queued", document_id=document_id, reason=reason)

    async def on_dead(self, message: Message, reason: str) -> None:
        """A forward is given up: its queued copies become ``failed`` with the reason."""
        try:
            _, delivery_ids = _work(message)
        except Reject:
            log.error("poison forward message dead-lettered", reason=reason)
            return
        for delivery_id in delivery_ids:
            await self.store.fail_delivery(
                delivery_id,
                reason=reason,
                code="FORWARD_DEAD_LETTER",
                actor="forwarder",
                now=self.clock.now(),
            )
        log.error("forward dead-lettered", delivery_ids=delivery_ids, reason=reason)
