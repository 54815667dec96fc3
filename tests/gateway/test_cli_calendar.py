"""The calendar commands, run as users run them: ``python -m gateway calendar ...``."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from gateway.core.clock import VN_TZ
from tests.business_calendar.calendar_reference import reference_legal
from tests.gateway.test_cli import COMMAND_TIMEOUT, _env


def _calendar(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "calendar", *args],
        cwd=cwd,
        env=_env(),
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def test_legal_time_of_one_instant(tmp_path: Path) -> None:
    """New Year's Eve 17:00 (given in UTC) counts from Monday 5 January 2026, 07:30 +07:00."""
    result = _calendar("legal-time", "2025-12-31T10:00:00Z", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "2026-01-05T07:30:00+07:00\n"


def test_a_naive_instant_means_plus_seven(tmp_path: Path) -> None:
    """An instant without offset is read in +07:00; office time is printed unchanged."""
    result = _calendar("legal-time", "2026-01-10T08:15:30", cwd=tmp_path)
    assert result.stdout == "2026-01-10T08:15:30+07:00\n"  # a make-up Saturday


def test_stdin_gives_one_answer_per_line_in_order(tmp_path: Path) -> None:
    """With '-', each input line gives one output line, in order, whatever the offset."""
    lines = [
        "2026-02-13T17:00:00+07:00",
        "2026-02-13 16:59:59",
        "2026-02-16T02:00:00-05:00",
        "2024-05-04T10:00:00Z",
        "2025-04-26T07:30:00.250000+07:00",
    ]
    result = _calendar("legal-time", "-", cwd=tmp_path, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2026-02-23T07:30:00+07:00",
        "2026-02-13T16:59:59+07:00",
        "2026-02-23T07:30:00+07:00",
        "2024-05-06T07:30:00+07:00",  # 17:00 +07:00 on a make-up Saturday: closed, then Sunday
        "2025-04-26T07:30:00.250000+07:00",
    ]


def test_a_bad_line_is_named_and_fails(tmp_path: Path) -> None:
    """A bad value exits 1 naming its line and value, after the lines before it."""
    stdin = "2026-03-02T09:00:00+07:00\n2026-13-01T09:00\n2026-03-02T10:00:00+07:00\n"
    result = _calendar("legal-time", "-", cwd=tmp_path, stdin=stdin)
    assert result.returncode == 1
    assert "line 2: '2026-13-01T09:00'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == "2026-03-02T09:00:00+07:00\n"


def test_a_date_alone_is_not_an_instant(tmp_path: Path) -> None:
    """A date without a time is refused (exit 1) rather than read as midnight."""
    result = _calendar("legal-time", "2026-03-02", cwd=tmp_path)
    assert result.returncode == 1
    assert "'2026-03-02' is not an ISO 8601 instant" in result.stderr


def test_hours_option_sets_the_sessions(tmp_path: Path) -> None:
    """--hours "07:00-11:30,13:30-17:00" opens at 07:00."""
    result = _calendar(
        "legal-time", "2026-03-02T06:59:00", "--hours", "07:00-11:30,13:30-17:00", cwd=tmp_path
    )
    assert result.stdout == "2026-03-02T07:00:00+07:00\n"


def test_bad_hours_exit_2_with_the_code(tmp_path: Path) -> None:
    """Overlapping sessions are refused with CALENDAR_FORMAT, exit 2."""
    result = _calendar(
        "legal-time", "2026-03-02T06:59:00", "--hours", "07:00-12:00,11:00-17:00", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "CALENDAR_FORMAT" in result.stderr
    assert "overlap" in result.stderr


def test_calendar_option_uses_another_table(tmp_path: Path) -> None:
    """--calendar FILE replaces the override table; a bad row exits 2 naming line and value."""
    table = tmp_path / "province.csv"
    table.write_text(
        "date,kind,name,source\n2026-03-02,day_off,Provincial day,QĐ 1/QĐ-UBND\n", "utf-8"
    )
    result = _calendar("legal-time", "2026-03-02T09:00", "--calendar", str(table), cwd=tmp_path)
    assert result.stdout == "2026-03-03T07:30:00+07:00\n"
    table.write_text("date,kind,name,source\n2026-03-02,off,x,y\n", "utf-8")
    result = _calendar("legal-time", "2026-03-02T09:00", "--calendar", str(table), cwd=tmp_path)
    assert result.returncode == 2
    assert "line 2: kind 'off'" in result.stderr


def test_month_shows_holidays_with_names_and_make_up_days(tmp_path: Path) -> None:
    """`calendar month --table` lists Tết with its name and source, and the make-up Saturday."""
    february = _calendar("month", "2026-02", "--table", cwd=tmp_path)
    assert february.returncode == 0, february.stderr
    assert "2026-02-16 Mon  holiday  Tết Bính Ngọ  [TB 9441/TB-BNV 16/10/2025]" in february.stdout
    assert " 16* 17* 18* 19* 20* 21. 22." in february.stdout
    assert "working days: 15 (make-up 0)" in february.stdout
    january = _calendar("month", "2026-01", "--table", cwd=tmp_path)
    assert "2026-01-10 Sat  make_up  làm bù for Fri 2026-01-02" in january.stdout
    assert "working days: 21 (make-up 1)" in january.stdout


def test_month_refuses_a_bad_month(tmp_path: Path) -> None:
    """A month that is not YYYY-MM exits 1."""
    result = _calendar("month", "2026-13", cwd=tmp_path)
    assert result.returncode == 1
    assert "'2026-13' is not YYYY-MM" in result.stderr


def test_one_hundred_thousand_lines_in_a_few_seconds(tmp_path: Path) -> None:
    """100 000 instants through stdin take a few seconds and match the reference."""
    rng = random.Random(2026)  # noqa: S311 (test data, not secrets)
    start = datetime(2024, 1, 1, tzinfo=VN_TZ)
    zones = [VN_TZ, UTC, timezone(timedelta(hours=-5))]
    moments = [
        (start + timedelta(seconds=rng.randrange(3 * 365 * 86400 - 86400))).astimezone(
            rng.choice(zones)
        )
        for _ in range(100_000)
    ]
    began = time.monotonic()
    result = _calendar(
        "legal-time", "-", cwd=tmp_path, stdin="".join(f"{m.isoformat()}\n" for m in moments)
    )
    elapsed = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert len(out) == len(moments)
    for moment, line in zip(moments[:2000], out, strict=False):
        assert line == reference_legal(moment).isoformat()
    assert elapsed < 15, f"{elapsed:.1f} s"
