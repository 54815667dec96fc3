"""The legal measures of documents and copies, computed with the node's business calendar.

What the node records (domain.md §3; docs/calendar.md "Legal measures"):

- a document, at accept: ``send_deadline`` = the end of the morning session of the next working
  day after its PromulgationDate (QĐ 28/2018/QĐ-TTg; NĐ 30/2020 Art. 18(1)), ``sent_on_time`` =
  ``accepted_at <= send_deadline`` (``accepted_at`` is the legal send time: the node durably
  accepted the package and answered its id), and ``due_at`` = the end of business on its DueDate,
  or on the next working day when the DueDate is not one (Civil Code 2015 Art. 148(5));
- a copy, when its recipient confirms it (``received_at``): ``legal_received_at`` (NĐ 64/2007
  Art. 36: outside office hours, the start of the next session), ``received_out_of_hours``,
  ``notice_deadline`` = the end of that business day (NĐ 30/2020 Art. 21(2)(c)), and for urgent
  documents (Priority >= 1) ``urgent_handover_minutes``: the business minutes from ``sent_at`` to
  ``received_at`` (QĐ 28/2018; NĐ 30/2020 Art. 23(1));
- a copy, when a status about it is recorded: the recipient's first 01/03 sets ``notice_on_time``
  (accepted by the node by the notice deadline), the first 06 sets ``overdue`` (accepted after
  ``due_at``). The instant that counts is the node's acceptance of the status package, which is
  the status's legal send time; the ``issued_at`` a recipient writes into it is its own claim.

Two measures depend on the clock while the awaited status is missing, so they are derived at read
time (:func:`copy_measures`): ``notice_on_time`` is False once the deadline passed without a
01/03, ``overdue`` is True once ``due_at`` passed without a 06.

Every stored value records the calendar version it was computed with; changing the calendar never
rewrites them (:mod:`gateway.core.recompute` does, on request).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from edxml import StatusCode
from gateway.core.calendar import (
    DEFAULT_SESSIONS,
    BusinessCalendar,
    CalendarError,
    Override,
    Schedule,
    Session,
)
from gateway.core.clock import VN_TZ
from gateway.core.model import (
    CopyLegal,
    DeliveryState,
    DeliveryView,
    DocumentLegal,
    MessageType,
)
from gateway.core.session_index import SUPPORTED_YEARS
from gateway.core.statutory import StatutoryDays, vietnam_statutory

#: Statuses that notify receipt (01 received, 03 accepted; NĐ 30/2020 Art. 21(2)(c)).
NOTICE_CODES = frozenset({StatusCode.INBOX.value, StatusCode.ACCEPTED.value})
#: The status that closes the processing of a document (06 completed).
DONE_CODE = StatusCode.FINISHED.value
#: Copies that no longer await processing: never overdue.
_NOT_PENDING = frozenset({DeliveryState.FAILED, DeliveryState.REMOVED})


@dataclass(frozen=True)
class CalendarSpec:
    """What the node's calendar is built from, besides the operators' rows in the database:
    the office hours and the override table (shipped, or ``GATEWAY_CALENDAR_FILE``)."""

    sessions: tuple[Session, ...] = DEFAULT_SESSIONS
    schedules: tuple[Schedule, ...] = ()
    table: tuple[Override, ...] = ()
    label: str = "VN"
    statutory: Callable[[int], StatutoryDays] | None = vietnam_statutory


@dataclass(frozen=True)
class StoredOverride:
    """An override row an operator added to the database, with who added it and when."""

    override: Override
    created_at: datetime
    created_by: str


def build_calendar(
    spec: CalendarSpec, stored: Sequence[StoredOverride] = (), *, warm: datetime | None = None
) -> BusinessCalendar:
    """The calendar of ``spec`` with the stored rows, which win over the table's for their date.

    Blocking (the version takes 50–160 ms): call it off the event loop. ``warm`` precomputes the
    sessions around that instant, so the first legal times asked after a rebuild are fast.
    """
    rows = {row.day: row for row in spec.table}
    rows.update((row.override.day, row.override) for row in stored)
    calendar = BusinessCalendar(
        spec.sessions,
        schedules=spec.schedules,
        overrides=rows.values(),
        statutory=spec.statutory,
        label=spec.label,
    )
    _ = calendar.version
    if warm is not None:
        calendar.business_minutes(warm - timedelta(days=7), warm + timedelta(days=7))
        calendar.legal_receipt_time(warm)
    return calendar


class LegalTime:
    """The node's current calendar and the legal measures computed with it.

    The calendar is replaced whole (:meth:`rebuild`) when the operators' override rows change;
    measures computed before keep the version they were computed with.
    """

    def __init__(
        self,
        spec: CalendarSpec,
        stored: Sequence[StoredOverride] = (),
        *,
        warm: datetime | None = None,
    ) -> None:
        """Build the calendar (blocking: see :func:`build_calendar`)."""
        self.spec = spec
        self.stored = tuple(stored)
        self.calendar = build_calendar(spec, self.stored, warm=warm)

    async def rebuild(
        self, stored: Sequence[StoredOverride], *, warm: datetime | None = None
    ) -> BusinessCalendar:
        """Build the calendar with these stored rows off the event loop, then use it."""
        calendar = await asyncio.to_thread(build_calendar, self.spec, stored, warm=warm)
        self.calendar, self.stored = calendar, tuple(stored)
        return calendar

    @property
    def version(self) -> str:
        """The current calendar's version."""
        return self.calendar.version

    # ---------------------------------------------------------------- measures

    def document(
        self,
        kind: MessageType,
        accepted_at: datetime,
        promulgation_date: date | None,
        due_date: date | None,
    ) -> DocumentLegal:
        """The send deadline, on-time flag and due time of a document (none for statuses).

        A date the calendar cannot answer for (``CALENDAR_RANGE``) gives no measure: a package
        is never refused for its dates.
        """
        if kind is not MessageType.EDOC:
            return DocumentLegal()
        calendar = self.calendar
        send_deadline = _or_none(calendar.send_deadline, promulgation_date)
        return DocumentLegal(
            send_deadline=send_deadline,
            sent_on_time=None if send_deadline is None else accepted_at <= send_deadline,
            due_at=_or_none(calendar.due_deadline, due_date),
            calendar_version=calendar.version,
        )

    def receipt(self, copy: DeliveryView, received_at: datetime) -> CopyLegal:
        """The copy's legal measures once its recipient confirmed it at ``received_at``."""
        return receipt_measures(self.calendar, copy, received_at)


