"""Vietnam's statutory days from the holidays package, and the make-up days read from its swaps."""

from __future__ import annotations

from datetime import date

from business_calendar.statutory import package_source, vietnam_statutory


def test_package_gives_the_labour_code_holidays() -> None:
    """2025: New Year, Tết (29 Tết to Mùng ba), Hùng Kings, 30/4, 1/5, the 2/5 swap, 1–2/9."""
    days = vietnam_statutory(2025)
    weekdays_off = sorted(day for day in days.days_off if day.weekday() < 5)
    assert weekdays_off == [
        date(2025, 1, 1),
        *(date(2025, 1, d) for d in range(27, 32)),
        date(2025, 4, 7),
        date(2025, 4, 30),
        date(2025, 5, 1),
        date(2025, 5, 2),
        date(2025, 9, 1),
        date(2025, 9, 2),
    ]
    assert days.source == package_source()
    assert days.source.startswith("holidays ")


def test_package_swaps_read_make_up_days_across_years() -> None:
    """A swap's make-up day in the year before or after its day off is found (2014, 2019)."""
    assert date(2014, 12, 27) in vietnam_statutory(2014).make_up  # for Fri 2 Jan 2015
    assert date(2019, 1, 5) in vietnam_statutory(2019).make_up  # for Mon 31 Dec 2018
    assert vietnam_statutory(2024).make_up == {date(2024, 5, 4): "làm bù cho ngày 29/04/2024"}
    assert vietnam_statutory(2027).make_up == {}
