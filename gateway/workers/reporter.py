"""The reporter: tells the national node what became of a copy this node pulled from it.

Consumes ``report`` messages (``{"delivery_id": ..., "state": "received"|"failed", "code": ...}``),
written in the same transaction as the copy's final state (store-then-publish): the recipient
system confirmed it (``updateStatus done``), or the node gave up on it (no system serves the
code, the receiver failed too often, dead-lettered). The node calls the national node's
``reportDelivery`` (docs/axes.md) with the item's DocId there (``origin_doc_id``): the national
node sets its copy ``received`` at this node's ``received_at`` (the destination's confirmation
time, reflected back to the origin), or ``failed`` with the code. Transport errors and 5xx are
retried with the bus's backoff and, when the bus gives up, queued again in the outbox: a report
is tried until the national node answers. A FAIL answer (the national node no longer knows the
item) is logged and ends it.
"""

from __future__ import annotations

from connectors.bus import Message, Reject, Retry
from connectors.vxp.client import VxpClient
from connectors.vxp.errors import VxpFailure, VxpResponseError, VxpTransportError
from gateway.core import work
from gateway.core.clock import Clock
from gateway.core.errors import StoreUnavailable
from gateway.core.model import DeliveryState
from gateway.core.ports import Store
from gateway.logging import get_logger
from gateway.telemetry import LINK_REPORTS, UPSTREAM_LINK

log = get_logger(__name__)


def _work(message: Message) -> tuple[str, DeliveryState, str | None]:
    try:
        return work.parse_report(message.body)
    except work.WorkInvalid as exc:
        raise Reject(str(exc)) from exc


class Reporter:
    """Handles ``report`` messages of a provincial node."""

    def __init__(self, store: Store, client: VxpClient, clock: Clock) -> None:
        self.store = store
        self.client = client
        self.clock = clock

    async def handle(self, message: Message) -> None:
        """Report one copy's final state upstream (see the module docstring)."""
        delivery_id, state, code = _work(message)
        try:
            copy = await self.store.get_delivery(delivery_id)
        except StoreUnavailable as exc:
            raise Retry(str(exc)) from exc
        if copy is None or copy.origin_doc_id is None:
            raise Reject(f"REPORT_UNKNOWN_DELIVERY: {delivery_id}")
        try:
            if state is DeliveryState.RECEIVED:
                if copy.received_at is None:  # pragma: no cover - set with the state
                    raise Reject(f"REPORT_NO_RECEIPT: {delivery_id}")
                await self.client.report_delivery(copy.origin_doc_id, "received", copy.received_at)
            else:
                await self.client.report_delivery(
                    copy.origin_doc_id,
                    "failed",
                    copy.updated_at,
                    code=code or "DELIVERY_FAILED",
                    desc=copy.last_error,
                )
        except VxpFailure as exc:
            if exc.http_status is not None and exc.http_status >= 500:
                raise Retry(f"national node unavailable: {exc.error_desc}") from exc
            log.warning("report refused upstream", delivery_id=delivery_id, error=exc.error_desc)
            await self._done(delivery_id)  # the answer ends it
            return
        except (VxpTransportError, VxpResponseError) as exc:
            raise Retry(f"national node unreachable: {exc.code}") from exc
        await self._done(delivery_id)
        LINK_REPORTS.labels(UPSTREAM_LINK, state.value).inc()
        log.info(
            "reported upstream", delivery_id=delivery_id, doc_id=copy.origin_doc_id, state=state
        )

    async def _done(self, delivery_id: str) -> None:
        try:
            await self.store.mark_reported(delivery_id, self.clock.now())
        except StoreUnavailable as exc:
            raise Retry(str(exc)) from exc  # the repeated report is answered "already recorded"

    async def on_dead(self, message: Message, reason: str) -> None:
        """The bus gave up (the national node was down through every retry): the report is
        queued again in the outbox, so it goes on being tried until the national node answers
        (a report is never lost; a FAIL answer ends it, see :meth:`handle`)."""
        try:
            delivery_id, state, code = _work(message)
        except Reject:
            log.error("poison report message dead-lettered", reason=reason)
            return
        now = self.clock.now()
        again = work.report(
            delivery_id, state, message.priority, code=code, tag=f"{now.timestamp():.6f}"
        )
        await self.store.add_outbox([again], now)
        log.warning("report queued again", delivery_id=delivery_id, reason=reason)