def _or_none(compute: Callable[[date], datetime], day: date | None) -> datetime | None:
    if day is None or day.year not in SUPPORTED_YEARS:
        return None
    try:
        return compute(day)
    except (CalendarError, OverflowError):  # no working day left before 9999-12-31
        return None


def receipt_measures(
    calendar: BusinessCalendar, copy: DeliveryView, received_at: datetime
) -> CopyLegal:
    """:meth:`LegalTime.receipt` with a given calendar (``copy.created_at`` is ``sent_at``)."""
    try:
        legal = calendar.legal_receipt_time(received_at)
    except CalendarError:
        return copy.legal
    document = copy.kind is MessageType.EDOC
    notice: datetime | None = None
    urgent: int | None = None
    try:
        if document:
            # NĐ 30/2020 Art. 21(2)(c): notify receipt the same (business) day.
            notice = calendar.notice_deadline(legal)
        if document and copy.priority >= 1:
            # QĐ 28/2018; NĐ 30/2020 Art. 23(1): urgent documents are handed over at once.
            urgent = calendar.business_minutes(copy.created_at, received_at)
    except CalendarError:
        pass
    return replace(
        copy.legal,
        legal_received_at=legal,
        received_out_of_hours=legal != received_at,
        notice_deadline=notice,
        urgent_handover_minutes=urgent,
        calendar_version=calendar.version,
    )


def notice_on_time(
    code: str, kind: MessageType, legal: CopyLegal, received_at: datetime | None, at: datetime
) -> bool | None:
    """What a status ``code`` accepted at ``at`` says of the copy's receipt notice.

    A 01/03 about a document copy is on time by the notice deadline; one recorded before the
    recipient even confirmed the copy is on time too (the deadline is after the receipt). None
    when the status is not a receipt notice, or the copy's deadline is unknown.
    """
    if code not in NOTICE_CODES or kind is not MessageType.EDOC:
        return None
    if legal.notice_deadline is not None:
        return at <= legal.notice_deadline
    return True if received_at is None else None


def overdue(code: str, kind: MessageType, legal: CopyLegal, at: datetime) -> bool | None:
    """What a status ``code`` accepted at ``at`` says of the copy's processing deadline: a 06
    after ``due_at`` is overdue, one by then is not; None for other statuses or no DueDate."""
    if code != DONE_CODE or kind is not MessageType.EDOC or legal.due_at is None:
        return None
    return at > legal.due_at


def copy_measures(copy: DeliveryView, now: datetime) -> CopyLegal:
    """The copy's measures as shown at ``now``: stored ones, plus the time-dependent verdicts.

    ``notice_on_time`` is False once the notice deadline passed with no 01/03 (None before);
    ``overdue`` is True once ``due_at`` passed with no 06 (False before; None for a copy that
    failed or was removed, which awaits no processing).
    """
    legal = copy.legal
    notice = legal.notice_on_time
    if notice is None and legal.notice_deadline is not None and now > legal.notice_deadline:
        notice = False
    late = legal.overdue
    if (
        late is None
        and legal.due_at is not None
        and copy.kind is MessageType.EDOC
        and copy.state not in _NOT_PENDING
    ):
        late = now > legal.due_at
    if notice is legal.notice_on_time and late is legal.overdue:
        return legal
    return replace(legal, notice_on_time=notice, overdue=late)


def start_of(day: date) -> datetime:
    """Local midnight (+07:00) at the start of ``day``."""
    return datetime.combine(day, time(0), VN_TZ)
