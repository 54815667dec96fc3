"""The router: makes each accepted copy available to the system that serves its recipient.

Consumes ``route`` messages (``{"delivery_id": ...}``). Idempotent: a copy that already left the
``queued`` state is acknowledged without change, so a redelivered message never adds a second
pull-list item. A database failure is transient (retried with the bus's backoff); a message that
names no copy is poison (dead-lettered at once). When retries are exhausted or no enabled system
serves the recipient, the copy becomes ``failed`` with the reason (the operators' replay works on
that set).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

from connectors.bus import Bus, Message, Reject, Retry
from gateway.core.accept import FORWARD_TOPIC, ROUTE_TOPIC, UPSTREAM
from gateway.core.clock import Clock
from gateway.core.errors import StoreUnavailable
from gateway.core.model import REPORT_TOPIC, DeliveryState, DeliveryView
from gateway.core.ports import Store
from gateway.core.routing import Routes
from gateway.logging import get_logger
from identifiers import Registry

log = get_logger(__name__)


def _delivery_id(message: Message) -> str:
    try:
        body = json.loads(message.body)
        delivery_id = body["delivery_id"]
    except (ValueError, KeyError, TypeError) as exc:
        raise Reject(f"ROUTE_MESSAGE_INVALID: {type(exc).__name__}") from exc
    if not isinstance(delivery_id, str) or not delivery_id:
        raise Reject("ROUTE_MESSAGE_INVALID: delivery_id")
    return delivery_id


class Router:
    """Handles ``route`` messages."""

    def __init__(self, store: Store, registry: Registry, clock: Clock) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.routes = Routes(registry, store)

    async def handle(self, message: Message) -> None:
        """Make the named copy available (see the module docstring)."""
        delivery_id = _delivery_id(message)
        request_id = message.headers.get("x-request-id")
        try:
            # The usual case in one statement: the copy is queued and its system was chosen at
            # accept time.
            if await self.store.make_available(delivery_id, self.clock.now()):
                log.info("copy available", delivery_id=delivery_id, request_id=request_id)
                return
            copy = await self.store.get_delivery(delivery_id)
            if copy is None:
                raise Reject(f"ROUTE_UNKNOWN_DELIVERY: {delivery_id}")
            if copy.state is not DeliveryState.QUEUED or copy.link is not None:
                return  # a redelivery (already routed), or the forwarder's copy
            # No system served the recipient at accept time; grants may have changed since.
            system_id = copy.system_id or (await self.routes.table()).owner(copy.code)
            now = self.clock.now()
            if system_id is None:
                await self.store.fail_delivery(
                    delivery_id,
                    reason=f"no connected system serves {copy.code}",
                    code="ROUTE_NO_SYSTEM",
                    actor="router",
                    now=now,
                )
                log.warning(
                    "no system serves the recipient", delivery_id=delivery_id, code=copy.code
                )
                return
            if await self.store.make_available(delivery_id, now, system_id):
                log.info(
                    "copy available",
                    delivery_id=delivery_id,
                    system_id=system_id,
                    request_id=request_id,
                )
        except StoreUnavailable as exc:
            raise Retry(str(exc)) from exc

    async def on_dead(self, message: Message, reason: str) -> None:
        """A route message is given up: the copy becomes ``failed`` with the reason."""
        try:
            delivery_id = _delivery_id(message)
        except Reject:
            log.error("poison route message dead-lettered", reason=reason)
            return
        await self.store.fail_delivery(
            delivery_id,
            reason=reason,
            code="ROUTE_DEAD_LETTER",
            actor="router",
            now=self.clock.now(),
        )
        log.error("route dead-lettered", delivery_id=delivery_id, reason=reason)


def forward_messages(copies: Sequence[DeliveryView], tag: str) -> list[Message]:
    """One ``forward`` message per document for its ``queued`` upstream copies among
    ``copies``, in their order (:meth:`Store.queued_deliveries` gives urgent first, then oldest).
    """
    upstream: dict[str, list[DeliveryView]] = {}
    for copy in copies:
        if copy.link == UPSTREAM:
            upstream.setdefault(copy.document_id, []).append(copy)
    return [
        Message(
            topic=FORWARD_TOPIC,
            body=json.dumps(
                {"document_id": document_id, "delivery_ids": [c.delivery_id for c in group]}
            ).encode(),
            message_id=f"{FORWARD_TOPIC}:{document_id}:{tag}",
            priority=min(max(group[0].priority, 0), 9),
        )
        for document_id, group in upstream.items()
    ]


async def sweep(
    store: Store, bus: Bus, clock: Clock, *, older_than: timedelta, forwarding: bool = False
) -> int:
    """Publish the work again for every copy still ``queued`` after ``older_than``: a ``route``
    message per local copy and, with ``forwarding``, one ``forward`` message per document for
    its upstream copies and a ``report`` message per pulled copy whose final state the upstream
    node has not acknowledged.

    The outbox guarantees publication; this covers messages lost after publication by a
    non-durable bus (the in-process one) when the node stopped. Duplicates are harmless.
    """
    stuck = await store.queued_deliveries(clock.now() - older_than, limit=10_000)
    messages = [
        Message(
            topic=ROUTE_TOPIC,
            body=json.dumps({"delivery_id": c.delivery_id}).encode(),
            message_id=f"{ROUTE_TOPIC}:{c.delivery_id}:sweep",
            priority=min(c.priority, 9),
        )
        for c in stuck
        if c.link is None
    ]
    if forwarding:
        messages += forward_messages(stuck, "sweep")
        # Reports of pulled copies the bus lost when the node stopped (a non-durable bus): the
        # copies the upstream node has not acknowledged; a repeat is answered "already recorded".
        for copy in await store.unreported(clock.now() - older_than, limit=10_000):
            body = {"delivery_id": copy.delivery_id, "state": copy.state.value}
            messages.append(
                Message(
                    topic=REPORT_TOPIC,
                    body=json.dumps(body).encode(),
                    message_id=f"{REPORT_TOPIC}:{copy.delivery_id}:sweep",
                    priority=min(copy.priority, 9),
                )
            )
    if messages:
        await bus.publish(messages)
        log.info("re-published queued copies", count=len(messages))
    return len(messages)
