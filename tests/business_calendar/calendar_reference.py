"""A deliberately plain reference calendar for the tests: the shared CSV, weekends, datetimes.

For 2024–2026 the shared table lists every weekday the ``holidays`` package gives off, so the
table alone, the five-day week and the default sessions decide every day of those years; the
reference walks forward day by day with datetime comparisons, no precomputation.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, time, timedelta

from business_calendar import VN_TZ
from tests.conftest import SHARED

SHARED_CSV = SHARED / "data" / "calendar" / "vn-civil-service-days.csv"
SESSIONS = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
#: Local instants from here up to COVERED_UNTIL have their answer inside the CSV's years.
COVERED_FROM = datetime(2024, 1, 1, tzinfo=VN_TZ)
COVERED_UNTIL = datetime(2026, 12, 31, tzinfo=VN_TZ)


def shared_rows() -> list[dict[str, str]]:
    """The rows of the shared override table."""
    with SHARED_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


_ROWS = shared_rows()
DAYS_OFF = {date.fromisoformat(row["date"]) for row in _ROWS if row["kind"] == "day_off"}
MAKE_UP = {date.fromisoformat(row["date"]) for row in _ROWS if row["kind"] == "make_up_workday"}


def working(day: date) -> bool:
    """The reference's working day: CSV first, then Monday to Friday."""
    if day in DAYS_OFF:
        return False
    return day in MAKE_UP or day.weekday() < 5


def reference_legal(t: datetime) -> datetime:
    """The legal receipt time, walking forward one day at a time."""
    local = t.astimezone(VN_TZ)
    day = local.date()
    while True:
        if working(day):
            for start, end in SESSIONS:
                opens = datetime.combine(day, start, VN_TZ)
                closes = datetime.combine(day, end, VN_TZ)
                if local < opens:
                    return opens
                if local < closes:
                    return local
        day += timedelta(days=1)
        local = datetime.combine(day, time(0), VN_TZ)
