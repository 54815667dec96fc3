"""Operators' override rows: days off and make-up working days added when a notice is published.

The rows live in the database (table ``calendar_overrides``) and win over the override table the
node starts with (the shipped one or ``GATEWAY_CALENDAR_FILE``) for their date. Adding or removing
one rebuilds the node's calendar at once (a new version) in the process that made the change; other
processes (another ``serve``, a ``worker``, or a node while the CLI changed the rows) pick it up
within ``GATEWAY_CALENDAR_REFRESH_SECONDS`` (:meth:`CalendarAdmin.reload`). Stored legal times are
not rewritten: ``calendar recompute --from DATE`` does that on request.

Through the API, a person whose role has ``MANAGE_CALENDAR`` (``by``, from a personal token) or,
for compatibility with the scripts written before people existed, an admin system (``caller``;
``AUTH_FORBIDDEN`` for the others) may change the rows; the CLI (neither) is an operator. Every
added or removed row is appended to the audit log (``calendar_override``), naming the person, the
system (``system:<id>``) or ``cli``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from business_calendar.calendar import BusinessCalendar, Override, OverrideKind
from business_calendar.sessions import SUPPORTED_YEARS
from business_calendar.table import CONFIDENCES
from gateway.core.actors import (
    Action,
    Actor,
    AuditRecord,
    AuditSink,
    Capability,
    Channel,
    NullAudit,
    require,
)
from gateway.core.clock import Clock
from gateway.core.errors import BadRequest, NotFound
from gateway.core.legal import LegalTime, StoredOverride
from gateway.core.model import System
from gateway.core.people import actor_name
from gateway.core.permissions import require_admin

#: Longest name and source accepted (characters).
MAX_NAME = 200
MAX_SOURCE = 2000


class OverrideStore(Protocol):
    """The operators' override rows."""

    async def calendar_overrides(self) -> list[StoredOverride]:
        """Every stored row, by date."""
        ...

    async def add_calendar_override(self, row: StoredOverride) -> None:
        """Store a row; raises ``NotAllowed`` (CALENDAR_OVERRIDE_EXISTS) when its date has one."""
        ...

    async def remove_calendar_override(self, day: date) -> StoredOverride | None:
        """Delete the row of ``day``; the deleted row, or None when there was none."""
        ...


def require_calendar_admin(caller: System | None, by: Actor | None = None) -> None:
    """Refuse a person without ``MANAGE_CALENDAR`` (``AUTH_ROLE``) or a system without the admin
    grant (``AUTH_FORBIDDEN``); neither is the CLI, an operator."""
    if by is not None:
        require(by, Capability.MANAGE_CALENDAR, "Authorization")
        return
    require_admin(caller, "manage the calendar overrides", "Authorization")


def _override_json(stored: StoredOverride) -> dict[str, str]:
    o = stored.override
    return {"kind": o.kind.value, "name": o.name, "source": o.source, "confidence": o.confidence}


def checked_override(
    day: date, kind: str, name: str, source: str, confidence: str = "high"
) -> Override:
    """An override row from an operator's values; refused with ``CALENDAR_*`` codes."""
    if day.year not in SUPPORTED_YEARS:
        raise BadRequest(
            f"{day} is outside the calendar's years "
            f"{SUPPORTED_YEARS.start}-{SUPPORTED_YEARS.stop - 1}",
            code="CALENDAR_RANGE",
            field="date",
        )
    try:
        which = OverrideKind(kind.strip())
    except ValueError:
        allowed = " or ".join(k.value for k in OverrideKind)
        raise BadRequest(
            f"kind {kind!r} is not {allowed}", code="CALENDAR_FORMAT", field="kind"
        ) from None
    source, name = source.strip(), name.strip()
    if not source:
        raise BadRequest(
            f"{day} has no source: name the notice that sets it",
            code="CALENDAR_FORMAT",
            field="source",
        )
    if len(source) > MAX_SOURCE or len(name) > MAX_NAME:
        raise BadRequest(
            f"name is at most {MAX_NAME} and source at most {MAX_SOURCE} characters",
            code="CALENDAR_FORMAT",
            field="name" if len(name) > MAX_NAME else "source",
        )
    confidence = (confidence or "high").strip()
    if confidence not in CONFIDENCES:
        raise BadRequest(
            f"confidence {confidence!r} is not high, medium or low",
            code="CALENDAR_FORMAT",
            field="confidence",
        )
    return Override(day, which, name, source, confidence)


class CalendarAdmin:
    """List, add and remove the operators' rows, and keep the node's calendar in step."""

    def __init__(
        self,
        store: OverrideStore,
        legal: LegalTime,
        clock: Clock,
        *,
        on_change: Callable[[BusinessCalendar], None] | None = None,
        audit: AuditSink | None = None,
    ) -> None:
        self.store = store
        self.legal = legal
        self.clock = clock
        self._on_change = on_change
        self._lock = asyncio.Lock()
        self.audit: AuditSink = audit or NullAudit()

    async def _record(
        self,
        caller: System | None,
        by: Actor | None,
        day: date,
        *,
        before: StoredOverride | None = None,
        after: StoredOverride | None = None,
    ) -> None:
        channel: Channel | None
        if by is None and caller is not None:
            actor, channel = f"system:{caller.system_id}", None
        else:
            actor, channel = actor_name(by)
        row = after or before
        await self.audit.append(
            AuditRecord(
                actor=actor,
                action=Action.CALENDAR_OVERRIDE,
                target=f"calendar:{day.isoformat()}",
                reason=row.override.source if row is not None else None,
                before=None if before is None else _override_json(before),
                after=None if after is None else _override_json(after),
                channel=channel,
                extra={"change": "added" if after is not None else "removed"},
            )
        )

    async def list(
        self, caller: System | None = None, *, by: Actor | None = None
    ) -> list[StoredOverride]:
        """The stored rows, by date."""
        require_calendar_admin(caller, by)
        return await self.store.calendar_overrides()

    async def add(
        self, caller: System | None, row: Override, actor: str, *, by: Actor | None = None
    ) -> StoredOverride:
        """Store an operator's row and rebuild the calendar; ``actor`` is recorded as its author."""
        require_calendar_admin(caller, by)
        stored = StoredOverride(row, self.clock.now(), actor[:100])
        await self.store.add_calendar_override(stored)
        await self._record(caller, by, row.day, after=stored)
        await self.reload()
        return stored

    async def remove(
        self, caller: System | None, day: date, *, by: Actor | None = None
    ) -> StoredOverride:
        """Delete the row of ``day`` and rebuild the calendar."""
        require_calendar_admin(caller, by)
        removed = await self.store.remove_calendar_override(day)
        if removed is None:
            raise NotFound(
                f"no operator override on {day}", code="CALENDAR_OVERRIDE_UNKNOWN", field="date"
            )
        await self._record(caller, by, day, before=removed)
        await self.reload()
        return removed

    async def reload(self, *, warm: datetime | None = None) -> bool:
        """Rebuild the calendar when the stored rows differ from those it was built with."""
        async with self._lock:
            rows = await self.store.calendar_overrides()
            if tuple(rows) == self.legal.stored:
                return False
            calendar = await self.legal.rebuild(rows, warm=warm or self.clock.now())
        if self._on_change is not None:
            self._on_change(calendar)
        return True
