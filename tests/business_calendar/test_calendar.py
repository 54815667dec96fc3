"""The business calendar's rules, pinned to the shared table and to the edge cases of the issue."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from business_calendar import VN_TZ
from business_calendar.calendar import (
    BusinessCalendar,
    CalendarError,
    DayKind,
    Override,
    OverrideKind,
    Schedule,
    Session,
)
from business_calendar.statutory import StatutoryDays
from business_calendar.table import load_calendar
from tests.business_calendar.calendar_reference import reference_legal, shared_rows


def vn(y: int, m: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    """A local instant in +07:00."""
    return datetime(y, m, d, h, mi, s, us, tzinfo=VN_TZ)


@pytest.fixture(scope="module")
def cal() -> BusinessCalendar:
    """The shipped calendar: default sessions, holidays VN and the shipped override table."""
    return load_calendar()


HIGH_ROWS = [row for row in shared_rows() if row["confidence"] == "high"]


# -- pinned to the shared table -----------------------------------------------------------------


@pytest.mark.parametrize("row", HIGH_ROWS, ids=[f"{r['date']}-{r['kind']}" for r in HIGH_ROWS])
def test_every_high_confidence_row_of_the_shared_table_holds(
    cal: BusinessCalendar, row: dict[str, str]
) -> None:
    """Each high-confidence row decides its day, with its name and source, and legal times."""
    day = date.fromisoformat(row["date"])
    found = cal.day(day)
    assert (found.name, found.source) == (row["name"], row["source"])
    morning = vn(day.year, day.month, day.day, 9)
    if row["kind"] == "day_off":
        assert found.kind is DayKind.HOLIDAY
        assert not cal.is_working_day(day)
        legal = cal.legal_receipt_time(morning)
        assert legal == reference_legal(morning)
        assert legal.date() > day
        assert legal.timetz() == time(7, 30, tzinfo=VN_TZ)
    else:
        assert found.kind is DayKind.MAKE_UP
        assert cal.is_working_day(day)
        assert cal.legal_receipt_time(morning) == morning
        eve = datetime.combine(day - timedelta(days=1), time(17), VN_TZ)
        assert cal.legal_receipt_time(eve) == datetime.combine(day, time(7, 30), VN_TZ)


def test_lower_confidence_rows_apply_too(cal: BusinessCalendar) -> None:
    """Medium and low rows are applied (confidence is shown, not weighed)."""
    assert cal.day(date(2026, 8, 22)).kind is DayKind.MAKE_UP
    assert cal.day(date(2026, 8, 22)).confidence == "medium"
    assert not cal.is_working_day(date(2026, 8, 31))
    assert cal.day(date(2026, 11, 24)).confidence == "low"
    assert not cal.is_working_day(date(2026, 11, 24))


# -- sessions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "legal"),
    [
        (vn(2025, 3, 4, 7, 29, 59), vn(2025, 3, 4, 7, 30)),
        (vn(2025, 3, 4, 7, 30), vn(2025, 3, 4, 7, 30)),
        (vn(2025, 3, 4, 11, 29, 59), vn(2025, 3, 4, 11, 29, 59)),
        (vn(2025, 3, 4, 11, 29, 59, 999999), vn(2025, 3, 4, 11, 29, 59, 999999)),
        (vn(2025, 3, 4, 11, 30), vn(2025, 3, 4, 13, 30)),
        (vn(2025, 3, 4, 12, 15), vn(2025, 3, 4, 13, 30)),
        (vn(2025, 3, 4, 13, 29, 59, 999999), vn(2025, 3, 4, 13, 30)),
        (vn(2025, 3, 4, 13, 30), vn(2025, 3, 4, 13, 30)),
        (vn(2025, 3, 4, 16, 59, 59), vn(2025, 3, 4, 16, 59, 59)),
        (vn(2025, 3, 4, 17, 0), vn(2025, 3, 5, 7, 30)),
        (vn(2025, 3, 4, 0, 0), vn(2025, 3, 4, 7, 30)),
    ],
    ids=lambda value: value.strftime("%H:%M:%S.%f") if isinstance(value, datetime) else None,
)
def test_first_and_last_second_of_each_session(
    cal: BusinessCalendar, at: datetime, legal: datetime
) -> None:
    """Sessions are half-open: 07:30:00 and 13:30:00 are in, 11:30:00 and 17:00:00 are out."""
    assert cal.legal_receipt_time(at) == legal
    assert cal.is_office_time(at) is (at == legal)


@pytest.mark.parametrize(
    ("at", "legal"),
    [
        (vn(2025, 3, 7, 17, 0), vn(2025, 3, 10, 7, 30)),  # Friday 17:00
        (vn(2025, 3, 7, 22, 30), vn(2025, 3, 10, 7, 30)),  # Friday night
        (vn(2025, 3, 8, 10, 0), vn(2025, 3, 10, 7, 30)),  # Saturday in "office hours"
        (vn(2025, 3, 9, 23, 59, 59), vn(2025, 3, 10, 7, 30)),  # Sunday, last second
    ],
)
def test_friday_night_and_weekend_go_to_monday(
    cal: BusinessCalendar, at: datetime, legal: datetime
) -> None:
    """Saturday and Sunday are off: a weekend receipt counts from Monday 07:30."""
    assert cal.legal_receipt_time(at) == legal


@pytest.mark.parametrize(
    ("friday", "saturday"),
    [
        (date(2024, 5, 3), date(2024, 5, 4)),
        (date(2025, 4, 25), date(2025, 4, 26)),
        (date(2026, 1, 9), date(2026, 1, 10)),
    ],
)
def test_make_up_saturdays_are_worked(cal: BusinessCalendar, friday: date, saturday: date) -> None:
    """Friday 17:00 before a make-up Saturday counts from Saturday 07:30; its sessions are open."""
    assert cal.legal_receipt_time(datetime.combine(friday, time(17), VN_TZ)) == datetime.combine(
        saturday, time(7, 30), VN_TZ
    )
    assert cal.is_office_time(datetime.combine(saturday, time(16, 59, 59), VN_TZ))
    assert not cal.is_office_time(datetime.combine(saturday, time(12), VN_TZ))
    assert cal.next_working_day(friday) == saturday


@pytest.mark.parametrize(
    ("at", "legal"),
    [
        (vn(2024, 4, 26, 17), vn(2024, 5, 2, 7, 30)),  # 29/4 swapped, 30/4, 1/5
        (vn(2025, 4, 29, 17), vn(2025, 5, 5, 7, 30)),  # 30/4, 1/5, 2/5 swapped, weekend
        (vn(2026, 4, 24, 17), vn(2026, 4, 28, 7, 30)),  # Hùng Kings on Sunday 26/4 -> Mon 27/4
        (vn(2026, 8, 28, 17), vn(2026, 9, 3, 7, 30)),  # 31/8 swapped for Sat 22/8, 1/9, 2/9
    ],
)
def test_holiday_bridges(cal: BusinessCalendar, at: datetime, legal: datetime) -> None:
    """Swapped days off and observed days join the holidays into one closed stretch."""
    assert cal.legal_receipt_time(at) == legal


def test_weekend_holiday_is_observed_on_the_next_working_day(cal: BusinessCalendar) -> None:
    """Hùng Kings 2026 (Sunday 26/4): holidays VN and the table both give Monday 27/4 off."""
    package_only = BusinessCalendar()
    for calendar in (cal, package_only):
        assert calendar.day(date(2026, 4, 26)).kind is DayKind.HOLIDAY
        assert not calendar.is_working_day(date(2026, 4, 27))
    assert "nghỉ bù" in package_only.day(date(2026, 4, 27)).name
    # Beyond the table the package decides: 1 May 2027 is a Saturday, Monday 3 May is off.
    assert cal.legal_receipt_time(vn(2027, 4, 29, 17)) == vn(2027, 5, 4, 7, 30)


def test_the_override_table_wins_over_the_package() -> None:
    """A day the package misses is off by the table; a table workday beats a package holiday."""
    assert BusinessCalendar().is_working_day(date(2026, 1, 2))  # the package misses this swap
    assert not load_calendar().is_working_day(date(2026, 1, 2))
    overrides = [Override(date(2027, 5, 3), OverrideKind.MAKE_UP_WORKDAY, "test", "test notice")]
    calendar = BusinessCalendar(overrides=overrides)
    assert calendar.day(date(2027, 5, 3)).kind is DayKind.MAKE_UP
    assert calendar.legal_receipt_time(vn(2027, 5, 1, 9)) == vn(2027, 5, 3, 7, 30)


def test_package_swaps_give_their_make_up_saturday_as_working() -> None:
    """Without the table, the package's swap labels still make the Saturday a working day."""
    package_only = BusinessCalendar()
    for saturday in (date(2024, 5, 4), date(2025, 4, 26), date(2026, 8, 22)):
        assert package_only.day(saturday).kind is DayKind.MAKE_UP, saturday


