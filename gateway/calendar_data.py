"""Read the business calendar from files and options: the override table and the office hours.

The shipped override table ``gateway/data/calendar/vn-civil-service-days.csv`` is a copy of
``shared/data/calendar/vn-civil-service-days.csv``: the official 2024–2026 days off and make-up
Saturdays, each with its source. Columns ``date,kind,name,source[,confidence]``; ``kind`` is
``day_off`` or ``make_up_workday``; ``source`` names the notice and may not be empty; rows of
any confidence apply (it is shown, not weighed). Operators add a row when a notice is published,
in a copy passed with ``--calendar`` (the copy replaces the shipped table).

Office hours: ``07:30-11:30,13:30-17:00`` sets the default sessions; seasonal schedules follow
after ``;``, each ``RANGE=SESSIONS`` with a yearly range ``MM-DD..MM-DD`` (may wrap over the new
year) or dates ``YYYY-MM-DD..YYYY-MM-DD`` (either end may be left open). The first schedule
covering a day wins; the default sessions apply elsewhere.
"""

from __future__ import annotations

import csv
import io
from datetime import date, time
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from gateway.core.calendar import (
    DEFAULT_SESSIONS,
    BusinessCalendar,
    CalendarError,
    Override,
    OverrideKind,
    Schedule,
    Session,
)
from gateway.core.calendar_admin import CONFIDENCES
from gateway.core.legal import CalendarSpec

#: The shipped override table's file name (under ``gateway/data/calendar``).
SHIPPED_TABLE = "vn-civil-service-days.csv"
#: Columns every override table has; ``confidence`` is optional (default ``high``).
REQUIRED_COLUMNS = ("date", "kind", "name", "source")


def _format_error(message: str, field: str) -> CalendarError:
    return CalendarError(message, code="CALENDAR_FORMAT", field=field)


def shipped_table() -> Traversable:
    """The override table shipped with the package."""
    return resources.files("gateway") / "data" / "calendar" / SHIPPED_TABLE


def read_overrides(text: str, origin: str = SHIPPED_TABLE) -> tuple[Override, ...]:
    """Parse an override table; a bad row raises CALENDAR_FORMAT naming ``origin``, line, value."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    columns = [name.strip() for name in reader.fieldnames or ()]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise _format_error(
            f"{origin} line 1: missing column(s) {', '.join(missing)} "
            f"(expected {','.join(REQUIRED_COLUMNS)}[,confidence])",
            "calendar",
        )
    reader.fieldnames = columns
    rows: list[Override] = []
    seen: dict[date, int] = {}
    for row in reader:
        line = reader.line_num
        where = f"{origin} line {line}"
        value = {name: (row.get(name) or "").strip() for name in (*REQUIRED_COLUMNS, "confidence")}
        try:
            day = date.fromisoformat(value["date"])
        except ValueError:
            raise _format_error(
                f"{where}: date {value['date']!r} is not YYYY-MM-DD", "date"
            ) from None
        try:
            kind = OverrideKind(value["kind"])
        except ValueError:
            allowed = " or ".join(kind.value for kind in OverrideKind)
            raise _format_error(
                f"{where}: kind {value['kind']!r} is not {allowed}", "kind"
            ) from None
        if not value["source"]:
            raise _format_error(f"{where}: {day} has no source (name the notice)", "source")
        confidence = value["confidence"] or "high"
        if confidence not in CONFIDENCES:
            raise _format_error(
                f"{where}: confidence {confidence!r} is not high, medium or low", "confidence"
            )
        if day in seen:
            raise _format_error(f"{where}: {day} is already set on line {seen[day]}", "date")
        seen[day] = line
        rows.append(Override(day, kind, value["name"], value["source"], confidence))
    return tuple(rows)


def load_overrides(path: Path | None = None) -> tuple[Override, ...]:
    """The override table at ``path``, or the shipped one; unreadable files raise CALENDAR_FILE."""
    if path is None:
        return read_overrides(shipped_table().read_text(encoding="utf-8"))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CalendarError(
            f"cannot read {path}: {error}", code="CALENDAR_FILE", field="calendar"
        ) from None
    return read_overrides(text, str(path))


def _clock(text: str, spec: str) -> time:
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise _format_error(f"{text.strip()!r} in hours {spec!r} is not HH:MM", "hours")
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        raise _format_error(f"{text.strip()!r} in hours {spec!r} is not a time", "hours") from None


def _sessions(text: str, spec: str) -> tuple[Session, ...]:
    sessions = []
    for part in text.split(","):
        start, sep, end = part.partition("-")
        if not sep:
            raise _format_error(f"{part.strip()!r} in hours {spec!r} is not HH:MM-HH:MM", "hours")
        sessions.append(Session(_clock(start, spec), _clock(end, spec)))
    return Schedule(tuple(sessions)).sessions  # checks order and overlaps


def _month_day(text: str, spec: str) -> tuple[int, int]:
    month, sep, day = text.partition("-")
    if not (sep and month.isdigit() and day.isdigit()):
        raise _format_error(f"{text!r} in hours {spec!r} is not MM-DD", "hours")
    return int(month), int(day)


def _schedule(scope: str, sessions: tuple[Session, ...], spec: str) -> Schedule:
    first, sep, last = (part.strip() for part in scope.partition(".."))
    if not sep:
        raise _format_error(f"range {scope.strip()!r} in hours {spec!r} needs '..'", "hours")
    if len(first) == 5 and len(last) == 5:  # MM-DD..MM-DD, every year
        season = (_month_day(first, spec), _month_day(last, spec))
        return Schedule(sessions, season=season)
    try:
        start = date.fromisoformat(first) if first else None
        end = date.fromisoformat(last) if last else None
    except ValueError:
        raise _format_error(
            f"range {scope.strip()!r} in hours {spec!r} is not dates", "hours"
        ) from None
    return Schedule(sessions, first=start, last=end)


def parse_hours(spec: str) -> tuple[tuple[Session, ...], tuple[Schedule, ...]]:
    """Parse ``--hours``: the default sessions and the seasonal schedules (module docstring)."""
    default: tuple[Session, ...] | None = None
    schedules: list[Schedule] = []
    for segment in spec.split(";"):
        scope, sep, text = segment.rpartition("=")
        sessions = _sessions(text, spec)
        if sep:
            schedules.append(_schedule(scope, sessions, spec))
        elif default is None:
            default = sessions
        else:
            raise _format_error(f"hours {spec!r} set the default sessions twice", "hours")
    return default or DEFAULT_SESSIONS, tuple(schedules)


def load_spec(
    table: Path | None = None, hours: str | None = None, *, label: str = "VN"
) -> CalendarSpec:
    """What the node's calendar is built from: an override table (shipped one by default) and
    office hours; the operators' rows in the database are added by
    :func:`gateway.core.legal.build_calendar`."""
    sessions, schedules = parse_hours(hours) if hours else (DEFAULT_SESSIONS, ())
    return CalendarSpec(sessions, schedules, load_overrides(table), label)


def load_calendar(
    table: Path | None = None, hours: str | None = None, *, label: str = "VN"
) -> BusinessCalendar:
    """The calendar of an override table (shipped one by default) and office hours."""
    sessions, schedules = parse_hours(hours) if hours else (DEFAULT_SESSIONS, ())
    return BusinessCalendar(
        sessions, schedules=schedules, overrides=load_overrides(table), label=label
    )
