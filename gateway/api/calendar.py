"""``/api/v1/calendar``: the node's business calendar, and the operators' override rows.

- ``GET /legal-time?at=...`` and ``GET /days?from=...&to=...`` answer anyone, like
  ``/api/v1/agencies`` (the calendar is public knowledge);
- ``GET|POST /overrides`` and ``DELETE /overrides/{date}`` need the personal token of a person
  whose role has ``MANAGE_CALENDAR`` (operators, admins; ``AUTH_ROLE`` 403 for auditors) or, as
  before people existed, an admin system's bearer token (``systems add --admin``;
  ``AUTH_FORBIDDEN`` 403 for other systems). Admin systems keep working so that the scripts
  written for them do not break; a person's token is the way forward (docs/console.md).

A change of the rows rebuilds the calendar at once (a new ``calendar_version``); stored legal
times keep theirs until ``python -m gateway calendar recompute --from DATE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from business_calendar.calendar import CalendarError, Day
from business_calendar.sessions import SUPPORTED_YEARS
from gateway.api.actor import bearer_token, personal_bearer
from gateway.api.dependencies import RuntimeDep, bearer_scheme
from gateway.api.errors import ERROR_RESPONSES
from gateway.api.native.views import AUTH_RESPONSES
from gateway.core.actors import Actor
from gateway.core.calendar_admin import checked_override, require_calendar_admin
from gateway.core.clock import VN_TZ
from gateway.core.errors import AuthError, BadRequest
from gateway.core.legal import StoredOverride
from gateway.core.model import System
from gateway.core.people import is_personal_token
from schemas.calendar import (
    CalendarDay,
    CalendarDays,
    Confidence,
    DayKind,
    LegalTimeAnswer,
    OverrideChange,
    OverrideKind,
    OverrideRequest,
    OverrideRow,
)
from schemas.errors import ErrorBody

router = APIRouter(prefix="/calendar", tags=["calendar"], responses=ERROR_RESPONSES)

#: Most days ``/days`` answers at once.
MAX_DAYS = 366


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; without an offset it is +07:00 (as the CLI reads it)."""
    value = text.strip()
    try:
        if "T" not in value and "t" not in value and " " not in value:
            raise ValueError(value)  # a date alone is not an instant
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            f"{value!r} is not an ISO 8601 instant (date and time)", field="at"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VN_TZ)


@router.get("/legal-time", response_model=LegalTimeAnswer, summary="Legal receipt time")
async def legal_time(
    runtime: RuntimeDep,
    at: Annotated[
        str,
        Query(
            max_length=64,
            description="ISO 8601 instant, any offset; without one it is read as +07:00.",
            examples=["2025-12-31T17:30:00+07:00"],
        ),
    ],
) -> LegalTimeAnswer:
    """When a document received at `at` legally counts as received, and its notice deadline."""
    moment = parse_instant(at)
    calendar = runtime.calendar.legal.calendar
    try:
        legal = calendar.legal_receipt_time(moment)
        notice = calendar.notice_deadline(legal)
    except CalendarError as error:
        raise BadRequest(error.message, code=error.code, field="at") from None
    return LegalTimeAnswer(
        at=moment,
        legal_time=legal,
        office_time=legal == moment,
        notice_deadline=notice,
        calendar_version=calendar.version,
    )


def _day(found: Day) -> CalendarDay:
    return CalendarDay(
        date=found.day,
        kind=DayKind(found.kind.value),
        working=found.working,
        name=found.name or None,
        source=found.source or None,
        confidence=Confidence(found.confidence) if found.confidence else None,
        sessions=[str(session) for session in found.sessions],
    )


@router.get("/days", response_model=CalendarDays, summary="Working days and holidays")
async def days(
    runtime: RuntimeDep,
    first: Annotated[date, Query(alias="from", description="First day (ISO date).")],
    last: Annotated[
        date | None, Query(alias="to", description="Last day, included (default: `from`).")
    ] = None,
) -> CalendarDays:
    """Each day from `from` to `to`: working, make-up, weekend or holiday, with its name, source
    and office sessions (at most 366 days)."""
    last = last or first
    if last < first or (last - first).days >= MAX_DAYS:
        raise BadRequest(f"give `to` within {MAX_DAYS} days on or after `from`", field="to")
    if first.year not in SUPPORTED_YEARS or last.year not in SUPPORTED_YEARS:
        years = f"{SUPPORTED_YEARS.start}-{SUPPORTED_YEARS.stop - 1}"
        raise BadRequest(
            f"the calendar covers the years {years}", code="CALENDAR_RANGE", field="from"
        )
    calendar = runtime.calendar.legal.calendar
    try:
        found = [calendar.day(first + timedelta(days=n)) for n in range((last - first).days + 1)]
    except CalendarError as error:
        raise BadRequest(error.message, code=error.code, field="from") from None
    return CalendarDays(
        calendar_version=calendar.version, label=calendar.label, days=[_day(d) for d in found]
    )


