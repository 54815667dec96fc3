"""The precomputed office sessions of consecutive years, for the calendar's fast questions.

A :class:`SessionIndex` turns "which sessions does this day have" into a :class:`Span`: the
sessions of whole years as sorted epoch seconds ``[start0, end0, start1, end1, ...]``, the office
seconds before each session, and one entry per local day with its sessions as datetimes and the
next working day's first session start. Years are computed once each (cached) and joined on
demand into one contiguous span, so each question is a ``bisect`` over integers or two datetime
comparisons. The span only grows; it is replaced in one assignment, so a reader sees a whole span.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from business_calendar.model import VN_TZ, CalendarError, Session

#: Years the calendar answers for; an instant outside is refused (CALENDAR_RANGE).
SUPPORTED_YEARS = range(1900, 2200)
#: Years searched for a working session or day before giving up (CALENDAR_NO_SESSION).
SEARCH_YEARS = 10

_OFFSET = 7 * 3600  # Asia/Ho_Chi_Minh, UTC+7 since 1975, no DST
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

#: One day: its sessions as (start, end) datetimes in +07:00, and the first session start of the
#: next working day (None past the span's end, where the span must grow to know).
DayEntry = tuple[tuple[tuple[datetime, datetime], ...], datetime | None]


def day_epoch(day: date) -> int:
    """Epoch seconds of local midnight (+07:00) at the start of ``day``."""
    return (day.toordinal() - _EPOCH_ORDINAL) * 86400 - _OFFSET


def year_of(epoch: float) -> int:
    """The local (+07:00) year of an epoch instant; 0 when no date can hold it."""
    try:
        return date.fromordinal(int((epoch + _OFFSET) // 86400) + _EPOCH_ORDINAL).year
    except (ValueError, OverflowError):
        return 0


@dataclass(slots=True)
class Span:
    """The sessions of the years ``first..last``: ``lo <= epoch < hi``, days from ``ordinal``."""

    first: int = 0
    last: int = -1
    lo: int = 0
    hi: int = 0
    bounds: list[int] = field(default_factory=list)
    before: list[int] = field(default_factory=lambda: [0])
    ordinal: int = 0
    days: list[DayEntry] = field(default_factory=list)

    def office_s(self, second: int) -> int:
        """Office seconds from the span's start to the whole epoch ``second``."""
        index = bisect_right(self.bounds, second)
        office = self.before[index >> 1]
        if index & 1:  # inside a session: bisect_right puts a start itself inside
            office += second - self.bounds[index - 1]
        return office


class SessionIndex:
    """Spans of precomputed sessions, built from ``sessions_of(day)`` (empty: not worked)."""

    def __init__(self, sessions_of: Callable[[date], tuple[Session, ...]]) -> None:
        self._sessions_of = sessions_of
        self._years: dict[int, list[int]] = {}
        self.span = Span()

    def year_bounds(self, year: int) -> list[int]:
        """The epoch bounds of every session of ``year``, in order (cached)."""
        found = self._years.get(year)
        if found is None:
            found = []
            for index in range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()):
                day = date.fromordinal(index)
                midnight = day_epoch(day)
                for session in self._sessions_of(day):
                    found += (midnight + session.start_s, midnight + session.end_s)
            self._years[year] = found
        return found

    def _day_entries(self, first: int, end: int) -> list[DayEntry]:
        """The entries of the days with ordinals ``first <= ordinal < end``."""
        entries: list[DayEntry] = []
        following: datetime | None = None
        for index in range(end - 1, first - 1, -1):  # backwards: the next start is known
            day = date.fromordinal(index)
            pairs = tuple(
                (datetime.combine(day, s.start, VN_TZ), datetime.combine(day, s.end, VN_TZ))
                for s in self._sessions_of(day)
            )
            entries.append((pairs, following))
            if pairs:
                following = pairs[0][0]
        entries.reverse()
        return entries

    def build(self, first: int, last: int) -> Span:
        """The span of the years ``first..last``, which becomes the current one."""
        for year in (first, last):
            if year not in SUPPORTED_YEARS:
                raise CalendarError(
                    f"year {year} is outside the calendar's years "
                    f"{SUPPORTED_YEARS.start}-{SUPPORTED_YEARS.stop - 1}",
                    code="CALENDAR_RANGE",
                    field="instant",
                )
        bounds: list[int] = []
        for year in range(first, last + 1):
            bounds += self.year_bounds(year)
        before, total = [0], 0
        for index in range(0, len(bounds), 2):
            total += bounds[index + 1] - bounds[index]
            before.append(total)
        start, end = date(first, 1, 1), date(last + 1, 1, 1)
        days = self._day_entries(start.toordinal(), end.toordinal())
        span = Span(
            first, last, day_epoch(start), day_epoch(end), bounds, before, start.toordinal(), days
        )
        self.span = span
        return span

    def covering(self, low: float, high: float) -> Span:
        """The span, grown if needed to cover the epoch instants ``low <= high``."""
        span = self.span
        if span.lo <= low and high < span.hi:
            return span
        first, last = year_of(low), year_of(high)
        if span.last >= span.first:
            first, last = min(first, span.first), max(last, span.last)
        return self.build(first, last)

    def grow(self, span: Span) -> Span:
        """``span`` with one more year at its end (indices of its bounds are unchanged)."""
        grown = self.build(span.first, span.last + 1)
        recent = range(grown.last - SEARCH_YEARS + 1, grown.last + 1)
        if grown.last - grown.first >= SEARCH_YEARS and not any(map(self.year_bounds, recent)):
            raise CalendarError(
                f"no office session in the {SEARCH_YEARS} years to {grown.last}",
                code="CALENDAR_NO_SESSION",
            )
        return grown

    def legal_epoch(self, epoch: float) -> float:
        """``epoch`` if it is office time, else the start of the next session (epoch seconds)."""
        span = self.span
        if not span.lo <= epoch < span.hi:
            span = self.covering(epoch, epoch)
        bounds = span.bounds
        index = bisect_right(bounds, epoch)
        if index & 1:  # inside [start, end)
            return epoch
        while index >= len(bounds):
            span = self.grow(span)
            bounds = span.bounds
        return bounds[index]
