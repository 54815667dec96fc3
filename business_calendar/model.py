"""The values of the business calendar: sessions, schedules, overrides, days and its errors.

Dataclasses only (design.md §2); :mod:`business_calendar.calendar` computes with them and
:mod:`business_calendar.table` reads them from files and options.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta, timezone
from enum import StrEnum

#: Asia/Ho_Chi_Minh as a fixed offset: Vietnam has kept UTC+7 without DST since 1975. The node
#: (gateway.core.clock) uses this very object, so that its instants take the calendar's fast
#: path (same tzinfo: compared field by field); the other leaves keep a same-named copy.
VN_TZ = timezone(timedelta(hours=7), "+07:00")


class CalendarError(ValueError):
    """A calendar that cannot be built or a question it cannot answer, with a stable code.

    Codes: ``CALENDAR_FORMAT`` (a bad override row, session or schedule), ``CALENDAR_RANGE``
    (an instant outside the supported years), ``CALENDAR_NAIVE_TIME`` (an instant without a
    time zone), ``CALENDAR_NO_SESSION`` (no working session for years), ``CALENDAR_NEGATIVE``.
    The same shape as the other packages' errors: ``code``, ``message``, ``field``, ``as_dict()``.
    """

    code = "CALENDAR"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_dict(self) -> dict[str, str | None]:
        """Return the error as a JSON-ready mapping (``code``, ``message``, ``field``)."""
        return {"code": self.code, "message": self.message, "field": self.field}


def _format(clock: time) -> str:
    return f"{clock.hour:02d}:{clock.minute:02d}"


@dataclass(frozen=True, order=True)
class Session:
    """One office session of a day, half-open: ``start <= t < end`` (local time, +07:00)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        for clock in (self.start, self.end):
            if clock.tzinfo is not None or clock.second or clock.microsecond:
                raise CalendarError(
                    f"session times are local whole minutes, not {clock.isoformat()}",
                    code="CALENDAR_FORMAT",
                    field="hours",
                )
        if self.start >= self.end:
            raise CalendarError(
                f"session {self} ends before it starts", code="CALENDAR_FORMAT", field="hours"
            )

    @property
    def start_s(self) -> int:
        """Seconds from midnight to the start."""
        return self.start.hour * 3600 + self.start.minute * 60

    @property
    def end_s(self) -> int:
        """Seconds from midnight to the end."""
        return self.end.hour * 3600 + self.end.minute * 60

    def __str__(self) -> str:
        return f"{_format(self.start)}-{_format(self.end)}"


#: Default sessions: 07:30–11:30 and 13:30–17:00 (the winter hours of domain.md §4).
DEFAULT_SESSIONS = (Session(time(7, 30), time(11, 30)), Session(time(13, 30), time(17, 0)))


@dataclass(frozen=True)
class Schedule:
    """The sessions of the working days in a date range or a yearly season.

    ``first``/``last`` bound an absolute range (inclusive, either may be open); ``season`` is a
    yearly range of (month, day) pairs, inclusive, which may wrap over the new year (Oct 1 to
    Apr 30). With neither the schedule covers every day.
    """

    sessions: tuple[Session, ...]
    first: date | None = None
    last: date | None = None
    season: tuple[tuple[int, int], tuple[int, int]] | None = None

    def __post_init__(self) -> None:
        if not self.sessions:
            raise CalendarError(
                "a schedule needs at least one session", code="CALENDAR_FORMAT", field="hours"
            )
        for before, after in zip(self.sessions, self.sessions[1:], strict=False):
            if after.start < before.end:
                raise CalendarError(
                    f"sessions {before} and {after} overlap or are out of order",
                    code="CALENDAR_FORMAT",
                    field="hours",
                )
        if self.first and self.last and self.first > self.last:
            raise CalendarError(
                f"schedule {self} ends before it starts", code="CALENDAR_FORMAT", field="hours"
            )
        if self.season is not None:
            for month, day in self.season:
                try:
                    date(2000, month, day)  # a leap year: 02-29 is a valid season bound
                except ValueError:
                    raise CalendarError(
                        f"no day {month:02d}-{day:02d} in a year",
                        code="CALENDAR_FORMAT",
                        field="hours",
                    ) from None

    def covers(self, day: date) -> bool:
        """True when the schedule applies on ``day``."""
        if self.first is not None and day < self.first:
            return False
        if self.last is not None and day > self.last:
            return False
        if self.season is None:
            return True
        start, end = self.season
        here = (day.month, day.day)
        return start <= here <= end if start <= end else (here >= start or here <= end)

    def __str__(self) -> str:
        sessions = ",".join(map(str, self.sessions))
        if self.season is not None:
            (m1, d1), (m2, d2) = self.season
            return f"{m1:02d}-{d1:02d}..{m2:02d}-{d2:02d}={sessions}"
        if self.first is not None or self.last is not None:
            return f"{self.first or ''}..{self.last or ''}={sessions}"
        return sessions


class OverrideKind(StrEnum):
    """The kinds of rows in the override table; values are the CSV ``kind`` strings."""

    DAY_OFF = "day_off"
    MAKE_UP_WORKDAY = "make_up_workday"


@dataclass(frozen=True)
class Override:
    """A published day off or make-up working day, with the notice that set it."""

    day: date
    kind: OverrideKind
    name: str
    source: str
    confidence: str = "high"


class DayKind(StrEnum):
    """What a day is for the office."""

    WORKING = "working"
    MAKE_UP = "make_up"  # a worked day that is usually off (ngày làm bù)
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # statutory holiday or a day off by notice


@dataclass(frozen=True)
class Day:
    """One calendar day as the calendar decided it, with its name and source if any."""

    day: date
    kind: DayKind
    name: str = ""
    source: str = ""
    confidence: str = ""
    sessions: tuple[Session, ...] = ()

    @property
    def working(self) -> bool:
        """True for a working or make-up day."""
        return self.kind is DayKind.WORKING or self.kind is DayKind.MAKE_UP
