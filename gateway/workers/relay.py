"""The outbox relay: publishes committed outbox rows to the bus, then marks them published.

Store first, then publish (design.md §1): a row is marked published only after
:meth:`connectors.bus.Bus.publish` returned, i.e. after the broker confirmed every message. A crash
between the confirm and the mark publishes the row again on restart; consumers are idempotent
(``message_id`` is the outbox row's stable id), so that costs a duplicate message, never a lost or
duplicated document; a mark that failed while the relay lives is retried first, without publishing
again. Publishing failures back off exponentially (capped) and keep the rows pending. Rows are
claimed (:meth:`gateway.store.outbox.SqlOutbox.claim_outbox`), so several relays share the outbox
without publishing a row twice.

While it runs, the relay is handed the rows each accept of this process commits, claimed at
insert (:meth:`gateway.store.outbox.SqlOutbox.hand_outbox_to`): it publishes them at once and
marks them, with no claiming statement per send (docs/benchmarks.md); it still claims whatever
else is pending (other processes' rows, work queued outside an accept, released rows) at least
every ``idle_interval``.

A running relay marks what the broker confirmed once per ``mark_linger`` (0.25 s) rather than
after every publish: sends that arrive one at a time then share one marking statement instead of
paying one each (docs/benchmarks.md). Confirmed rows stay claimed by this relay until marked, so
no relay publishes them again meanwhile; a relay that stops marks them first, and one that dies
leaves them to be published again when the claim ends, as a crash between confirm and mark
always could. Likewise, handed rows of a deferrable topic (:data:`gateway.core.work.DEFERRABLE`:
the ``notify`` events) wait up to ``publish_linger`` (0.25 s) to be published together, as one
message (:func:`gateway.core.work.notify_together`), so that sends arriving one at a time do not
pay one broker message each for an event nothing waits for; they are marked as soon as
confirmed (they have waited already), and a relay that stops publishes them first.
:meth:`OutboxRelay.drain_once` called directly publishes and marks everything at once.

Published rows are kept ``retention`` (``GATEWAY_OUTBOX_RETENTION_DAYS``, 7 days by default),
then deleted: the relay prunes once when it starts and every ``prune_interval`` (1 h), at most
``prune_batch`` rows per statement between its publishing rounds, until none is left that old
(docs/configuration.md). Unpublished rows are never pruned.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from datetime import timedelta

from connectors.bus import Bus, BusError, Message
from gateway.core import work
from gateway.core.clock import Clock
from gateway.core.errors import StoreUnavailable
from gateway.core.model import OutboxItem
from gateway.core.ports import Store
from gateway.logging import get_logger

log = get_logger(__name__)


def to_message(item: OutboxItem) -> Message:
    """The bus message of an outbox row."""
    return Message(
        topic=item.topic,
        body=item.body,
        message_id=item.message_id,
        priority=work.clamp_priority(item.priority),
        headers=dict(item.headers),
    )


class OutboxRelay:
    """Moves outbox rows to the bus; :meth:`wake` after a commit for low latency."""

    def __init__(
        self,
        store: Store,
        bus: Bus,
        clock: Clock,
        *,
        batch: int = 200,
        idle_interval: float = 1.0,
        max_backoff: float = 30.0,
        mark_linger: float = 0.25,
        publish_linger: float = 0.25,
        retention: timedelta | None = None,
        prune_interval: float = 3600.0,
        prune_batch: int = 1000,
    ) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self.batch = batch
        self.idle_interval = idle_interval
        self.max_backoff = max_backoff
        self.mark_linger = mark_linger
        self.publish_linger = publish_linger
        #: How long published rows are kept (None: for ever).
        self.retention = retention
        self.prune_interval = prune_interval
        self.prune_batch = prune_batch
        self.pruned = 0
        self._next_prune = 0.0  # monotonic time of the next pruning statement (0: at start)
        self._wake = asyncio.Event()
        self.published = 0
        #: Rows the broker confirmed, not marked yet (lingering, or the store failed): marked
        #: first next time (they stay claimed by this relay meanwhile, never published again).
        self._unmarked: list[int] = []
        self._mark_due = 0.0  # monotonic time by which the lingering marks are written
        #: Committed rows handed over by this process's accepts, claimed for this relay.
        self._handed: list[OutboxItem] = []
        #: Handed rows of a deferrable topic, published together by ``_deferred_due``.
        self._deferred: list[OutboxItem] = []
        self._deferred_due = 0.0
        #: Whether the store hands rows over (then claiming waits for ``_next_claim``).
        self._attached = False
        self._next_claim = 0.0

    def wake(self) -> None:
        """Tell the relay new rows were committed."""
        self._wake.set()

    def offer(self, items: Sequence[OutboxItem]) -> None:
        """Rows an accept just committed, already claimed for this relay: publish them (those
        of a deferrable topic within ``publish_linger``)."""
        urgent = False
        for item in items:
            if item.topic in work.DEFERRABLE and self.publish_linger > 0:
                if not self._deferred:
                    self._deferred_due = time.monotonic() + self.publish_linger
                self._deferred.append(item)
            else:
                self._handed.append(item)
                urgent = True
        if urgent or len(self._deferred) >= self.batch:
            self._wake.set()

    def _attach(self, attached: bool) -> None:
        hand = getattr(self.store, "hand_outbox_to", None)  # a store that can hand rows over
        if hand is not None:
            hand(self.offer if attached else None)
            self._attached = attached

    async def _mark(self) -> None:
        await self.store.mark_published(self._unmarked, self.clock.now())
        self._unmarked = []

    async def drain_once(self, *, linger: bool = False) -> int:
        """Publish one batch (the handed rows, and the pending rows it claims), mark them;
        returns how many. ``linger``: leave the marks to :meth:`_mark` within ``mark_linger``."""
        if self._unmarked and (not linger or time.monotonic() >= self._mark_due):
            await self._mark()
        waited = bool(self._deferred) and (
            not linger
            or time.monotonic() >= self._deferred_due
            or len(self._deferred) >= self.batch
        )
        deferred: list[OutboxItem] = []
        if waited:
            deferred, self._deferred = self._deferred, []
        items = self._handed[: self.batch]
        del self._handed[: len(items)]
        room = self.batch - len(items) - len(deferred)
        if room > 0 and (not self._attached or time.monotonic() >= self._next_claim):
            try:
                items += await self.store.claim_outbox(room, self.clock.now())
            except StoreUnavailable:
                self._handed[:0] = items  # still claimed for us: publish them next time
                self._deferred[:0] = deferred
                raise
            self._next_claim = time.monotonic() + self.idle_interval
        if not items and not deferred:
            return 0
        messages = [to_message(item) for item in items]
        if deferred:  # one message for the events that waited (gateway.core.work.notify_together)
            messages.append(to_message(work.notify_together(deferred)))
            items += deferred
        ids = [i.outbox_id for i in items]
        try:
            await self.bus.publish(messages)
        except BusError as exc:
            self._next_claim = 0.0  # the released rows are claimed again next time
            await self.store.note_publish_failure(ids, str(exc))
            raise
        self.published += len(items)
        if not self._unmarked:
            self._mark_due = time.monotonic() + self.mark_linger
        self._unmarked += ids
        # Deferred rows have waited already: they are marked with what else is confirmed.
        if not linger or waited or len(self._unmarked) >= self.batch or self.mark_linger <= 0:
            await self._mark()
        return len(items)

    async def run(self) -> None:
        """Relay until cancelled."""
        self._attach(True)
        try:
            await self._run()
        finally:
            # Rows handed but not published stay claimed until the claim ends, then any relay
            # claims them (at least once); confirmed ones are marked now if the store answers.
            self._attach(False)
            if self._deferred or self._handed:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.drain_once(), 5.0)
            if self._unmarked:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._mark(), 5.0)

    async def prune_once(self) -> int:
        """Delete one batch of rows published longer than ``retention`` ago; returns how many.
        The next batch is due at once when this one was full, else after ``prune_interval``."""
        if self.retention is None:
            return 0
        deleted = await self.store.prune_outbox(self.clock.now() - self.retention, self.prune_batch)
        self.pruned += deleted
        full = deleted >= self.prune_batch
        self._next_prune = time.monotonic() + (0.0 if full else self.prune_interval)
        if deleted:
            log.info("outbox pruned", rows=deleted, more=full)
        return deleted

    async def _prune_due(self) -> None:
        if self.retention is None or time.monotonic() < self._next_prune:
            return
        try:
            await self.prune_once()
        except StoreUnavailable as exc:  # publishing goes on; pruning is tried again later
            self._next_prune = time.monotonic() + min(self.prune_interval, 60.0)
            log.warning("outbox pruning failed", error=str(exc))

    async def _run(self) -> None:
        backoff = 0.0
        while True:
            # Clear before draining: a commit that wakes us during the drain is not lost.
            self._wake.clear()
            await self._prune_due()
            try:
                count = await self.drain_once(linger=True)
                backoff = 0.0
                if count >= self.batch:
                    continue  # more waiting: no pause
            except (BusError, StoreUnavailable) as exc:
                backoff = min(max(backoff * 2, 0.2), self.max_backoff)
                log.warning(
                    "outbox relay failed; rows stay pending", error=str(exc), retry_in_s=backoff
                )
                await asyncio.sleep(backoff)
                continue
            if self._handed:
                continue
            wait = self.idle_interval
            if self._attached:
                wait = min(max(self._next_claim - time.monotonic(), 0.0), wait)
            if self._unmarked:
                wait = min(max(self._mark_due - time.monotonic(), 0.0), wait)
            if self._deferred:
                wait = min(max(self._deferred_due - time.monotonic(), 0.0), wait)
            if self.retention is not None:
                wait = min(max(self._next_prune - time.monotonic(), 0.0), wait)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
