"""The operators' node-wide view of copies: filtered lists with counts, stuck copies, one copy's
detail (issue 13, docs/console.md "Deliveries").

Every use case takes the signed-in :class:`~gateway.core.actors.Actor` and checks
``READ_DELIVERIES`` (auditors, operators, admins). The store answers
:class:`AdminDeliveryStore`; this module turns the operators' words (an agency subtree, working
hours) into what the store can query (code keys, instants), with the node's business calendar.

- :meth:`DeliveriesAdmin.list`: copies matching a :class:`DeliveryFilter`, a page at a time
  (keyset: a :data:`Position` continues strictly past the last row), sorted by the change time
  or the accept time, newest or oldest first, with the count per state of the whole filter;
- :meth:`DeliveriesAdmin.stuck`: copies ``available`` but not confirmed after N working hours
  (the business calendar: lunch, nights, weekends and holidays do not count), or ``queued`` /
  ``forwarded`` for longer than N minutes;
- :meth:`DeliveriesAdmin.detail`: one copy with every event (time and actor), its attempts,
  the time it spent failed, its legal times, its package's header facts and attachments (names,
  sizes, SHA-256, never content), the hops of its package's trace, and its statuses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from business_calendar.calendar import BusinessCalendar, CalendarError
from edxml import EdxmlError, Limits, parse
from gateway.core.actors import Actor, Capability, require
from gateway.core.clock import Clock
from gateway.core.delivery import replayable
from gateway.core.errors import NotFound
from gateway.core.model import (
    DeliveryEvent,
    DeliveryState,
    DeliveryView,
    DocumentTrace,
    EventKind,
)
from gateway.core.routing import code_key
from identifiers import AgencyCode, Registry

#: A position in a sorted list: the sort time and id of the last row of the previous page.
Position = tuple[datetime, str]
#: Longest page.
MAX_PAGE = 500


class SortKey(StrEnum):
    """What a list is sorted by (``-`` first: newest first)."""

    UPDATED_DESC = "-updated_at"
    UPDATED_ASC = "updated_at"
    CREATED_DESC = "-created_at"
    CREATED_ASC = "created_at"

    @property
    def column(self) -> str:
        """The copy's time the list is sorted (and ``since``/``until`` bounded) by."""
        return self.value.lstrip("-")

    @property
    def descending(self) -> bool:
        """Newest first."""
        return self.value.startswith("-")


@dataclass(frozen=True)
class DeliveryFilter:
    """Which copies an operator asks for; every field given narrows the set.

    ``sender``/``recipient`` are agency codes; ``subtree`` widens ``recipient`` to every agency
    under it. ``system`` keeps the copies a connected system sent or receives. ``since``
    (inclusive) and ``until`` (exclusive) bound the sort time. The ``*_keys``/``*_before``
    fields are filled by :class:`DeliveriesAdmin` for the store, never by callers.
    """

    state: DeliveryState | None = None
    fail_code: str | None = None
    sender: str | None = None
    recipient: str | None = None
    subtree: bool = False
    system: str | None = None
    link: str | None = None
    priority: int | None = None
    number: str | None = None
    notation: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Resolved for the store:
    sender_key: str | None = None
    recipient_keys: tuple[str, ...] = ()
    recipient_level1: str | None = None
    available_before: datetime | None = None  # stuck: available since before this instant
    moving_before: datetime | None = None  # stuck: queued/forwarded since before this instant

    def described(self) -> dict[str, Any]:
        """The filter as given (JSON-ready, unset fields left out): what a request shows."""
        out: dict[str, Any] = {}
        for name in (
            "state",
            "fail_code",
            "sender",
            "recipient",
            "system",
            "link",
            "priority",
            "number",
            "notation",
        ):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.value if isinstance(value, StrEnum) else value
        if self.subtree and self.recipient is not None:
            out["subtree"] = True
        for name in ("since", "until"):
            moment = getattr(self, name)
            if moment is not None:
                out[name] = moment.isoformat()
        return out


@dataclass(frozen=True)
class CopyPage:
    """One page of a list: its copies, where the next page starts, and counts per state."""

    items: tuple[DeliveryView, ...]
    next_position: Position | None
    counts: Mapping[str, int]


@dataclass(frozen=True)
class Attempt:
    """One offer of a copy to its receiver (or one send upstream), and how it ended."""

    number: int
    started_at: datetime
    system_id: str | None
    fetches: int = 0
    ended_at: datetime | None = None
    outcome: str | None = None  # received, receiver_failed, failed, forwarded; None: open
    reason: str | None = None


@dataclass(frozen=True)
class Hop:
    """One hop of a package's trace: a ``TraceHeader`` of the package (organ, time)."""

    organ_id: str | None
    at: datetime | None
    raw_time: str | None = None  # a time the package spelled in another form


