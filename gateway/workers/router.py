"""The router: makes available the copies whose system was not known when they were accepted.

A copy whose recipient system is known at accept time is committed ``available`` by the accept
itself (:func:`gateway.core.delivery.initial_state`) and never passes here. The router consumes
``route`` messages (:func:`gateway.core.work.route`) for the others: it asks the routing table
again (grants may have changed since) and makes the copy available to the system found, or fails
it (``ROUTE_NO_SYSTEM``) when still no enabled system serves the recipient. Idempotent: a copy
that already left ``queued`` is acknowledged without change, so a redelivered message never adds
a second pull-list item. A database failure is transient (retried with the bus's backoff); a
message that names no copy is poison (dead-lettered at once); a copy whose message is given up
becomes ``failed`` (``ROUTE_DEAD_LETTER``).
"""

from __future__ import annotations

from datetime import timedelta

from connectors.bus import Bus, Message, Reject, Retry
from gateway.core import work
from gateway.core.clock import Clock
from gateway.core.delivery import Event, step
from gateway.core.errors import StoreUnavailable
from gateway.core.ports import Store
from gateway.core.routing import Routes
from gateway.logging import get_logger
from gateway.workers.relay import to_message
from identifiers import Registry

log = get_logger(__name__)


def _delivery_id(message: Message) -> str:
    try:
        return work.parse_route(message.body)
    except work.WorkInvalid as exc:
        raise Reject(str(exc)) from exc


class Router:
    """Handles ``route`` messages."""

    def __init__(self, store: Store, registry: Registry, clock: Clock) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.routes = Routes(registry, store)

    async def handle(self, message: Message) -> None:
        """Route the named copy (see the module docstring)."""
        delivery_id = _delivery_id(message)
        request_id = message.headers.get("x-request-id")
        try:
            copy = await self.store.get_delivery(delivery_id)
            if copy is None:
                raise Reject(f"ROUTE_UNKNOWN_DELIVERY: {delivery_id}")
            if step(copy.state, Event.ROUTE) is None or copy.link is not None:
                return  # a redelivery (already routed), or the forwarder's copy
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
    items = [work.route(c.delivery_id, c.priority, tag="sweep") for c in stuck if c.link is None]
    if forwarding:
        items += work.forwards_of(stuck, tag="sweep")
        # Reports of pulled copies the bus lost when the node stopped (a non-durable bus): the
        # copies the upstream node has not acknowledged; a repeat is answered "already recorded".
        for copy in await store.unreported(clock.now() - older_than, limit=10_000):
            items.append(work.report(copy.delivery_id, copy.state, copy.priority, tag="sweep"))
    if items:
        await bus.publish([to_message(item) for item in items])
        log.info("re-published queued copies", count=len(items))
    return len(items)