@pytest.mark.parametrize(
    ("at", "legal"),
    [
        (vn(2024, 2, 7, 17), vn(2024, 2, 15, 7, 30)),  # Tết Giáp Thìn: 8/2 to 14/2
        (vn(2024, 2, 10, 10), vn(2024, 2, 15, 7, 30)),
        (vn(2025, 1, 24, 17), vn(2025, 2, 3, 7, 30)),  # Tết Ất Tỵ: 25/1 to 2/2
        (vn(2025, 1, 29, 0), vn(2025, 2, 3, 7, 30)),
        (vn(2025, 2, 2, 23, 59, 59, 999999), vn(2025, 2, 3, 7, 30)),
        (vn(2026, 2, 13, 17), vn(2026, 2, 23, 7, 30)),  # Tết Bính Ngọ: 14/2 to 22/2
        (vn(2026, 2, 18, 9), vn(2026, 2, 23, 7, 30)),
    ],
)
def test_the_whole_tet_week(cal: BusinessCalendar, at: datetime, legal: datetime) -> None:
    """Anything received during Tết counts from the first session after it."""
    assert cal.legal_receipt_time(at) == legal


@pytest.mark.parametrize(
    ("at", "legal"),
    [
        (vn(2023, 12, 29, 17), vn(2024, 1, 2, 7, 30)),
        (vn(2024, 12, 31, 17), vn(2025, 1, 2, 7, 30)),
        (vn(2025, 12, 31, 16, 59, 59), vn(2025, 12, 31, 16, 59, 59)),
        (vn(2025, 12, 31, 17), vn(2026, 1, 5, 7, 30)),  # 1/1, 2/1 swapped, weekend
        (vn(2026, 12, 31, 17), vn(2027, 1, 4, 7, 30)),  # beyond the table: package's 1/1/2027
    ],
)
def test_new_years_eve_to_the_first_working_day(
    cal: BusinessCalendar, at: datetime, legal: datetime
) -> None:
    """Year ends: the answer may lie in the next year, whose sessions are built on demand."""
    assert cal.legal_receipt_time(at) == legal


