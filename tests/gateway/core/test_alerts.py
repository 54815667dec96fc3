"""Alert detections: working-hours cutoff, each kind's alert, the webhook body, the work item."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from business_calendar.calendar import BusinessCalendar, CalendarError
from business_calendar.table import load_spec
from gateway.core import work
from gateway.core.alerts import (
    Alert,
    AlertKind,
    FailedCopy,
    LinkHealth,
    TrustedCertificate,
    certificate_alerts,
    failed_alert,
    link_alerts,
    stuck_alert,
    working_hours_before,
)
from gateway.core.clock import VN_TZ
from gateway.core.legal import LegalTime
from gateway.core.model import DeliveryState, DeliveryView, MessageType

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội


@pytest.fixture(scope="module")
def legal() -> LegalTime:
    """The shipped calendar with the default office hours (07:30-11:30, 13:30-17:00)."""
    return LegalTime(load_spec())


def _copy(state: DeliveryState = DeliveryState.AVAILABLE, **fields: object) -> DeliveryView:
    values: dict[str, object] = {
        "delivery_id": "d-1",
        "document_id": "doc-1",
        "kind": MessageType.EDOC,
        "state": state,
        "priority": 0,
        "requested_code": "000.00.01.H41",
        "code": "000.00.01.H41",
        "system_id": "sys-b",
        "link": None,
        "upstream_doc_id": None,
        "sender_system": "sys-a",
        "sender_code": "000.00.01.H14",
        "sha256": "0" * 64,
        "created_at": NOW - timedelta(days=3),
        "updated_at": NOW - timedelta(days=3),
        "available_at": NOW - timedelta(days=3),
    }
    values.update(fields)
    return DeliveryView(**values)  # type: ignore[arg-type]


def test_working_hours_skip_nights_and_the_weekend(legal: LegalTime) -> None:
    """8 working hours before Monday 09:00 is the Friday before at 08:30 (7.5 h a day)."""
    cutoff = working_hours_before(legal.calendar, NOW, 8)
    assert cutoff == datetime(2026, 2, 27, 8, 30, tzinfo=VN_TZ)
    assert legal.calendar.business_time(cutoff, NOW) == timedelta(hours=8)
    later = cutoff + timedelta(seconds=1)
    assert legal.calendar.business_time(later, NOW) < timedelta(hours=8)


def test_working_hours_inside_one_session(legal: LegalTime) -> None:
    """One working hour before 10:00 on a working morning is 09:00 the same morning."""
    at = datetime(2026, 3, 3, 10, 0, tzinfo=VN_TZ)
    assert working_hours_before(legal.calendar, at, 1) == datetime(2026, 3, 3, 9, 0, tzinfo=VN_TZ)


class _Unanswerable:
    """A calendar that cannot answer (out of its range)."""

    def business_time(self, a: datetime, b: datetime) -> timedelta:
        """Always CALENDAR_RANGE."""
        raise CalendarError("out of range", code="CALENDAR_RANGE")


def test_working_hours_the_calendar_cannot_answer_fall_back_to_wall_clock() -> None:
    """When the calendar raises, the cutoff counts wall-clock hours."""
    calendar = cast(BusinessCalendar, _Unanswerable())
    assert working_hours_before(calendar, NOW, 8) == NOW - timedelta(hours=8)


def test_a_failed_copy_alert_names_the_copy_and_the_code() -> None:
    """The failed alert is keyed by the copy and carries the failure's code and reason."""
    copy = _copy(DeliveryState.FAILED, last_error="no system serves it")
    alert = failed_alert(FailedCopy(copy, "ROUTE_NO_SYSTEM"), NOW)
    assert (alert.kind, alert.key) == (AlertKind.COPY_FAILED, "d-1")
    assert "ROUTE_NO_SYSTEM" in alert.subject
    assert alert.details["reason"] == "no system serves it"
    assert alert.details["failure_code"] == "ROUTE_NO_SYSTEM"


