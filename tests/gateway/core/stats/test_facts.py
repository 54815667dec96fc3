"""The cells of one copy: replays, failures, notices and backlog as docs/statistics.md defines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from business_calendar.table import load_spec
from gateway.core.legal import LegalTime
from gateway.core.stats import facts as f

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Vietnam
CALENDAR = LegalTime(load_spec()).calendar
COPY = f.CopyFact(
    "c1", "H14", "H14.91", AT, 0, "available", None, False, AT, None, None, None, None, None,
    None, None, False,
)  # fmt: skip


def values(copy: f.CopyFact) -> dict[str, str]:
    """measure -> bucket of one copy (each measure once here)."""
    return dict(f.copy_values(copy, CALENDAR))


def test_a_waiting_copy_is_backlog_from_its_minute() -> None:
    """An available copy is pending and in the backlog since its available minute."""
    found = values(replace(COPY, available_at=AT + timedelta(seconds=42)))
    assert found[f.COPY_OUTCOME] == "pending"
    assert found[f.COPY_BACKLOG] == "at@2026-03-02T02:00:00+00:00"


def test_replays() -> None:
    """A replay entry counts; so does a failure followed by a receipt; a failed copy without a
    replay entry does not."""
    assert f.COPY_REPLAYED in values(replace(COPY, replay_entry=True))
    assert f.COPY_REPLAYED in values(replace(COPY, state="received", failed_before=True))
    failed = values(replace(COPY, state="failed", failed_before=True, failure_code="E_X"))
    assert f.COPY_REPLAYED not in failed
    assert failed[f.COPY_FAILURE] == "E_X"


def test_a_received_copy_has_both_delays_and_its_notice_deadline() -> None:
    """Received at 19:00 (out of hours): technical 600 min (592 to its step), legal = office
    minutes 09:00-17:00 less lunch; no notice yet: the deadline decides at read time."""
    received = AT + timedelta(hours=10)
    deadline = CALENDAR.notice_deadline(CALENDAR.legal_receipt_time(received))
    found = values(
        replace(
            COPY,
            state="received",
            received_at=received,
            received_out_of_hours=True,
            notice_deadline=deadline,
        )
    )
    assert found[f.COPY_TECHNICAL] == "592"
    assert found[f.COPY_LEGAL] == str(f.delay_step(CALENDAR.business_minutes(AT, received)))
    assert found[f.COPY_HOURS] == "out"
    assert found[f.COPY_NOTICE] == "due@" + f.instant(deadline)


def test_document_types_come_from_the_notation() -> None:
    """QĐ-UBND is a decision, UBND-VP an official letter (CV)."""
    assert f.document_type("QĐ-UBND") == "QĐ"
    assert f.document_type("UBND-VP") == "CV"
    assert f.document_type(None) == "CV"


@pytest.mark.parametrize(
    ("minutes", "step"),
    [
        (0, 0),
        (1, 1),
        (63, 63),
        (64, 64),
        (65, 64),
        (127, 126),
        (128, 128),
        (131, 128),
        (600, 592),
        (2047, 2016),
        (2048, 2048),
        (4000, 3968),
    ],
)
def test_a_delay_is_exact_below_an_hour_and_floored_to_its_step_above(
    minutes: int, step: int
) -> None:
    assert f.delay_step(minutes) == step


@given(st.integers(min_value=0, max_value=10**9))
def test_a_delay_step_is_at_most_a_32nd_below_the_delay(minutes: int) -> None:
    """Never above the delay, never more than 1/32 below it, and its own step (idempotent)."""
    step = f.delay_step(minutes)
    assert step <= minutes
    assert minutes - step <= minutes / 32
    assert f.delay_step(step) == step


def test_a_month_histogram_holds_at_most_32_values_per_doubling() -> None:
    """Every minute of 0..4 095 falls in 64 + 6 × 32 steps."""
    assert len({f.delay_step(m) for m in range(4096)}) == 64 + 6 * 32
