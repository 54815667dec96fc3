"""Bodies of the business calendar API (``/api/v1/calendar``) and the legal measures the exchange
API shows with documents and copies (docs/calendar.md).

Every instant is ISO 8601 in +07:00 (:data:`schemas.timestamps.VnDateTime`); days are plain ISO
dates. ``calendar_version`` is the 16-hex version of the calendar a value was computed with.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from schemas.timestamps import VnDateTime

#: Longest override name and source accepted (characters).
MAX_NAME = 200
MAX_SOURCE = 2000


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)


class DayKind(StrEnum):
    """What a day is for the office."""

    WORKING = "working"
    MAKE_UP = "make_up"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


class OverrideKind(StrEnum):
    """An operator's row: an extra day off, or a worked day that is usually off (ngày làm bù)."""

    DAY_OFF = "day_off"
    MAKE_UP_WORKDAY = "make_up_workday"


class Confidence(StrEnum):
    """How sure the row is of its notice (shown, never weighed)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class LegalTimeAnswer(_Body):
    """``GET /api/v1/calendar/legal-time``."""

    at: VnDateTime = Field(description="The instant asked about.")
    legal_time: VnDateTime = Field(
        description="Its legal receipt time: the instant itself in office hours, else the start "
        "of the next office session (NĐ 64/2007 Art. 36).",
        examples=["2026-01-05T07:30:00+07:00"],
    )
    office_time: bool = Field(description="True when the instant lies in an office session.")
    notice_deadline: VnDateTime = Field(
        description="The end of that business day: a receipt notice is due by then "
        "(NĐ 30/2020 Art. 21(2)(c))."
    )
    calendar_version: str


class CalendarDay(_Body):
    """One day as the node's calendar decides it."""

    date: dt.date
    kind: DayKind
    working: bool
    name: str | None = Field(default=None, description="The holiday's or make-up day's name.")
    source: str | None = Field(default=None, description="The notice or law that sets it.")
    confidence: Confidence | None = None
    sessions: list[str] = Field(
        default_factory=list,
        description="Office sessions of a working day, local time.",
        examples=[["07:30-11:30", "13:30-17:00"]],
    )


class CalendarDays(_Body):
    """``GET /api/v1/calendar/days``."""

    calendar_version: str
    label: str = Field(description="Which calendar (the node's is VN).")
    days: list[CalendarDay]


class OverrideRequest(_Body):
    """Body of ``POST /api/v1/calendar/overrides``."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True)

    date: dt.date = Field(description="The day the notice sets.")
    kind: OverrideKind
    name: str = Field(default="", max_length=MAX_NAME, examples=["Nghỉ bù Tết Dương lịch"])
    source: str = Field(
        min_length=1,
        max_length=MAX_SOURCE,
        description="The notice that sets the day (required).",
        examples=["Công văn 12729/VPCP-KGVX (2025)"],
    )
    confidence: Confidence = Confidence.HIGH


class OverrideRow(_Body):
    """An operator's row as stored."""

    date: dt.date
    kind: OverrideKind
    name: str
    source: str
    confidence: Confidence
    created_at: VnDateTime
    created_by: str = Field(description="The admin system or CLI user that added it.")


class OverrideChange(_Body):
    """What adding or removing a row did."""

    override: OverrideRow
    calendar_version: str = Field(description="The node's calendar version after the change.")
    note: str = Field(
        default="stored legal times keep their version; run `python -m gateway calendar "
        "recompute --from DATE` to recompute them"
    )


class DocumentLegalInfo(_Body):
    """A document's legal measures (docs/calendar.md "Legal measures")."""

    sent_at: VnDateTime = Field(
        description="When the node accepted the package and answered its id (legal send time)."
    )
    send_deadline: VnDateTime | None = Field(
        default=None,
        description="End of the morning session of the next working day after the "
        "PromulgationDate (QĐ 28/2018; NĐ 30/2020 Art. 18(1)).",
    )
    sent_on_time: bool | None = Field(default=None, description="sent_at <= send_deadline.")
    due_at: VnDateTime | None = Field(
        default=None,
        description="End of business on the DueDate, or on the next working day when it is not "
        "one (Civil Code 2015 Art. 148(5)).",
    )
    calendar_version: str | None = None


class CopyLegalInfo(_Body):
    """A copy's legal measures; the verdicts that wait for a status are as of the answer."""

    sent_at: VnDateTime
    received_at: VnDateTime | None = Field(
        default=None, description="When the recipient's system confirmed the copy."
    )
    legal_received_at: VnDateTime | None = Field(
        default=None, description="received_at, or the next session's start outside office hours."
    )
    received_out_of_hours: bool | None = None
    notice_deadline: VnDateTime | None = Field(
        default=None, description="End of the business day of legal_received_at."
    )
    notice_on_time: bool | None = Field(
        default=None,
        description="The recipient's first 01/03 was accepted by notice_deadline; false once the "
        "deadline passed without one; null while pending.",
    )
    due_at: VnDateTime | None = None
    overdue: bool | None = Field(
        default=None,
        description="No 06 by due_at (false while due_at is ahead); null without a DueDate.",
    )
    urgent_handover_minutes: int | None = Field(
        default=None,
        description="Urgent documents (Priority >= 1): business minutes from sent_at to "
        "received_at (QĐ 28/2018; NĐ 30/2020 Art. 23(1)).",
    )
    calendar_version: str | None = Field(
        default=None, description="The calendar the receipt measures were computed with."
    )