@dataclass(frozen=True)
class CopyDetail:
    """Everything an operator may see of one copy (never the package's content)."""

    copy: DeliveryView
    trace: DocumentTrace  # the document, this copy's events and statuses, the attachments
    events: tuple[DeliveryEvent, ...]
    attempts: tuple[Attempt, ...]
    time_in_failure: timedelta
    hops: tuple[Hop, ...]
    replayable: bool
    fail_code: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class AdminDeliveryStore(Protocol):
    """What the operators' views need of the store (:class:`gateway.store.repository.SqlStore`)."""

    async def admin_deliveries(
        self,
        criteria: DeliveryFilter,
        *,
        sort: SortKey,
        limit: int,
        after: Position | None = None,
    ) -> list[DeliveryView]:
        """At most ``limit`` copies matching ``criteria`` in ``sort`` order, strictly past
        ``after``."""
        ...

    async def admin_counts(
        self, criteria: DeliveryFilter, *, sort: SortKey = SortKey.UPDATED_DESC
    ) -> dict[str, int]:
        """How many copies match ``criteria`` (its ``state`` ignored), per state."""
        ...

    async def get_delivery(self, delivery_id: str) -> DeliveryView | None:
        """The copy, or None."""
        ...

    async def trace(self, document_id: str) -> DocumentTrace | None:
        """The document with every copy, event and status."""
        ...

    async def load_package(self, sha256: str) -> bytes:
        """The stored bytes of a package."""
        ...


@dataclass(frozen=True)
class StuckLimits:
    """When a copy counts as stuck (settings ``stuck_available_hours`` and
    ``stuck_moving_minutes``)."""

    available_hours: float = 8.0  # working hours available but not confirmed
    moving_minutes: float = 60.0  # minutes queued or forwarded


def working_hours_before(calendar: BusinessCalendar, now: datetime, hours: float) -> datetime:
    """The latest instant (to the second) from which ``hours`` of office time have passed by
    ``now``: a copy available since then, or earlier, has waited that long in working hours.

    The calendar adds business time forward only, so this bisects back over whole seconds (at
    most a year back: no calendar has a year without office time).
    """
    wanted = timedelta(hours=max(hours, 0.0))
    if not wanted:
        return now
    try:
        # Invariant: business_time(now - low, now) >= wanted > business_time(now - high, now).
        low, high = 366 * 86_400, 0
        if calendar.business_time(now - timedelta(seconds=low), now) < wanted:
            return now - timedelta(seconds=low)
        while low - high > 1:
            middle = (low + high) // 2
            if calendar.business_time(now - timedelta(seconds=middle), now) >= wanted:
                low = middle
            else:
                high = middle
    except CalendarError:
        return now - wanted  # outside the calendar's years: wall-clock hours
    return now - timedelta(seconds=low)


def attempts_of(events: Sequence[DeliveryEvent]) -> tuple[Attempt, ...]:
    """A copy's offers, read from its history: each ``available`` (or ``forwarded``) opens one,
    the next confirmation, receiver failure, failure or hand-on closes it."""
    found: list[Attempt] = []
    current: Attempt | None = None

    def close(at: datetime, outcome: str, reason: str | None = None) -> None:
        nonlocal current
        if current is not None:
            found.append(replace(current, ended_at=at, outcome=outcome, reason=reason))
            current = None

    for e in events:
        if e.kind is EventKind.AVAILABLE:
            close(e.at, "superseded")
            current = Attempt(len(found) + 1, e.at, e.detail.get("system_id"))
        elif e.kind is EventKind.FETCHED and current is not None:
            current = replace(current, fetches=current.fetches + 1)
        elif e.kind is EventKind.CONFIRMED:
            close(e.at, "received")
        elif e.kind is EventKind.RECEIVER_FAILED:
            reason = e.detail.get("reason")
            system = current.system_id if current is not None else e.actor
            close(e.at, "receiver_failed", reason)
            # The copy is offered again later: the next attempt starts when it is.
            if e.detail.get("failures") is not None:
                current = Attempt(len(found) + 1, e.at, system)
        elif e.kind is EventKind.FAILED:
            if current is not None and current.started_at == e.at and found:
                current = None  # the give-up closing the attempt a receiver failure opened
            close(e.at, "failed", e.detail.get("reason"))
        elif e.kind is EventKind.FORWARDED:
            close(e.at, "forwarded")
            found.append(Attempt(len(found) + 1, e.at, None, ended_at=e.at, outcome="forwarded"))
        elif e.kind is EventKind.REPORTED:
            close(e.at, str(e.detail.get("state") or "reported"), e.detail.get("reason"))
        elif e.kind is EventKind.REMOVED:
            close(e.at, "removed")
    if current is not None:
        found.append(current)
    return tuple(found)


def time_in_failure(events: Sequence[DeliveryEvent], now: datetime) -> timedelta:
    """How long the copy was ``failed``: from each ``failed`` entry to the next entry that took
    it out (a replay, a late confirmation or report), or to ``now`` while it still is."""
    total = timedelta(0)
    since: datetime | None = None
    for e in events:
        if e.kind is EventKind.FAILED and since is None:
            since = e.at
        elif since is not None and e.kind in (
            EventKind.REPLAYED,
            EventKind.CONFIRMED,
            EventKind.REPORTED,
            EventKind.FORWARDED,
        ):
            total += e.at - since
            since = None
    if since is not None:
        total += max(now - since, timedelta(0))
    return total


