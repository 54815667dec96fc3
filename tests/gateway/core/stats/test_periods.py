"""Reporting periods in +07:00: every named form, ranges, and their cut into rollup cells."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.core.errors import BadRequest
from gateway.core.stats.periods import date_range, local_day, parse_period, split


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-03-02", date(2026, 3, 2), date(2026, 3, 2)),
        ("2026-W10", date(2026, 3, 2), date(2026, 3, 8)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026-h2", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_named_periods(text: str, start: date, end: date) -> None:
    """Each named form covers the days it names."""
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    "text", ["2026-H3", "2026-13", "2026-W54", "26", "2026-02-30", "last year"]
)
def test_bad_periods_are_coded(text: str) -> None:
    """An unreadable period is STATS_PERIOD naming the field."""
    with pytest.raises(BadRequest) as caught:
        parse_period(text)
    assert caught.value.code == "STATS_PERIOD"
    assert caught.value.field == "period"


def test_a_reversed_range_is_refused() -> None:
    """The end may not come before the start."""
    with pytest.raises(BadRequest):
        date_range(date(2026, 3, 2), date(2026, 3, 1))


def test_the_local_day_is_vietnams() -> None:
    """17:30 UTC is already the next day in Vietnam."""
    assert local_day(datetime(2026, 3, 1, 17, 30, tzinfo=UTC)) == date(2026, 3, 2)


@given(st.dates(date(2024, 1, 1), date(2027, 12, 31)), st.integers(0, 800))
def test_split_covers_every_day_once(start: date, length: int) -> None:
    """Whole months and end days together cover each day of the range exactly once."""
    period = date_range(start, start + timedelta(days=length))
    cut = split(period)
    days: list[date] = []
    for month in cut.months:
        day = month
        while day.month == month.month:
            days.append(day)
            day += timedelta(days=1)
    for first, last in cut.days:
        days += [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert sorted(days) == [period.start + timedelta(days=i) for i in range(period.days)]
    assert len(cut.days) <= 2
