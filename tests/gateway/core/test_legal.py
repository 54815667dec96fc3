"""Legal measures of documents and copies (gateway.core.legal), on the shipped calendar."""

from __future__ import annotations

from dataclasses import MISSING, fields, replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from business_calendar.calendar import Override, OverrideKind
from business_calendar.table import load_spec
from gateway.core.clock import VN_TZ
from gateway.core.legal import (
    LegalTime,
    StoredOverride,
    copy_measures,
    notice_on_time,
    overdue,
)
from gateway.core.model import CopyLegal, DeliveryState, DeliveryView, MessageType


def vn(text: str) -> datetime:
    """An instant written in +07:00."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


@pytest.fixture(scope="module")
def legal() -> LegalTime:
    """The node's calendar as shipped (table + default office hours), no operator rows."""
    return LegalTime(load_spec())


def copy_view(**values: Any) -> DeliveryView:
    """A document copy sent 2026-03-02 09:00 (+07:00); other required fields are None."""
    base: dict[str, Any] = {
        "delivery_id": "copy-1",
        "document_id": "doc-1",
        "kind": MessageType.EDOC,
        "state": DeliveryState.AVAILABLE,
        "priority": 0,
        "requested_code": "000.00.00.H41",
        "code": "000.00.00.H41",
        "sender_system": "sys-a",
        "sender_code": "000.00.00.H14",
        "sha256": "0" * 64,
        "created_at": vn("2026-03-02T09:00"),
        "updated_at": vn("2026-03-02T09:00"),
    }
    for item in fields(DeliveryView):
        if item.default is MISSING and item.default_factory is MISSING:
            base.setdefault(item.name, None)
    base.update(values)
    return DeliveryView(**base)


@pytest.mark.parametrize(
    ("promulgated", "sent_at", "deadline", "on_time"),
    [
        ("2026-03-02", vn("2026-03-03T11:29:59"), "2026-03-03T11:30:00+07:00", True),
        ("2026-03-02", vn("2026-03-03T11:30:00"), "2026-03-03T11:30:00+07:00", True),
        ("2026-03-02", vn("2026-03-03T11:30:01"), "2026-03-03T11:30:00+07:00", False),
        ("2026-03-02", datetime(2026, 3, 3, 4, 31, tzinfo=UTC), "2026-03-03T11:30:00+07:00", False),
        ("2026-03-06", vn("2026-03-09T10:00"), "2026-03-09T11:30:00+07:00", True),  # Fri → Mon
        ("2025-12-31", vn("2026-01-05T11:00"), "2026-01-05T11:30:00+07:00", True),  # Tết dương
        ("2026-01-09", vn("2026-01-12T08:00"), "2026-01-10T11:30:00+07:00", False),  # make-up Sat
        ("2026-04-24", vn("2026-04-28T09:00"), "2026-04-28T11:30:00+07:00", True),  # Hùng Kings
    ],
)
def test_send_deadline_and_on_time(
    legal: LegalTime, promulgated: str, sent_at: datetime, deadline: str, on_time: bool
) -> None:
    """The send deadline is the end of the next working day's morning; on time means by then."""
    found = legal.document(MessageType.EDOC, sent_at, date.fromisoformat(promulgated), None)
    assert found.send_deadline is not None
    assert found.send_deadline.isoformat() == deadline
    assert found.sent_on_time is on_time
    assert found.calendar_version == legal.version


@pytest.mark.parametrize(
    ("due", "due_at"),
    [
        ("2026-03-06", "2026-03-06T17:00:00+07:00"),  # a Friday
        ("2026-03-07", "2026-03-09T17:00:00+07:00"),  # Saturday → Monday (Civil Code 148(5))
        ("2026-03-08", "2026-03-09T17:00:00+07:00"),  # Sunday → Monday
        ("2026-01-01", "2026-01-05T17:00:00+07:00"),  # holiday, then a day off and a weekend
        ("2026-01-10", "2026-01-10T17:00:00+07:00"),  # a make-up Saturday is a working day
    ],
)
def test_due_at_moves_to_the_next_working_day(legal: LegalTime, due: str, due_at: str) -> None:
    """A DueDate is due at the end of business that day, or of the next working day."""
    found = legal.document(MessageType.EDOC, vn("2026-03-02T09:00"), None, date.fromisoformat(due))
    assert found.due_at is not None
    assert found.due_at.isoformat() == due_at
    assert found.send_deadline is None
    assert found.sent_on_time is None


