"""Reporting periods in Vietnam's time zone: a day, an ISO week, a month, a quarter, a half year
(the 6-monthly report of Cao Bằng 08/2021 Art. 14 and Tuyên Quang 51/2024 Art. 19(9)), a year,
or any range of whole days.

A period is a closed range of local (+07:00) dates. The rollups keep one cell per day and one per
month (:data:`DAY`, :data:`MONTH`); :func:`split` cuts a period into the whole months inside it
and the days left at its ends, so that a 6-month figure reads 6 month cells per agency and a
one-day figure reads one day cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gateway.core.clock import VN_TZ
from gateway.core.errors import BadRequest

#: Rollup grains: one cell per local day, one per local month (its first day names it).
DAY = "d"
MONTH = "m"

#: The longest range a request may ask for (ten years of days).
MAX_DAYS = 3700

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("day", re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")),
    ("week", re.compile(r"^(\d{4})-W(\d{2})$")),
    ("month", re.compile(r"^(\d{4})-(\d{2})$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("half", re.compile(r"^(\d{4})-H([12])$")),
    ("year", re.compile(r"^(\d{4})$")),
)


@dataclass(frozen=True, slots=True)
class Period:
    """A closed range of local dates, with the label it was asked by."""

    start: date
    end: date
    label: str
    kind: str = "range"

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        """True when ``day`` lies in the period."""
        return self.start <= day <= self.end


def local_day(at: datetime) -> date:
    """The local (+07:00) date of an aware instant: the day a document or copy counts on."""
    return at.astimezone(VN_TZ).date()


def month_start(day: date) -> date:
    """The first day of ``day``'s month (the name of its month cell)."""
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _refuse(text: str, why: str) -> BadRequest:
    return BadRequest(f"period {text!r}: {why}", code="STATS_PERIOD", field="period")


def parse_period(text: str) -> Period:
    """A period named ``2026-03-02`` (day), ``2026-W10`` (ISO week), ``2026-03`` (month),
    ``2026-Q1``, ``2026-H1`` (half year), ``2026`` (year); ``STATS_PERIOD`` otherwise."""
    value = text.strip().upper()
    for kind, pattern in _PATTERNS:
        match = pattern.match(value)
        if match is None:
            continue
        year = int(match.group(1))
        try:
            if kind == "day":
                start = end = date(year, int(match.group(2)), int(match.group(3)))
            elif kind == "week":
                start = date.fromisocalendar(year, int(match.group(2)), 1)
                end = start + timedelta(days=6)
            elif kind == "month":
                start = date(year, int(match.group(2)), 1)
                end = _next_month(start) - timedelta(days=1)
            elif kind in ("quarter", "half"):
                months = 3 if kind == "quarter" else 6
                start = date(year, (int(match.group(2)) - 1) * months + 1, 1)
                end = date(
                    year + (start.month + months > 12), (start.month + months - 1) % 12 + 1, 1
                )
                end -= timedelta(days=1)
            else:
                start, end = date(year, 1, 1), date(year, 12, 31)
        except ValueError as exc:
            raise _refuse(text, str(exc)) from None
        return Period(start, end, value, kind)
    raise _refuse(text, "expected YYYY-MM-DD, YYYY-Www, YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY")


def date_range(start: date, end: date) -> Period:
    """The period from ``start`` to ``end`` (both included); ``STATS_PERIOD`` when reversed or
    longer than :data:`MAX_DAYS`."""
    label = f"{start.isoformat()}..{end.isoformat()}"
    if end < start:
        raise _refuse(label, "the end is before the start")
    if (end - start).days + 1 > MAX_DAYS:
        raise _refuse(label, f"longer than {MAX_DAYS} days")
    return Period(start, end, label, "day" if start == end else "range")


@dataclass(frozen=True, slots=True)
class Split:
    """A period as the rollup cells that cover it: whole months, and the days at the ends."""

    months: tuple[date, ...]
    days: tuple[tuple[date, date], ...]  # closed ranges of days


def split(period: Period) -> Split:
    """Cut ``period`` into its whole months and the leftover day ranges at either end."""
    months: list[date] = []
    days: list[tuple[date, date]] = []
    cursor = period.start
    if cursor.day != 1:
        head_end = min(period.end, _next_month(cursor) - timedelta(days=1))
        days.append((cursor, head_end))
        cursor = head_end + timedelta(days=1)
    while cursor <= period.end:
        last = _next_month(cursor) - timedelta(days=1)
        if last <= period.end:
            months.append(cursor)
        else:
            days.append((cursor, period.end))
        cursor = last + timedelta(days=1)
    return Split(tuple(months), tuple(days))
