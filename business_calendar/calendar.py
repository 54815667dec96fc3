"""The business calendar: office sessions, working days and the legal times built on them.

Rules (domain.md §3–4, docs/calendar.md):

- Office time is a half-open session ``start <= t < end`` on a working day, in Asia/Ho_Chi_Minh
  (+07:00, no DST). Default sessions 07:30–11:30 and 13:30–17:00; schedules replace them for a
  date range or a yearly season. The lunch gap is outside office hours.
- A day is decided by, in order: the override table (extra days off, make-up working days; the
  published notices, so they win), the statutory days of :mod:`~business_calendar.statutory`,
  then the five-day week (QĐ 188/1999/QĐ-TTg: Saturday and Sunday off).
- Receipt outside office hours counts from the start of the next session (NĐ 64/2007 Art. 36;
  Lạng Sơn 2020 Art. 11(2); Khánh Hòa 2021 Art. 10(2)).

Speed: the sessions of the years in use are precomputed once (:mod:`business_calendar.sessions`):
a legal receipt time is one list index and a few datetime comparisons, a duration a ``bisect``
over epoch seconds.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

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
from business_calendar.sessions import SEARCH_YEARS, SessionIndex
from business_calendar.statutory import StatutoryDays, vietnam_statutory

__all__ = [
    "DEFAULT_SESSIONS",
    "BusinessCalendar",
    "CalendarError",
    "Day",
    "DayKind",
    "Override",
    "OverrideKind",
    "Schedule",
    "Session",
]

#: Years whose working days the version hashes (plus every year an override names).
VERSION_YEARS = range(2000, 2100)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_MILLION = 1_000_000


def _aware(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise CalendarError(
            f"{t.isoformat()} has no time zone", code="CALENDAR_NAIVE_TIME", field="instant"
        )
    return t


def _exact_us(t: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding)."""
    return (_aware(t) - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(VN_TZ)


class BusinessCalendar:
    """One node's (or one province's) calendar; pure, its caches filled on first use."""

    def __init__(
        self,
        sessions: Sequence[Session] = DEFAULT_SESSIONS,
        *,
        schedules: Sequence[Schedule] = (),
        overrides: Iterable[Override] = (),
        statutory: Callable[[int], StatutoryDays] | None = vietnam_statutory,
        label: str = "VN",
    ) -> None:
        """Build a calendar.

        ``sessions`` apply on every working day no schedule covers; the first schedule covering a
        day wins. ``overrides`` win over ``statutory`` (``None``: weekends and overrides only).
        """
        self.sessions = Schedule(tuple(sessions)).sessions
        self.schedules = tuple(schedules)
        self.label = label
        self._statutory = statutory
        self._overrides: dict[date, Override] = {}
        for row in overrides:
            if row.day in self._overrides:
                raise CalendarError(f"two overrides for {row.day}", code="CALENDAR_FORMAT")
            self._overrides[row.day] = row
        self.overrides = tuple(sorted(self._overrides.values(), key=lambda row: row.day))
        self._exceptions_cache: dict[int, dict[date, Day]] = {}
        self._index = SessionIndex(self._worked_sessions)
        self._version: str | None = None

    # -- days ---------------------------------------------------------------------------------

    def _exceptions(self, year: int) -> dict[date, Day]:
        """The days of ``year`` not decided by the five-day week alone."""
        found = self._exceptions_cache.get(year)
        if found is not None:
            return found
        found = {}
        if self._statutory is not None:
            stat = self._statutory(year)
            for day, name in stat.days_off.items():
                found[day] = Day(day, DayKind.HOLIDAY, name, stat.source)
            for day, name in stat.make_up.items():
                found[day] = Day(day, DayKind.MAKE_UP, name, stat.source)
        for row in self._overrides.values():
            if row.day.year == year:
                kind = DayKind.HOLIDAY if row.kind is OverrideKind.DAY_OFF else DayKind.MAKE_UP
                found[row.day] = Day(row.day, kind, row.name, row.source, row.confidence)
        self._exceptions_cache[year] = found
        return found

    def _sessions_on(self, day: date) -> tuple[Session, ...]:
        for schedule in self.schedules:
            if schedule.covers(day):
                return schedule.sessions
        return self.sessions

    def _worked_sessions(self, day: date) -> tuple[Session, ...]:
        return self._sessions_on(day) if self.is_working_day(day) else ()

    def day(self, day: date) -> Day:
        """What ``day`` is: working, make-up, weekend or holiday (with name and source)."""
        found = self._exceptions(day.year).get(day)
        if found is None:
            kind = DayKind.WORKING if day.weekday() < 5 else DayKind.WEEKEND
            found = Day(day, kind)
        return replace(found, sessions=self._sessions_on(day)) if found.working else found

    def is_working_day(self, day: date) -> bool:
        """True when ``day`` has office sessions."""
        found = self._exceptions(day.year).get(day)
        return day.weekday() < 5 if found is None else found.working

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        return self._working_from(day + timedelta(days=1))

    def _working_from(self, day: date) -> date:
        for offset in range(366 * SEARCH_YEARS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError(
            f"no working day within {SEARCH_YEARS} years of {day}", code="CALENDAR_NO_SESSION"
        )

    def end_of_business_day(self, day: date) -> datetime:
        """The end of the last session of ``day``, or of the next working day if it is not one."""
        working = self._working_from(day)
        return datetime.combine(working, self._sessions_on(working)[-1].end, VN_TZ)

    # -- legal receipt time ---------------------------------------------------------------------

    def legal_receipt_epoch(self, epoch: float) -> float:
        """:meth:`legal_receipt_time` on epoch seconds: ``epoch`` or the next session's start."""
        return self._index.legal_epoch(epoch)

    def legal_receipt_time(self, t: datetime) -> datetime:
        """``t`` in +07:00 if it is office time, else the start of the next office session."""
        tz = t.tzinfo
        if tz is not VN_TZ:
            if type(tz) is not timezone:  # None, or a tzinfo that may answer None (naive)
                _aware(t)
            t = t.astimezone(VN_TZ)
        # Fast path: the local day's sessions. Datetimes sharing one tzinfo compare field by
        # field in C, cheaper than any arithmetic on them.
        span = self._index.span
        index = t.toordinal() - span.ordinal
        if 0 <= index < len(span.days):
            pairs, following = span.days[index]
            for start, end in pairs:
                if t < start:
                    return start
                if t < end:  # half-open: the start itself is inside, the end outside
                    return t
            if following is not None:
                return following
        legal = self._index.legal_epoch(t.timestamp())  # grows the span
        return datetime.fromtimestamp(legal, VN_TZ)

    def is_office_time(self, t: datetime) -> bool:
        """True when ``t`` lies in a session (start included, end excluded) of a working day."""
        epoch = _aware(t).timestamp()
        return self._index.legal_epoch(epoch) == epoch

    # -- business durations ---------------------------------------------------------------------

    def business_time(self, a: datetime, b: datetime) -> timedelta:
        """Office time from ``a`` to ``b``, exact to the microsecond (negative when b < a)."""
        ua, ub = _exact_us(a), _exact_us(b)
        span = self._index.covering(min(ua, ub) // _MILLION, max(ua, ub) // _MILLION)

        def office_us(us: int) -> int:
            second, rest = divmod(us, _MILLION)
            inside = rest if bisect_right(span.bounds, second) & 1 else 0
            return span.office_s(second) * _MILLION + inside

        return timedelta(microseconds=office_us(ub) - office_us(ua))

    def business_minutes(self, a: datetime, b: datetime) -> int:
        """Office minutes from ``a`` to ``b``, both taken to the whole minute (seconds dropped).

        Sessions start and end on whole minutes, so the count is exact and additive:
        ``business_minutes(a, b) + business_minutes(b, c) == business_minutes(a, c)``.
        """
        ma, mb = (_exact_us(t) // (60 * _MILLION) * 60 for t in (a, b))
        span = self._index.covering(min(ma, mb), max(ma, mb))
        return (span.office_s(mb) - span.office_s(ma)) // 60

    def add_business_time(self, t: datetime, delta: timedelta) -> datetime:
        """The earliest instant at which ``delta`` of office time has passed since ``t``."""
        if delta < timedelta(0):
            raise CalendarError("cannot add a negative business time", code="CALENDAR_NEGATIVE")
        us = _exact_us(t)
        if not delta:
            return t.astimezone(VN_TZ)
        second, rest = divmod(us, _MILLION)
        span = self._index.covering(second, second)
        inside = rest if bisect_right(span.bounds, second) & 1 else 0
        target = span.office_s(second) * _MILLION + inside + delta // _US
        ceiling = -(-target // _MILLION)
        index = bisect_left(span.before, ceiling)
        while index >= len(span.before):
            span = self._index.grow(span)
            index = bisect_left(span.before, ceiling)
        session = index - 1  # the session in which the target office time is reached
        start_us = span.bounds[2 * session] * _MILLION
        return _from_us(start_us + target - span.before[session] * _MILLION)

    def add_business_minutes(self, t: datetime, minutes: int) -> datetime:
        """``t`` plus ``minutes`` of office time (see :meth:`add_business_time`)."""
        return self.add_business_time(t, timedelta(minutes=minutes))

    # -- legal deadlines ------------------------------------------------------------------------

    def send_deadline(self, promulgation_date: date) -> datetime:
        """The end of the morning session of the next working day after ``promulgation_date``.

        QĐ 28/2018/QĐ-TTg; NĐ 30/2020 Art. 18(1): send on the signing day, at the latest the
        morning of the next working day. The morning session is the day's first session.
        """
        day = self.next_working_day(promulgation_date)
        return datetime.combine(day, self._sessions_on(day)[0].end, VN_TZ)

    def due_deadline(self, due_date: date) -> datetime:
        """The end of business on ``due_date``, or on the next working day if it is not one.

        Civil Code 2015 Art. 148(5): a period ending on a day off ends on the next working day.
        """
        return self.end_of_business_day(due_date)

    def notice_deadline(self, legal_received_at: datetime) -> datetime:
        """The end of the business day of a (legal) receipt instant.

        NĐ 30/2020 Art. 21(2)(b): notify receipt the same day. An instant outside office hours
        is first moved to its legal receipt time.
        """
        legal = self.legal_receipt_time(legal_received_at)
        return self.end_of_business_day(legal.date())

    # -- version --------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        """A hash of the effective content: sessions, schedules and which days are worked.

        Names and sources do not count; the days hashed are those of :data:`VERSION_YEARS` and
        of every year an override names, so a new notice or a ``holidays`` release that moves a
        day in those years gives a new version.
        """
        if self._version is None:
            digest = hashlib.sha256(b"truc-calendar/1\n")
            digest.update(f"sessions {','.join(map(str, self.sessions))}\n".encode())
            for schedule in self.schedules:
                digest.update(f"schedule {schedule}\n".encode())
            years = sorted(set(VERSION_YEARS) | {row.day.year for row in self.overrides})
            for year in years:
                for day, found in sorted(self._exceptions(year).items()):
                    if found.working != (day.weekday() < 5):
                        digest.update(f"{day} {'on' if found.working else 'off'}\n".encode())
            self._version = digest.hexdigest()[:16]
        return self._version

    def month(self, year: int, month: int) -> list[Day]:
        """Every day of a month, in order."""
        day, days = date(year, month, 1), []
        while day.month == month:
            days.append(self.day(day))
            day += timedelta(days=1)
        return days