def _row(stored: StoredOverride) -> OverrideRow:
    o = stored.override
    return OverrideRow(
        date=o.day,
        kind=OverrideKind(o.kind.value),
        name=o.name,
        source=o.source,
        confidence=Confidence(o.confidence),
        created_at=stored.created_at,
        created_by=stored.created_by,
    )


_ADMIN = {
    **AUTH_RESPONSES,
    403: {
        "model": ErrorBody,
        "description": "AUTH_ROLE: a person without MANAGE_CALENDAR; AUTH_FORBIDDEN: a system "
        "without the admin grant.",
    },
}


@dataclass(frozen=True)
class OverrideCaller:
    """Who changes the rows: a person (personal token) or an admin system (its token)."""

    system: System | None
    person: Actor | None

    @property
    def author(self) -> str:
        """What the row records as its author."""
        if self.person is not None:
            return self.person.username
        return self.system.system_id if self.system is not None else "cli"


async def _admin(
    request: Request,
    runtime: RuntimeDep,
    person: Annotated[HTTPAuthorizationCredentials | None, Depends(personal_bearer)],
    system: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> OverrideCaller:
    """The caller if allowed to change the rows (checked before the body is read): a person's
    token (``gwp_``) with ``MANAGE_CALENDAR``, or an admin system's token."""
    token = bearer_token(request, person or system)
    if token is None:
        raise AuthError(
            "send a personal token (or an admin system's) as 'Authorization: Bearer <token>'",
            code="AUTH_TOKEN_MISSING",
            field="Authorization",
        )
    if is_personal_token(token):
        actor = await runtime.people.actor_for_token(token)
        require_calendar_admin(None, actor)
        return OverrideCaller(None, actor)
    caller = await runtime.exchange.by_token(token)
    require_calendar_admin(caller)
    return OverrideCaller(caller, None)


AdminDep = Annotated[OverrideCaller, Depends(_admin)]
DatePath = Annotated[date, Path(description="The day of the row (ISO date).")]


@router.get(
    "/overrides",
    response_model=list[OverrideRow],
    summary="Operators' override rows",
    responses=_ADMIN,
)
async def list_overrides(runtime: RuntimeDep, caller: AdminDep) -> list[OverrideRow]:
    """The days off and make-up days operators added, by date (a person with MANAGE_CALENDAR,
    or an admin system).

    They win over the override table the node started with (shipped or
    `GATEWAY_CALENDAR_FILE`), which `/days` shows merged.
    """
    return [_row(row) for row in await runtime.calendar.list(caller.system, by=caller.person)]


@router.post(
    "/overrides",
    status_code=201,
    response_model=OverrideChange,
    summary="Add an override row",
    responses={
        **_ADMIN,
        409: {"model": ErrorBody, "description": "CALENDAR_OVERRIDE_EXISTS."},
        422: {"model": ErrorBody, "description": "REQUEST_INVALID, CALENDAR_FORMAT/RANGE."},
    },
)
async def add_override(
    runtime: RuntimeDep, caller: AdminDep, body: OverrideRequest
) -> OverrideChange:
    """Add a day off or make-up working day from a published notice (a person with
    MANAGE_CALENDAR, or an admin system).

    The node's calendar is rebuilt at once; stored legal times are not rewritten (see `note`).
    """
    row = checked_override(
        body.date, body.kind.value, body.name, body.source, body.confidence.value
    )
    stored = await runtime.calendar.add(caller.system, row, caller.author, by=caller.person)
    return OverrideChange(override=_row(stored), calendar_version=runtime.calendar.legal.version)


@router.delete(
    "/overrides/{day}",
    response_model=OverrideChange,
    summary="Remove an override row",
    responses={
        **_ADMIN,
        404: {"model": ErrorBody, "description": "CALENDAR_OVERRIDE_UNKNOWN."},
    },
)
async def remove_override(runtime: RuntimeDep, caller: AdminDep, day: DatePath) -> OverrideChange:
    """Remove an operator's row (a person with MANAGE_CALENDAR, or an admin system); the
    calendar is rebuilt at once."""
    removed = await runtime.calendar.remove(caller.system, day, by=caller.person)
    return OverrideChange(override=_row(removed), calendar_version=runtime.calendar.legal.version)