def test_status_packages_have_no_document_measures(legal: LegalTime) -> None:
    """A status package gets no send deadline, due time or version."""
    found = legal.document(MessageType.STATUS, vn("2026-03-02T09:00"), date(2026, 3, 2), None)
    assert found.send_deadline is None
    assert found.calendar_version is None


def test_dates_the_calendar_cannot_answer_give_no_measure(legal: LegalTime) -> None:
    """A PromulgationDate or DueDate outside 1900–2199 gives no measure instead of an error."""
    found = legal.document(
        MessageType.EDOC, vn("2026-03-02T09:00"), date(1800, 1, 1), date(9999, 1, 1)
    )
    assert (found.send_deadline, found.sent_on_time, found.due_at) == (None, None, None)
    assert found.calendar_version == legal.version


@pytest.mark.parametrize(
    ("received", "legal_at", "out_of_hours", "notice"),
    [
        (vn("2026-03-02T09:00"), "2026-03-02T09:00:00+07:00", False, "2026-03-02T17:00:00+07:00"),
        (vn("2026-03-02T11:45"), "2026-03-02T13:30:00+07:00", True, "2026-03-02T17:00:00+07:00"),
        (vn("2026-03-02T06:00"), "2026-03-02T07:30:00+07:00", True, "2026-03-02T17:00:00+07:00"),
        (vn("2026-03-06T18:00"), "2026-03-09T07:30:00+07:00", True, "2026-03-09T17:00:00+07:00"),
        (vn("2025-12-31T17:30"), "2026-01-05T07:30:00+07:00", True, "2026-01-05T17:00:00+07:00"),
        (
            datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
            "2026-03-02T09:00:00+07:00",
            False,
            "2026-03-02T17:00:00+07:00",
        ),
    ],
)
def test_receipt_measures(
    legal: LegalTime, received: datetime, legal_at: str, out_of_hours: bool, notice: str
) -> None:
    """A copy received after hours counts from the next session; the notice is due that day."""
    found = legal.receipt(copy_view(), received)
    assert found.legal_received_at is not None
    assert found.legal_received_at.isoformat() == legal_at
    assert found.received_out_of_hours is out_of_hours
    assert found.notice_deadline is not None
    assert found.notice_deadline.isoformat() == notice
    assert found.urgent_handover_minutes is None  # not urgent
    assert found.calendar_version == legal.version


@pytest.mark.parametrize(
    ("priority", "sent", "received", "minutes"),
    [
        (1, "2026-03-02T09:00", "2026-03-02T09:25", 25),
        (3, "2026-03-02T11:00", "2026-03-02T14:00", 60),  # the lunch gap is not office time
        (4, "2026-03-06T16:30", "2026-03-09T08:00", 60),  # Friday evening, weekend, Monday
        (2, "2026-03-02T17:30", "2026-03-02T18:00", 0),  # sent and received after hours
        (0, "2026-03-02T09:00", "2026-03-02T09:25", None),  # not urgent: not measured
    ],
)
def test_urgent_handover_minutes(
    legal: LegalTime, priority: int, sent: str, received: str, minutes: int | None
) -> None:
    """Urgent copies record the business minutes from sent_at to received_at."""
    found = legal.receipt(copy_view(priority=priority, created_at=vn(sent)), vn(received))
    assert found.urgent_handover_minutes == minutes


def test_status_copies_get_a_legal_receipt_only(legal: LegalTime) -> None:
    """A status package's copy gets its legal receipt time, no notice deadline or minutes."""
    found = legal.receipt(copy_view(kind=MessageType.STATUS, priority=2), vn("2026-03-02T18:00"))
    assert found.legal_received_at == vn("2026-03-03T07:30")
    assert (found.notice_deadline, found.urgent_handover_minutes) == (None, None)


DEADLINE = vn("2026-03-03T17:00")


