"""Reading the calendar: the shipped override table, other tables, and the office-hours option."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from business_calendar.calendar import DEFAULT_SESSIONS, CalendarError, OverrideKind, Session
from business_calendar.table import (
    load_calendar,
    load_overrides,
    parse_hours,
    read_overrides,
    shipped_table,
)

HEADER = "date,kind,name,source,confidence\n"


def test_shipped_table_is_a_byte_exact_copy_of_the_shared_file(shared_dir: Path) -> None:
    """business_calendar/data/vn-civil-service-days.csv equals the shared/ file."""
    shared = shared_dir / "data" / "calendar" / "vn-civil-service-days.csv"
    assert shipped_table().read_bytes() == shared.read_bytes()


def test_shipped_table_loads_every_row_with_its_source() -> None:
    """All 42 rows load; kinds, names, sources and confidences are kept."""
    rows = load_overrides()
    assert len(rows) == 42
    first = rows[0]
    assert (first.day, first.kind, first.name, first.source, first.confidence) == (
        date(2024, 1, 1),
        OverrideKind.DAY_OFF,
        "Tết Dương lịch",
        "Labour Code 2019 Art. 112",
        "high",
    )
    assert {row.confidence for row in rows} == {"high", "medium", "low"}
    assert sum(row.kind is OverrideKind.MAKE_UP_WORKDAY for row in rows) == 4


def test_a_table_without_confidence_and_with_a_bom_reads() -> None:
    """The confidence column is optional (high) and a UTF-8 BOM is ignored."""
    rows = read_overrides("\ufeffdate,kind,name,source\n2027-02-08,day_off,Tết,TB 1/TB-BNV\n")
    assert rows[0].confidence == "high"
    assert rows[0].day == date(2027, 2, 8)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date,kind,name\n", "line 1: missing column(s) source"),
        (HEADER + "2027-02-30,day_off,x,TB 1,high\n", "line 2: date '2027-02-30'"),
        (HEADER + "2027-02-08,holiday,x,TB 1,high\n", "line 2: kind 'holiday' is not day_off"),
        (HEADER + "2027-02-08,day_off,x,,high\n", "line 2: 2027-02-08 has no source"),
        (HEADER + "2027-02-08,day_off,x,TB 1,sure\n", "line 2: confidence 'sure'"),
        (
            HEADER + "2027-02-08,day_off,x,TB 1,high\n2027-02-08,day_off,y,TB 2,high\n",
            "line 3: 2027-02-08 is already set on line 2",
        ),
    ],
)
def test_a_bad_row_is_refused_naming_the_line_and_value(text: str, expected: str) -> None:
    """Every refusal is CALENDAR_FORMAT with the origin, the line and the bad value."""
    with pytest.raises(CalendarError) as caught:
        read_overrides(text, "ops.csv")
    assert caught.value.code == "CALENDAR_FORMAT"
    assert f"ops.csv {expected}" in caught.value.message


def test_an_unreadable_table_is_a_file_error(tmp_path: Path) -> None:
    """A missing file gives CALENDAR_FILE naming the path."""
    with pytest.raises(CalendarError) as caught:
        load_overrides(tmp_path / "missing.csv")
    assert caught.value.code == "CALENDAR_FILE"
    assert "missing.csv" in caught.value.message


def test_parse_hours_default_and_schedules() -> None:
    """Default sessions first; seasons (wrapping) and dated ranges after ';'."""
    default, schedules = parse_hours(
        "07:00-11:30,13:30-17:00; 10-01..04-30=07:30-11:30,13:30-17:00; 2026-07-01..=08:00-16:00"
    )
    assert default == (Session(time(7), time(11, 30)), Session(time(13, 30), time(17)))
    winter, dated = schedules
    assert winter.covers(date(2026, 1, 15))
    assert not winter.covers(date(2026, 6, 1))
    assert (dated.first, dated.last) == (date(2026, 7, 1), None)
    assert str(winter) == "10-01..04-30=07:30-11:30,13:30-17:00"
    assert parse_hours("05-01..09-30=07:00-11:30")[0] == DEFAULT_SESSIONS


@pytest.mark.parametrize(
    "spec",
    [
        "7-11",
        "07:30-11:30,11:00-17:00",
        "11:30-07:30",
        "07:30-11:61",
        "07:30-11:30;08:00-12:00",
        "13-01..02-01=07:30-11:30",
        "x..y=07:30-11:30",
        "07:30-11:30,",
        "2026-01-01=07:30-11:30",
    ],
)
def test_bad_hours_are_refused(spec: str) -> None:
    """Malformed, overlapping, reversed or doubled sessions give CALENDAR_FORMAT."""
    with pytest.raises(CalendarError) as caught:
        parse_hours(spec)
    assert caught.value.code == "CALENDAR_FORMAT"


def test_load_calendar_with_another_table_and_hours(tmp_path: Path) -> None:
    """--calendar replaces the shipped table; --hours replaces the sessions."""
    table = tmp_path / "province.csv"
    table.write_text(HEADER + "2026-03-02,day_off,Provincial day,QĐ 1/UBND,high\n", "utf-8")
    calendar = load_calendar(table, "07:00-11:00,13:00-16:00")
    assert not calendar.is_working_day(date(2026, 3, 2))
    assert calendar.is_working_day(date(2026, 1, 2))  # not in this table; the package misses it
    assert calendar.end_of_business_day(date(2026, 3, 3)).time() == time(16)