@pytest.mark.parametrize(
    ("text", "legal"),
    [
        ("2025-12-31T10:00:00+00:00", "2026-01-05T07:30:00+07:00"),
        ("2026-01-05T00:30:00+00:00", "2026-01-05T07:30:00+07:00"),
        ("2026-01-04T19:30:00-05:00", "2026-01-05T07:30:00+07:00"),
        ("2026-01-05T09:30:00+09:00", "2026-01-05T07:30:00+07:00"),
        ("2026-01-05T09:44:59+05:45", "2026-01-05T10:59:59+07:00"),
        ("2026-01-05T04:30:00+00:00", "2026-01-05T13:30:00+07:00"),
    ],
)
def test_instants_in_utc_and_other_offsets(cal: BusinessCalendar, text: str, legal: str) -> None:
    """Any offset is the same instant; the answer is always given in +07:00."""
    answer = cal.legal_receipt_time(datetime.fromisoformat(text))
    assert answer.isoformat() == legal
    assert answer.utcoffset() == timedelta(hours=7)


def test_a_naive_instant_is_refused(cal: BusinessCalendar) -> None:
    """Naive datetimes are refused with CALENDAR_NAIVE_TIME (never read in the machine's zone)."""
    with pytest.raises(CalendarError) as caught:
        cal.legal_receipt_time(datetime(2025, 3, 4, 9))  # noqa: DTZ001 (the refused input)
    assert caught.value.code == "CALENDAR_NAIVE_TIME"


def test_an_instant_outside_the_supported_years_is_refused(cal: BusinessCalendar) -> None:
    """Years far outside any plausible use give CALENDAR_RANGE, not a long computation."""
    with pytest.raises(CalendarError) as caught:
        cal.legal_receipt_time(datetime(1800, 1, 1, tzinfo=UTC))
    assert caught.value.code == "CALENDAR_RANGE"