def test_a_stuck_copy_counts_from_when_it_became_available() -> None:
    """An available copy waits since ``available_at``; a queued one since its last change."""
    available = stuck_alert(_copy(available_at=NOW - timedelta(hours=2)), NOW)
    assert available.details["minutes"] == 120
    assert "not confirmed by sys-b" in available.subject
    queued = stuck_alert(
        _copy(DeliveryState.QUEUED, updated_at=NOW - timedelta(minutes=45), available_at=None),
        NOW,
    )
    assert queued.details["minutes"] == 45
    assert queued.details["state"] == "queued"


def test_a_link_is_down_only_after_the_grace_period() -> None:
    """A failing link alerts once it has failed for ``after``; a link that is up never."""
    after = timedelta(seconds=60)
    recent = LinkHealth("upstream", False, NOW - timedelta(seconds=30), NOW - timedelta(minutes=1))
    assert link_alerts([recent], NOW, after) == []
    old = LinkHealth("upstream", False, NOW - timedelta(minutes=5))
    (alert,) = link_alerts([old], NOW, after)
    assert (alert.kind, alert.key) == (AlertKind.UPSTREAM_DOWN, "upstream")
    assert alert.details["last_success"] is None
    assert link_alerts([LinkHealth("upstream", True, NOW - timedelta(days=1))], NOW, after) == []


def test_certificates_expiring_within_the_window_alert() -> None:
    """Within 60 days (or expired) alerts, keyed by fingerprint; later ones do not."""
    soon = TrustedCertificate("ab" * 32, "CN=Soon", NOW + timedelta(days=10, hours=1))
    gone = TrustedCertificate("cd" * 32, "CN=Gone", NOW - timedelta(days=1))
    fine = TrustedCertificate("ef" * 32, "CN=Fine", NOW + timedelta(days=61))
    alerts = certificate_alerts([soon, gone, fine], NOW, 60)
    assert [a.key for a in alerts] == ["ab" * 32, "cd" * 32]
    assert alerts[0].details["days_left"] == 10
    assert "expires in 10 days" in alerts[0].subject
    assert "expired" in alerts[1].subject


def test_the_webhook_body_is_compact_json_in_vietnam_time() -> None:
    """The body has the six fields, ``at`` in +07:00, non-ASCII kept as UTF-8."""
    alert = Alert(AlertKind.UPSTREAM_DOWN, "upstream", "liên kết", {"n": 1}, NOW)
    body = json.loads(alert.body_bytes("000.00.00.H14"))
    assert body == {
        "kind": "upstream_down",
        "key": "upstream",
        "subject": "liên kết",
        "details": {"n": 1},
        "at": "2026-03-02T09:00:00+07:00",
        "node": "000.00.00.H14",
    }
    assert "liên kết".encode() in alert.body_bytes("n")


def test_an_alert_work_item_is_one_message_per_opening() -> None:
    """The message id is stable for one opening and new for the next; the body parses back."""
    alert = Alert(AlertKind.CERTIFICATE_EXPIRING, "ab" * 32, "s", {}, NOW)
    first, again, second = (
        work.alert(alert.body("n"), 1),
        work.alert(alert.body("n"), 1),
        work.alert(alert.body("n"), 2),
    )
    assert first.topic == "alert"
    assert first.message_id == again.message_id != second.message_id
    assert len(second.message_id) <= 80
    assert work.parse_alert(first.body)["key"] == "ab" * 32


def test_an_alert_body_without_its_fields_is_poison() -> None:
    """A body missing a field (or with details not an object) is refused with its code."""
    with pytest.raises(work.WorkInvalid, match="ALERT_MESSAGE_INVALID"):
        work.parse_alert(b'{"kind": "copy_failed"}')
    body = Alert(AlertKind.COPY_FAILED, "d", "s", {}, NOW).body("n") | {"details": []}
    with pytest.raises(work.WorkInvalid, match="details"):
        work.parse_alert(json.dumps(body).encode())
