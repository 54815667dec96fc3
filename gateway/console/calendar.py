"""The business calendar page: a month as the node counts it (working days, weekends,
holidays, make-up days), every named day with the notice it comes from, and the operators'
override rows (add one with its source, remove one).

Rows go through :class:`gateway.core.calendar_admin.CalendarAdmin` (the same use case as the CLI
and the API): the calendar is rebuilt at once. The use case audits each change
(``calendar_override``). Seeing needs ``READ_STATS``; changing ``MANAGE_CALENDAR``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import RedirectResponse

from business_calendar.model import CalendarError, Day
from gateway.console.access import Posted, Visit, reader, writer
from gateway.console.errors import ConsoleRoute
from gateway.console.pages import render
from gateway.core.actors import Capability
from gateway.core.calendar_admin import checked_override
from gateway.core.clock import VN_TZ
from gateway.core.errors import BadRequest

router = APIRouter(route_class=ConsoleRoute)


def _month(raw: str | None, today: date) -> tuple[int, int]:
    if not raw:
        return today.year, today.month
    try:
        year, month = (int(part) for part in raw.split("-", 1))
        date(year, month, 1)
    except ValueError:
        raise BadRequest(f"{raw!r} is not a month (yyyy-mm)", field="month") from None
    return year, month


def _shift(year: int, month: int, by: int) -> str:
    index = year * 12 + (month - 1) + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def weeks(days: list[Day]) -> list[list[Day | None]]:
    """The month's days in rows of seven, Monday first (None pads the first and last rows)."""
    rows: list[list[Day | None]] = []
    row: list[Day | None] = [None] * days[0].day.weekday()
    for day in days:
        row.append(day)
        if len(row) == 7:
            rows.append(row)
            row = []
    if row:
        rows.append(row + [None] * (7 - len(row)))
    return rows


@router.get("/calendar")
async def calendar_page(
    found: Annotated[Visit, Depends(reader(Capability.READ_STATS))], month: str | None = None
) -> Response:
    """One month of the calendar (this month by default)."""
    runtime = found.runtime
    today = runtime.clock.now().astimezone(VN_TZ).date()
    year, number = _month(month, today)
    legal = runtime.calendar.legal
    try:
        days = legal.calendar.month(year, number)
    except CalendarError as exc:  # outside the calendar's years
        raise BadRequest(exc.message, code=exc.code, field="month") from None
    stored = {row.override.day: row for row in await runtime.calendar.list()}
    named = [d for d in days if d.name or d.source]
    return render(
        found,
        "calendar.html",
        year=year,
        month=number,
        weeks=weeks(days),
        named=named,
        stored=stored,
        today=today,
        previous=_shift(year, number, -1),
        following=_shift(year, number, 1),
        calendar_version=legal.version,
    )


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{raw!r} is not a date (yyyy-mm-dd)", field="date") from None


@router.post("/calendar")
async def add_override(
    posted: Annotated[Posted, Depends(writer(Capability.MANAGE_CALENDAR))],
) -> Response:
    """Add an override row (a day off or a make-up working day) with its source."""
    day = _day(posted.get("date"))
    row = checked_override(day, posted.get("kind"), posted.get("name"), posted.get("source"))
    await posted.visit.runtime.calendar.add(None, row, posted.actor.username, by=posted.actor)
    return RedirectResponse(f"/console/calendar?month={day:%Y-%m}", status_code=303)


@router.post("/calendar/{day}/remove")
async def remove_override(
    day: str, posted: Annotated[Posted, Depends(writer(Capability.MANAGE_CALENDAR))]
) -> Response:
    """Remove an operator's override row."""
    which = _day(day)
    await posted.visit.runtime.calendar.remove(None, which, by=posted.actor)
    return RedirectResponse(f"/console/calendar?month={which:%Y-%m}", status_code=303)