def test_a_calendar_without_working_days_says_so() -> None:
    """A calendar that never opens gives CALENDAR_NO_SESSION instead of looping."""

    def everything_off(year: int) -> StatutoryDays:
        day, off = date(year, 1, 1), {}
        while day.year == year:
            off[day] = "closed"
            day += timedelta(days=1)
        return StatutoryDays(off, {}, "test")

    with pytest.raises(CalendarError) as caught:
        BusinessCalendar(statutory=everything_off).legal_receipt_time(vn(2025, 3, 4, 9))
    assert caught.value.code == "CALENDAR_NO_SESSION"


# -- schedules ------------------------------------------------------------------------------------


def test_seasonal_and_dated_schedules_replace_the_default_sessions() -> None:
    """The first schedule covering a day gives its sessions; a season may wrap over New Year."""
    summer = Schedule(
        (Session(time(7), time(11, 30)), Session(time(13, 30), time(17))), season=((5, 1), (9, 30))
    )
    late = Schedule((Session(time(8), time(12)),), first=date(2025, 12, 1), last=date(2026, 1, 31))
    winter = Schedule((Session(time(8), time(16)),), season=((12, 1), (2, 28)))
    calendar = BusinessCalendar(schedules=(summer, late, winter), statutory=None)
    assert calendar.legal_receipt_time(vn(2025, 6, 2, 7)) == vn(2025, 6, 2, 7)
    assert calendar.legal_receipt_time(vn(2025, 10, 1, 7)) == vn(2025, 10, 1, 7, 30)
    assert calendar.legal_receipt_time(vn(2025, 12, 1, 12)) == vn(2025, 12, 2, 8)
    assert calendar.legal_receipt_time(vn(2027, 1, 4, 12)) == vn(2027, 1, 4, 12)
    assert calendar.end_of_business_day(date(2027, 1, 4)) == vn(2027, 1, 4, 16)


# -- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "minutes"),
    [
        (vn(2025, 3, 4), vn(2025, 3, 5), 450),  # one working day: 4 h + 3 h 30
        (vn(2025, 3, 4, 11), vn(2025, 3, 4, 14), 60),  # across lunch
        (vn(2025, 3, 7, 16), vn(2025, 3, 10, 8), 90),  # Friday to Monday
        (vn(2026, 2, 13, 16), vn(2026, 2, 23, 8), 90),  # across Tết
        (vn(2025, 3, 4, 14), vn(2025, 3, 4, 11), -60),  # backwards
        (vn(2025, 3, 4, 12), vn(2025, 3, 4, 13), 0),  # lunch only
        (vn(2025, 3, 4, 9, 0, 59), vn(2025, 3, 4, 9, 1), 1),  # whole minutes, seconds dropped
    ],
)
def test_business_minutes(cal: BusinessCalendar, a: datetime, b: datetime, minutes: int) -> None:
    """Office minutes between two instants count sessions only."""
    assert cal.business_minutes(a, b) == minutes


def test_business_time_is_exact(cal: BusinessCalendar) -> None:
    """business_time keeps seconds and microseconds, across days and offsets."""
    a = vn(2025, 3, 4, 16, 59, 30, 250)
    b = datetime(2025, 3, 5, 0, 30, 10, tzinfo=UTC)  # 07:30:10 +07:00
    assert cal.business_time(a, b) == timedelta(seconds=40, microseconds=-250)


@pytest.mark.parametrize(
    ("start", "minutes", "end"),
    [
        (vn(2025, 3, 4, 11), 45, vn(2025, 3, 4, 13, 45)),
        (vn(2025, 3, 4, 16, 30), 30, vn(2025, 3, 4, 17)),  # the earliest instant: the end
        (vn(2025, 3, 4, 16, 30), 31, vn(2025, 3, 5, 7, 31)),
        (vn(2025, 3, 4, 20), 0, vn(2025, 3, 4, 20)),
        (vn(2025, 3, 4, 20), 1, vn(2025, 3, 5, 7, 31)),
        (vn(2026, 2, 13, 16, 30), 60, vn(2026, 2, 23, 8)),
        (vn(2025, 12, 31, 16), 450, vn(2026, 1, 5, 16)),
    ],
)
def test_add_business_minutes(
    cal: BusinessCalendar, start: datetime, minutes: int, end: datetime
) -> None:
    """Adding office minutes skips lunch, nights, weekends and holidays."""
    assert cal.add_business_minutes(start, minutes) == end


def test_negative_business_time_is_refused(cal: BusinessCalendar) -> None:
    """add_business_minutes counts forward only."""
    with pytest.raises(CalendarError):
        cal.add_business_minutes(vn(2025, 3, 4, 9), -1)