@pytest.mark.parametrize(
    ("code", "deadline", "received", "at", "expected"),
    [
        ("01", DEADLINE, vn("2026-03-03T08:00"), vn("2026-03-03T16:59"), True),
        ("03", DEADLINE, vn("2026-03-03T08:00"), vn("2026-03-03T17:00"), True),
        ("01", DEADLINE, vn("2026-03-03T08:00"), vn("2026-03-03T17:01"), False),
        ("03", DEADLINE, vn("2026-03-03T08:00"), vn("2026-03-04T08:00"), False),
        ("01", None, None, vn("2026-03-03T08:00"), True),  # notified before it confirmed receipt
        ("01", None, vn("2026-03-03T08:00"), vn("2026-03-03T09:00"), None),  # deadline unknown
        ("02", DEADLINE, vn("2026-03-03T08:00"), vn("2026-03-03T09:00"), None),  # not a notice
        ("06", DEADLINE, vn("2026-03-03T08:00"), vn("2026-03-03T09:00"), None),
    ],
)
def test_notice_on_time(
    code: str,
    deadline: datetime | None,
    received: datetime | None,
    at: datetime,
    expected: bool | None,
) -> None:
    """A 01/03 is on time when the node accepted it by the copy's notice deadline."""
    legal = CopyLegal(notice_deadline=deadline)
    assert notice_on_time(code, MessageType.EDOC, legal, received, at) is expected


@pytest.mark.parametrize(
    ("code", "due_at", "at", "expected"),
    [
        ("06", vn("2026-03-09T17:00"), vn("2026-03-09T17:00"), False),
        ("06", vn("2026-03-09T17:00"), vn("2026-03-09T17:00:01"), True),
        ("06", None, vn("2026-03-09T18:00"), None),  # no DueDate
        ("05", vn("2026-03-09T17:00"), vn("2026-03-10T08:00"), None),  # not completion
    ],
)
def test_overdue_at_completion(
    code: str, due_at: datetime | None, at: datetime, expected: bool | None
) -> None:
    """A 06 after the due time is overdue; one by then is not."""
    assert overdue(code, MessageType.EDOC, CopyLegal(due_at=due_at), at) is expected


@pytest.mark.parametrize(
    ("stored", "state", "now", "notice", "late"),
    [
        (CopyLegal(), DeliveryState.RECEIVED, vn("2026-03-03T16:00"), None, False),
        (CopyLegal(), DeliveryState.RECEIVED, vn("2026-03-03T17:01"), False, False),
        (CopyLegal(), DeliveryState.AVAILABLE, vn("2026-03-09T17:01"), False, True),
        (CopyLegal(), DeliveryState.FAILED, vn("2026-03-09T17:01"), False, None),
        (CopyLegal(), DeliveryState.REMOVED, vn("2026-03-09T17:01"), False, None),
        (
            CopyLegal(notice_on_time=True, overdue=False),
            DeliveryState.RECEIVED,
            vn("2026-03-20T09:00"),
            True,
            False,
        ),
        (
            CopyLegal(notice_on_time=False, overdue=True),
            DeliveryState.RECEIVED,
            vn("2026-03-03T09:00"),
            False,
            True,
        ),
    ],
)
def test_copy_measures_at_read_time(
    stored: CopyLegal,
    state: DeliveryState,
    now: datetime,
    notice: bool | None,
    late: bool | None,
) -> None:
    """Missing statuses become verdicts once their deadline passed; stored verdicts stay."""
    legal = replace(stored, notice_deadline=DEADLINE, due_at=vn("2026-03-09T17:00"))
    found = copy_measures(copy_view(state=state, legal=legal), now)
    assert found.notice_on_time is notice
    assert found.overdue is late


def test_operator_rows_win_and_change_the_version(legal: LegalTime) -> None:
    """A stored row wins over the table for its date and gives the calendar a new version."""
    at = vn("2026-03-01T00:00")
    rows = [
        StoredOverride(
            Override(date(2026, 3, 6), OverrideKind.DAY_OFF, "Nghỉ", "CV 1/2026"), at, "test"
        ),
        StoredOverride(  # the table says day off; the operator's notice says worked
            Override(date(2026, 1, 2), OverrideKind.MAKE_UP_WORKDAY, "Làm", "CV 2/2026"), at, "t"
        ),
    ]
    changed = LegalTime(legal.spec, rows)
    assert changed.version != legal.version
    assert changed.calendar.due_deadline(date(2026, 3, 6)) == vn("2026-03-09T17:00")
    assert changed.calendar.is_working_day(date(2026, 1, 2))
    assert legal.calendar.due_deadline(date(2026, 3, 6)) == vn("2026-03-06T17:00")
    assert LegalTime(legal.spec).version == legal.version  # the version is the content's