def hops_of(data: bytes, limits: Limits) -> tuple[Hop, ...]:
    """The ``TraceHeader`` entries of a stored package, in order (none if it cannot be read)."""
    try:
        package = parse(data, limits)
    except EdxmlError:
        return ()
    hops = []
    for entry in package.traces:
        at = entry.timestamp if isinstance(entry.timestamp, datetime) else None
        raw = entry.timestamp if isinstance(entry.timestamp, str) else None
        hops.append(Hop(entry.organ_id, at, raw))
    return tuple(hops)


class DeliveriesAdmin:
    """The operators' read-side use cases over every copy of the node."""

    def __init__(
        self,
        store: AdminDeliveryStore,
        registry: Registry,
        clock: Clock,
        calendar: Any,  # anything with a ``calendar`` attribute (gateway.core.legal.LegalTime)
        *,
        stuck: StuckLimits | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.legal = calendar
        self.limits_stuck = stuck or StuckLimits()
        self.limits = limits or Limits()

    def resolve(self, criteria: DeliveryFilter) -> DeliveryFilter:
        """``criteria`` with the agency codes as the store compares them: the sender's key, the
        recipient's key or, with ``subtree``, the keys of every registered agency under it (and
        for a level-1 unit every code of its subtree, registered or not)."""
        sender_key = code_key(criteria.sender) if criteria.sender else None
        keys: tuple[str, ...] = ()
        level1: str | None = None
        if criteria.recipient:
            wanted = {code_key(criteria.recipient)}
            agency = self.registry.get(criteria.recipient)
            if agency is not None:
                wanted.update(code_key(c) for c in agency.codes)
            if criteria.subtree:
                for found in self.registry.subtree(criteria.recipient):
                    wanted.update(code_key(c) for c in found.codes)
                parsed = AgencyCode.parse(criteria.recipient)
                if parsed.level == 1 and parsed.level1:
                    level1 = parsed.level1
            keys = tuple(sorted(wanted))
        return replace(
            criteria, sender_key=sender_key, recipient_keys=keys, recipient_level1=level1
        )

    async def list(
        self,
        actor: Actor | None,
        criteria: DeliveryFilter,
        *,
        sort: SortKey = SortKey.UPDATED_DESC,
        limit: int = 100,
        after: Position | None = None,
        counts: bool = True,
    ) -> CopyPage:
        """A page of the copies matching ``criteria`` and, with ``counts``, the count per state
        of the whole filter (``READ_DELIVERIES``)."""
        require(actor, Capability.READ_DELIVERIES)
        resolved = self.resolve(criteria)
        limit = min(max(limit, 1), MAX_PAGE)
        rows = await self.store.admin_deliveries(resolved, sort=sort, limit=limit + 1, after=after)
        position: Position | None = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            position = (getattr(last, sort.column), last.delivery_id)
        tally = await self.store.admin_counts(resolved, sort=sort) if counts else {}
        return CopyPage(tuple(rows), position, tally)

    def stuck_filter(self, criteria: DeliveryFilter | None = None) -> DeliveryFilter:
        """``criteria`` narrowed to the stuck copies as of now (see the module docstring)."""
        now = self.clock.now()
        limits = self.limits_stuck
        calendar = self.legal.calendar
        return replace(
            criteria or DeliveryFilter(),
            available_before=working_hours_before(calendar, now, limits.available_hours),
            moving_before=now - timedelta(minutes=limits.moving_minutes),
        )

    async def stuck(
        self,
        actor: Actor | None,
        criteria: DeliveryFilter | None = None,
        *,
        limit: int = 100,
        after: Position | None = None,
    ) -> CopyPage:
        """Copies waiting too long: available but not confirmed after N working hours, queued or
        forwarded longer than N minutes; oldest change first (``READ_DELIVERIES``)."""
        return await self.list(
            actor,
            self.stuck_filter(criteria),
            sort=SortKey.UPDATED_ASC,
            limit=limit,
            after=after,
        )

    async def detail(self, actor: Actor | None, delivery_id: str) -> CopyDetail:
        """One copy's whole story (``READ_DELIVERIES``); ``DELIVERY_UNKNOWN`` for an unknown id."""
        require(actor, Capability.READ_DELIVERIES)
        copy = await self.store.get_delivery(delivery_id) if delivery_id else None
        trace = await self.store.trace(copy.document_id) if copy is not None else None
        if copy is None or trace is None:
            raise NotFound(f"no copy {delivery_id!r}", code="DELIVERY_UNKNOWN", field="delivery_id")
        events = trace.events.get(delivery_id, ())
        hops: tuple[Hop, ...] = ()
        with contextlib.suppress(NotFound):
            data = await self.store.load_package(trace.document.sha256)
            hops = await asyncio.to_thread(hops_of, data, self.limits)
        return CopyDetail(
            copy=copy,
            trace=trace,
            events=events,
            attempts=attempts_of(events),
            time_in_failure=time_in_failure(events, self.clock.now()),
            hops=hops,
            replayable=replayable(copy.state),
            fail_code=copy.fail_code,
        )