# -- days and deadlines -------------------------------------------------------------------------


def test_next_working_day_and_end_of_business(cal: BusinessCalendar) -> None:
    """next_working_day skips days off; end_of_business_day rolls a day off forward."""
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)
    assert cal.next_working_day(date(2026, 1, 9)) == date(2026, 1, 10)
    assert cal.end_of_business_day(date(2026, 3, 2)) == vn(2026, 3, 2, 17)
    assert cal.end_of_business_day(date(2026, 2, 14)) == vn(2026, 2, 23, 17)


@pytest.mark.parametrize(
    ("signed", "deadline"),
    [
        (date(2026, 3, 2), vn(2026, 3, 3, 11, 30)),
        (date(2026, 1, 9), vn(2026, 1, 10, 11, 30)),  # make-up Saturday
        (date(2026, 2, 13), vn(2026, 2, 23, 11, 30)),  # before Tết
        (date(2025, 1, 1), vn(2025, 1, 2, 11, 30)),  # signed on a holiday
        (date(2025, 3, 8), vn(2025, 3, 10, 11, 30)),  # signed on a Saturday
    ],
)
def test_send_deadline(cal: BusinessCalendar, signed: date, deadline: datetime) -> None:
    """NĐ 30/2020 Art. 18(1): end of the morning of the next working day after signing."""
    assert cal.send_deadline(signed) == deadline


@pytest.mark.parametrize(
    ("due", "deadline"),
    [
        (date(2026, 3, 2), vn(2026, 3, 2, 17)),
        (date(2026, 2, 17), vn(2026, 2, 23, 17)),  # due during Tết
        (date(2026, 3, 7), vn(2026, 3, 9, 17)),  # due on a Saturday
        (date(2026, 1, 10), vn(2026, 1, 10, 17)),  # due on a make-up Saturday
    ],
)
def test_due_deadline(cal: BusinessCalendar, due: date, deadline: datetime) -> None:
    """Civil Code 2015 Art. 148(5): a due date on a day off moves to the next working day."""
    assert cal.due_deadline(due) == deadline


def test_notice_deadline(cal: BusinessCalendar) -> None:
    """NĐ 30/2020 Art. 21(2)(b): notify by the end of the legal receipt's business day."""
    assert cal.notice_deadline(vn(2026, 2, 13, 16, 59)) == vn(2026, 2, 13, 17)
    assert cal.notice_deadline(vn(2026, 2, 13, 17)) == vn(2026, 2, 23, 17)
    assert cal.notice_deadline(datetime(2026, 3, 2, 1, tzinfo=UTC)) == vn(2026, 3, 2, 17)


def test_month_lists_every_day(cal: BusinessCalendar) -> None:
    """month() gives each day with its kind: February 2026 has 15 working days, 5 of Tết."""
    days = cal.month(2026, 2)
    assert [d.day.day for d in days] == list(range(1, 29))
    assert sum(d.working for d in days) == 15
    assert [d.day.day for d in days if d.kind is DayKind.HOLIDAY] == [16, 17, 18, 19, 20]
    assert days[1].sessions == cal.sessions


# -- version ------------------------------------------------------------------------------------


def test_version_is_a_hash_of_the_effective_content(cal: BusinessCalendar) -> None:
    """Same content, same version; a worked day, a session or a schedule changes it."""
    assert len(cal.version) == 16
    assert load_calendar().version == cal.version
    rows = list(cal.overrides)
    renamed = [Override(r.day, r.kind, r.name + " (renamed)", "another source") for r in rows]
    assert BusinessCalendar(overrides=renamed).version == cal.version
    extra = Override(date(2026, 6, 1), OverrideKind.DAY_OFF, "extra", "notice")
    assert BusinessCalendar(overrides=[*rows, extra]).version != cal.version
    assert BusinessCalendar(overrides=rows[:-1]).version == cal.version  # 24/11: package agrees
    assert BusinessCalendar(overrides=rows[1:]).version == cal.version  # 1/1/2024 likewise
    assert BusinessCalendar(overrides=rows).version == cal.version
    shorter = (Session(time(7, 30), time(11, 30)), Session(time(13, 30), time(16, 30)))
    assert BusinessCalendar(shorter, overrides=rows).version != cal.version
    far = Override(date(2150, 6, 1), OverrideKind.DAY_OFF, "far", "notice")
    assert BusinessCalendar(overrides=[*rows, far]).version != cal.version
