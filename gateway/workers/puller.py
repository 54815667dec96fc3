"""The puller: what the national node holds for this province comes down, and what became of
the copies this node forwarded comes back (docs/axes.md).

A provincial node is an ordinary VXP client of its national node. Every ``interval`` seconds:

1. **Pull.** ``getReceivedEdocList`` for documents, then statuses (the national node lists urgent
   first). For each item not pulled before: ``getEdoc``, then accept the package as sent by the
   upstream node (:data:`UPSTREAM_SYSTEM`) to the item's one recipient, the item's DocId kept as
   the copy's ``origin_doc_id`` (unique: the same item pulled twice is one local copy), and only
   after that commit ``updateStatus done`` with this node's DocId (``nextDocId``). A package this
   node refuses (invalid, unknown recipient, a sender outside...) is answered ``updateStatus
   fail`` with the coded reason (``failCode``): the national node fails its copy at once and the
   origin sees the failure. A crash anywhere repeats a step, never a copy.
2. **Reconcile.** For copies forwarded upstream whose fate is not known yet, read the national
   node's ``getSentEdocList`` for their upstream DocId: a copy the destination received becomes
   ``received`` at the destination's confirmation time (``received_at``, with the receipt
   measures on this node's calendar); one that failed there becomes ``failed`` with the code.

Statuses (01–16) need nothing special: they are packages, pulled like documents, and recorded
against the copy they concern.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from connectors.bus import Bus
from connectors.vxp.client import VxpClient
from connectors.vxp.errors import VxpError, VxpFailure
from connectors.vxp.models import ReceivedEdoc, SentEdoc
from gateway.core import work
from gateway.core.accept import SendRequest
from gateway.core.clock import VN_TZ, Clock
from gateway.core.errors import Conflict, ExchangeError, StoreUnavailable
from gateway.core.exchange import Exchange
from gateway.core.legal import LegalTime
from gateway.core.model import DeliveryState, DeliveryView, MessageType, System
from gateway.core.ports import Store
from gateway.core.routing import code_key
from gateway.logging import get_logger
from gateway.telemetry import LINK_PULLED, UPSTREAM_LINK, record_link_round
from gateway.workers.relay import to_message

log = get_logger(__name__)

#: The national node as a sender at a provincial node: it relays for every agency outside the
#: province (:meth:`gateway.core.accept.recipients.Recipients.may_act_for`).
UPSTREAM_SYSTEM = System(system_id="upstream", grants=(), relay=True)

_CODED = re.compile(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+): ")


def failure_code(text: str | None) -> str:
    """The first stable code (``RECIPIENT_UNKNOWN: ...``) in a failure text, else
    ``UPSTREAM_FAILED``."""
    found = _CODED.search(text or "")
    return found.group(1) if found else "UPSTREAM_FAILED"


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=VN_TZ)


def _urgent_first(items: Sequence[ReceivedEdoc]) -> list[ReceivedEdoc]:
    def priority(item: ReceivedEdoc) -> int:
        value = item.extra.get("priority")
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    return sorted(items, key=lambda item: -priority(item))  # stable: the node's order kept


class Puller:
    """Pulls from the national node and reconciles forwarded copies (module docstring)."""

    def __init__(
        self,
        exchange: Exchange,
        store: Store,
        client: VxpClient,
        clock: Clock,
        *,
        interval: float,
        legal: LegalTime | None = None,
        reconcile_batch: int = 100,
        bus: Bus | None = None,
        resend_after: timedelta = timedelta(seconds=30),
    ) -> None:
        self.exchange = exchange
        self.store = store
        self.client = client
        self.clock = clock
        self.interval = interval
        self.legal = legal
        self.reconcile_batch = reconcile_batch
        self.bus = bus
        self.resend_after = resend_after
        self.resent = 0
        self._cursor: datetime | None = None
        self._wake = asyncio.Event()
        self.pulled = 0
        self.settled = 0

    def wake(self) -> None:
        """Poll now rather than at the end of the interval."""
        self._wake.set()

    async def run(self) -> None:
        """Poll until cancelled; a failed round is logged and tried again next interval."""
        while True:
            self._wake.clear()
            await self.poll()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)

    async def poll(self) -> bool:
        """One :meth:`round` whatever happens in it; its outcome is the link's health in
        ``/metrics`` (``gateway_link_up``, the time of the last success). True when it worked."""
        ok = False
        try:
            await self.round()
            ok = True
        except (VxpError, ExchangeError) as exc:
            log.warning("upstream poll failed; next round retries", error=str(exc))
        except Exception:  # keep polling whatever happened; the next round starts afresh
            log.exception("upstream poll crashed; next round retries")
        record_link_round(UPSTREAM_LINK, ok=ok, at=self.clock.now())
        return ok

    async def round(self) -> tuple[int, int]:
        """One pull of both lists, then (the national node answers) the forwards it missed
        while down, then one reconcile batch: (items taken, copies settled)."""
        taken = 0
        for kind in (MessageType.EDOC, MessageType.STATUS):
            taken += await self.pull_once(kind)
        await self.resend()
        settled = await self.reconcile_once()
        return taken, settled

    async def resend(self) -> int:
        """Publish the ``forward`` work again for upstream copies still ``queued`` after
        ``resend_after`` (the national node was down when they were forwarded): urgent first,
        then oldest first. A repeat is harmless (the same bytes answer the same DocId)."""
        if self.bus is None:
            return 0
        stuck = await self.store.queued_deliveries(
            self.clock.now() - self.resend_after, limit=10_000
        )
        messages = [to_message(item) for item in work.forwards_of(stuck, tag="resend")]
        if messages:
            await self.bus.publish(messages)
            log.info("forwards sent again", count=len(messages))
        self.resent += len(messages)
        return len(messages)

    # ---------------------------------------------------------------- pull

    async def pull_once(self, kind: MessageType) -> int:
        """Take every item of one list; returns how many were accepted or refused."""
        items = await self.client.get_received_edoc_list(kind.value)
        taken = 0
        for item in _urgent_first(items):
            if await self._take(item, kind):
                taken += 1
        self.pulled += taken
        LINK_PULLED.labels(UPSTREAM_LINK, kind.value).inc(taken)
        return taken

    async def _take(self, item: ReceivedEdoc, kind: MessageType) -> bool:
        pulled = await self.store.pulled_document(item.doc_id)
        if pulled is not None:
            # Committed before a crash or a lost answer: only the acknowledgement is missing.
            await self.client.update_status(item.doc_id, "done", next_doc_id=pulled)
            return True
        try:
            data = await self.client.get_edoc(item.doc_id)
        except VxpFailure as exc:
            log.warning("upstream item unavailable", doc_id=item.doc_id, error=exc.error_desc)
            return False
        try:
            outcome = await self.exchange.send(
                UPSTREAM_SYSTEM,
                SendRequest(
                    data,
                    kind,
                    from_code=item.from_code,
                    to=[item.to_code] if item.to_code else None,
                    origin_doc_id=item.doc_id,
                ),
            )
        except (StoreUnavailable, Conflict):
            raise  # transient: the item stays pending upstream, the next round takes it
        except ExchangeError as exc:
            await self.client.update_status(
                item.doc_id, "fail", desc=exc.message, fail_code=exc.code
            )
            log.warning(
                "upstream item refused", doc_id=item.doc_id, code=exc.code, error=exc.message
            )
            return True
        await self.client.update_status(item.doc_id, "done", next_doc_id=outcome.document_id)
        log.info(
            "pulled from upstream",
            doc_id=item.doc_id,
            document_id=outcome.document_id,
            kind=kind.value,
            to=item.to_code,
        )
        return True

    # ---------------------------------------------------------------- reconcile

    async def reconcile_once(self) -> int:
        """Ask the national node about one batch of forwarded copies; returns how many settled."""
        copies = await self.store.forwarded_copies(self.reconcile_batch, after=self._cursor)
        self._cursor = copies[-1].created_at if len(copies) >= self.reconcile_batch else None
        groups: dict[tuple[str, MessageType], list[DeliveryView]] = {}
        for copy in copies:
            if copy.upstream_doc_id:
                groups.setdefault((copy.upstream_doc_id, copy.kind), []).append(copy)
        settled = 0
        for (upstream_id, kind), group in groups.items():
            try:
                rows = await self.client.get_sent_edoc_list(upstream_id, kind.value)
            except VxpFailure as exc:
                log.warning("upstream sent list refused", doc_id=upstream_id, error=exc.error_desc)
                continue
            by_code = {code_key(r.to_code): r for r in rows if r.to_code}
            for copy in group:
                row = by_code.get(code_key(copy.code))
                if row is not None and await self._settle(copy, row):
                    settled += 1
        self.settled += settled
        return settled

    async def _settle(self, copy: DeliveryView, row: SentEdoc) -> bool:
        state = row.extra.get("state")
        now = self.clock.now()
        if state == DeliveryState.RECEIVED.value:
            at = _instant(row.received_time)
            if at is None:
                return False
            outcome = await self.store.report_delivery(
                copy.delivery_id,
                received=True,
                at=at,
                now=now,
                actor="upstream",
                receipt=self.legal.receipt if self.legal is not None else None,
            )
        elif state == DeliveryState.FAILED.value:
            reason = row.send_status_desc or "failed at the national node"
            reason = reason.removeprefix("delivery failed: ")
            code = failure_code(reason)
            outcome = await self.store.report_delivery(
                copy.delivery_id,
                received=False,
                at=now,
                now=now,
                actor="upstream",
                code=code,
                reason=reason.removeprefix(f"{code}: "),
            )
        else:
            return False
        return outcome is not None and outcome.changed
