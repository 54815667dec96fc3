"""What a calendar is built from, and building it.

A :class:`CalendarSpec` holds the office hours and the override table (the shipped one, or an
operator's copy); :func:`build_calendar` adds the rows an operator stored elsewhere (the node's
database), which win over the table's for their date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from business_calendar.calendar import BusinessCalendar
from business_calendar.model import DEFAULT_SESSIONS, Override, Schedule, Session
from business_calendar.statutory import StatutoryDays, vietnam_statutory


@dataclass(frozen=True)
class CalendarSpec:
    """What a calendar is built from, besides the rows stored elsewhere: the office hours and
    the override table (shipped, or ``GATEWAY_CALENDAR_FILE``)."""

    sessions: tuple[Session, ...] = DEFAULT_SESSIONS
    schedules: tuple[Schedule, ...] = ()
    table: tuple[Override, ...] = ()
    label: str = "VN"
    statutory: Callable[[int], StatutoryDays] | None = vietnam_statutory


def build_calendar(
    spec: CalendarSpec, extra: Iterable[Override] = (), *, warm: datetime | None = None
) -> BusinessCalendar:
    """The calendar of ``spec`` with the ``extra`` rows, which win over the table's for their
    date.

    Blocking (the version takes 50–160 ms): call it off the event loop. ``warm`` precomputes the
    sessions around that instant, so the first legal times asked after a rebuild are fast.
    """
    rows = {row.day: row for row in spec.table}
    rows.update((row.day, row) for row in extra)
    calendar = BusinessCalendar(
        spec.sessions,
        schedules=spec.schedules,
        overrides=rows.values(),
        statutory=spec.statutory,
        label=spec.label,
    )
    _ = calendar.version
    if warm is not None:
        calendar.business_minutes(warm - timedelta(days=7), warm + timedelta(days=7))
        calendar.legal_receipt_time(warm)
    return calendar
