"""Vietnam's business calendar for the civil service: a leaf library (stdlib and ``holidays``).

Office sessions (with seasonal schedules; the lunch gap is outside office hours), statutory
holidays from the ``holidays`` package with the official overrides (days off and make-up
Saturdays, shipped as ``data/vn-civil-service-days.csv`` with their sources), the legal receipt
time (NĐ 64/2007 Art. 36: outside office hours, the start of the next session), business
minutes and the deadlines of the legal rules (domain.md §3, §4; docs/calendar.md).

| module | what |
|---|---|
| :mod:`~business_calendar.model` | sessions, schedules, overrides, days, errors, ``VN_TZ`` |
| :mod:`~business_calendar.sessions` | the index of office sessions over the years |
| :mod:`~business_calendar.statutory` | the statutory days off from ``holidays`` |
| :mod:`~business_calendar.calendar` | :class:`BusinessCalendar`: legal times, minutes, deadlines |
| :mod:`~business_calendar.spec` | what a calendar is built from; :func:`build_calendar` |
| :mod:`~business_calendar.table` | the override table and the office hours read from text |
"""

from business_calendar.calendar import BusinessCalendar
from business_calendar.model import (
    DEFAULT_SESSIONS,
    VN_TZ,
    CalendarError,
    Day,
    DayKind,
    Override,
    OverrideKind,
    Schedule,
    Session,
)
from business_calendar.spec import CalendarSpec, build_calendar

__all__ = [
    "DEFAULT_SESSIONS",
    "VN_TZ",
    "BusinessCalendar",
    "CalendarError",
    "CalendarSpec",
    "Day",
    "DayKind",
    "Override",
    "OverrideKind",
    "Schedule",
    "Session",
    "build_calendar",
]
