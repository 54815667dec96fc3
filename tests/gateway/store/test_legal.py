"""Legal measures in the store, on SQLite and PostgreSQL: written by accept, confirm and status
recording in their own statements, override rows, and recompute after an override."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from business_calendar.calendar import Override, OverrideKind
from business_calendar.table import load_spec
from gateway.core.clock import VN_TZ
from gateway.core.errors import NotAllowed
from gateway.core.legal import LegalTime, StoredOverride, notice_on_time, overdue
from gateway.core.model import AcceptPlan, DeliveryView, MessageType, StatusNoticePlan
from gateway.core.recompute import recompute
from gateway.store.repository import SqlStore
from tests.gateway.store.conftest import accepted, plan


def vn(text: str) -> datetime:
    """An instant written in +07:00."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


@pytest.fixture(scope="module")
def legal() -> LegalTime:
    """The shipped calendar, no operator rows."""
    return LegalTime(load_spec())


def document_plan(
    legal: LegalTime,
    accepted_at: datetime,
    *,
    promulgated: date | None = None,
    due: date | None = None,
    priority: int = 0,
) -> AcceptPlan:
    """A document to one copy (system sys-b), with the measures the acceptor would compute."""
    p = plan(promulgation_date=promulgated, due_date=due, priority=priority)
    measures = legal.document(MessageType.EDOC, accepted_at, promulgated, due)
    return replace(p, document=replace(p.document, accepted_at=accepted_at, legal=measures))


async def received(store: SqlStore, legal: LegalTime, copy_id: str, at: datetime) -> DeliveryView:
    """Route the copy and confirm it done at ``at``, as the exchange does."""
    await store.make_available(copy_id, at)
    outcome = await store.confirm(
        copy_id,
        done=True,
        actor="sys-b",
        now=at,
        max_failures=3,
        retry_at=lambda _: at,
        reason=None,
        receipt=legal.receipt,
    )
    assert outcome is not None
    return outcome.delivery


async def record_status(
    store: SqlStore, copy_id: str, code: str, at: datetime, issued: datetime | None = None
) -> None:
    """Record a status about the copy accepted at ``at`` (issued at ``issued`` by its reporter),
    settling what the acceptor settles."""
    copy = await store.get_delivery(copy_id)
    assert copy is not None
    p = plan(recipients=())
    notice = StatusNoticePlan(
        copy_id,
        code,
        None,
        issued,
        "000.00.01.H41",
        notice_on_time=notice_on_time(code, copy.kind, copy.legal, copy.received_at, at),
        overdue=overdue(code, copy.kind, copy.legal, at),
    )
    document = replace(p.document, kind=MessageType.STATUS, accepted_at=at, status_code=code)
    await accepted(store, replace(p, document=document, status_notice=notice))


async def test_accept_stores_the_document_measures(store: SqlStore, legal: LegalTime) -> None:
    """Send deadline, on-time flag, due time and version are stored with the document."""
    p = await accepted(
        store,
        document_plan(
            legal, vn("2026-03-03T11:31"), promulgated=date(2026, 3, 2), due=date(2026, 3, 7)
        ),
    )
    doc = await store.get_document(p.document.document_id)
    assert doc is not None
    assert doc.legal == p.document.legal
    assert doc.legal.send_deadline == vn("2026-03-03T11:30")
    assert doc.legal.sent_on_time is False
    assert doc.legal.due_at == vn("2026-03-09T17:00")
    assert doc.legal.calendar_version == legal.version
    (copy,) = await store.deliveries_of(p.document.document_id)
    assert copy.legal.due_at == vn("2026-03-09T17:00")  # read with the copy, for `overdue`
    assert copy.legal.legal_received_at is None


async def test_confirm_after_hours_records_the_legal_receipt(
    store: SqlStore, legal: LegalTime
) -> None:
    """A copy confirmed at 18:00 on Friday is legally received Monday 07:30, in the same write."""
    p = await accepted(store, document_plan(legal, vn("2026-03-06T16:30"), priority=1))
    copy_id = p.recipients[0].delivery_id
    copy = await received(store, legal, copy_id, vn("2026-03-06T18:00"))
    for found in (copy, await store.get_delivery(copy_id)):
        assert found is not None
        assert found.received_at == vn("2026-03-06T18:00")
        assert found.legal.legal_received_at == vn("2026-03-09T07:30")
        assert found.legal.received_out_of_hours is True
        assert found.legal.notice_deadline == vn("2026-03-09T17:00")
        assert found.legal.urgent_handover_minutes == 30  # 16:30 → 17:00, then after hours
        assert found.legal.calendar_version == legal.version
    again = await store.confirm(
        copy_id,
        done=True,
        actor="sys-b",
        now=vn("2026-03-09T09:00"),
        max_failures=3,
        retry_at=lambda _: vn("2026-03-09T09:00"),
        reason=None,
        receipt=legal.receipt,
    )
    assert again is not None
    assert not again.changed
    assert again.delivery.legal.legal_received_at == vn("2026-03-09T07:30")


@pytest.mark.parametrize(
    ("statuses", "notice", "late"),
    [
        ((("01", "2026-03-09T10:00"),), True, None),
        ((("03", "2026-03-10T08:00"),), False, None),
        ((("01", "2026-03-09T10:00"), ("03", "2026-03-10T08:00")), True, None),  # first wins
        ((("01", "2026-03-10T08:00"), ("03", "2026-03-09T16:00")), False, None),
        ((("06", "2026-03-11T17:00"),), None, False),  # 06 by the due time
        ((("06", "2026-03-12T08:00"), ("06", "2026-03-11T09:00")), None, True),  # first 06
        ((("06", "2026-03-09T09:00"), ("03", "2026-03-09T09:30")), True, False),  # out of order
    ],
)
async def test_statuses_settle_notice_and_overdue(
    store: SqlStore,
    legal: LegalTime,
    statuses: tuple[tuple[str, str], ...],
    notice: bool | None,
    late: bool | None,
) -> None:
    """The first 01/03 settles notice_on_time, the first 06 settles overdue, in any order."""
    p = await accepted(store, document_plan(legal, vn("2026-03-06T16:00"), due=date(2026, 3, 11)))
    copy_id = p.recipients[0].delivery_id
    await received(store, legal, copy_id, vn("2026-03-06T18:00"))  # notice due Mon 17:00
    for code, at in statuses:
        await record_status(store, copy_id, code, vn(at))
    copy = await store.get_delivery(copy_id)
    assert copy is not None
    assert copy.legal.notice_on_time is notice
    assert copy.legal.overdue is late
    assert copy.status_code == max(code for code, _ in statuses)


async def test_statuses_are_listed_in_the_order_they_were_issued(
    store: SqlStore, legal: LegalTime
) -> None:
    """Notices that hopped out of order are listed by their issue time, arrival breaking ties and
    notices without one last."""
    p = await accepted(store, document_plan(legal, vn("2026-03-06T09:00")))
    copy_id = p.recipients[0].delivery_id
    arrivals = (
        ("06", vn("2026-03-06T11:00")),
        ("01", vn("2026-03-06T09:30")),
        ("02", None),
        ("03", vn("2026-03-06T10:00")),
        ("05", vn("2026-03-06T10:00")),
    )
    for code, issued in arrivals:
        await record_status(store, copy_id, code, vn("2026-03-06T12:00"), issued)
    listed = (await store.statuses_of([copy_id]))[copy_id]
    assert [n.code for n in listed] == ["01", "03", "05", "06", "02"]


async def test_a_notice_before_the_confirmation_is_on_time(
    store: SqlStore, legal: LegalTime
) -> None:
    """A 01 recorded while the copy is not yet confirmed is on time."""
    p = await accepted(store, document_plan(legal, vn("2026-03-06T16:00")))
    copy_id = p.recipients[0].delivery_id
    await store.make_available(copy_id, vn("2026-03-06T16:00"))
    await record_status(store, copy_id, "01", vn("2026-03-06T16:05"))
    copy = await received(store, legal, copy_id, vn("2026-03-06T16:10"))
    assert copy.legal.notice_on_time is True
    assert copy.legal.notice_deadline == vn("2026-03-06T17:00")


async def test_override_rows(store: SqlStore) -> None:
    """Operator rows are added once per date, listed by date, and removed."""
    at = vn("2026-03-01T08:00")
    late = StoredOverride(
        Override(date(2026, 9, 1), OverrideKind.DAY_OFF, "Nghỉ", "CV 3/2026", "medium"), at, "cli:a"
    )
    early = StoredOverride(
        Override(date(2026, 8, 22), OverrideKind.MAKE_UP_WORKDAY, "Làm bù", "CV 3/2026"), at, "sys"
    )
    await store.add_calendar_override(late)
    await store.add_calendar_override(early)
    assert await store.calendar_overrides() == [early, late]
    with pytest.raises(NotAllowed) as refused:
        await store.add_calendar_override(replace(late, created_by="other"))
    assert refused.value.code == "CALENDAR_OVERRIDE_EXISTS"
    assert await store.remove_calendar_override(date(2026, 9, 1)) == late
    assert await store.remove_calendar_override(date(2026, 9, 1)) is None
    assert await store.calendar_overrides() == [early]


async def test_recompute_after_an_override(store: SqlStore, legal: LegalTime) -> None:
    """A day off added later moves deadlines only when recompute runs, and reports the changes."""
    p = await accepted(
        store,
        document_plan(
            legal, vn("2026-03-05T10:00"), promulgated=date(2026, 3, 4), due=date(2026, 3, 5)
        ),
    )
    doc_id, copy_id = p.document.document_id, p.recipients[0].delivery_id
    await received(store, legal, copy_id, vn("2026-03-05T16:00"))  # notice due 03-05 17:00
    await record_status(store, copy_id, "01", vn("2026-03-06T09:00"))  # late
    await record_status(store, copy_id, "06", vn("2026-03-06T10:00"))  # after due 03-05 17:00
    old = await store.get_delivery(copy_id)
    assert old is not None
    assert (old.legal.notice_on_time, old.legal.overdue) == (False, True)
    untouched = await accepted(store, document_plan(legal, vn("2026-02-20T09:00")))

    # A notice makes 5 March a day off: nothing stored changes until recompute.
    row = Override(date(2026, 3, 5), OverrideKind.DAY_OFF, "Nghỉ", "CV 9/2026")
    await store.add_calendar_override(StoredOverride(row, vn("2026-03-07T08:00"), "test"))
    changed = LegalTime(legal.spec, await store.calendar_overrides())
    assert changed.version != legal.version
    doc = await store.get_document(doc_id)
    assert doc is not None
    assert doc.legal.calendar_version == legal.version

    dry = await recompute(store, changed, date(2026, 3, 1), apply=False)
    # Documents include the two status packages (no measures of their own, no copies here).
    assert (dry.documents, dry.documents_changed, dry.copies, dry.copies_changed) == (3, 1, 1, 1)
    doc = await store.get_document(doc_id)
    assert doc is not None
    assert doc.legal.calendar_version == legal.version  # a dry run writes nothing

    report = await recompute(store, changed, date(2026, 3, 1))
    assert (report.documents_changed, report.copies_changed, report.restamped) == (1, 1, 0)
    assert report.examples[0].startswith(f"document {doc_id}: send_deadline ")
    assert (
        "legal_received_at 2026-03-05T16:00:00+07:00 -> 2026-03-06T07:30:00+07:00"
        in (report.examples[1])
    )
    doc = await store.get_document(doc_id)
    assert doc is not None
    assert doc.legal.send_deadline == vn("2026-03-06T11:30")
    assert doc.legal.due_at == vn("2026-03-06T17:00")
    assert doc.legal.calendar_version == changed.version
    copy = await store.get_delivery(copy_id)
    assert copy is not None
    assert copy.legal.legal_received_at == vn("2026-03-06T07:30")
    assert copy.legal.notice_deadline == vn("2026-03-06T17:00")
    assert (copy.legal.notice_on_time, copy.legal.overdue) == (True, False)
    assert copy.legal.calendar_version == changed.version
    before = await store.get_document(untouched.document.document_id)
    assert before is not None
    assert before.legal.calendar_version == legal.version  # accepted before --from

    again = await recompute(store, changed, date(2026, 3, 1))
    assert (again.documents_changed, again.copies_changed, again.restamped) == (0, 0, 0)
    wider = await recompute(store, changed, date(2026, 2, 1), batch=1)
    assert (wider.documents, wider.documents_changed, wider.restamped) == (4, 0, 1)


async def test_the_statistics_follow_a_recompute_by_themselves(
    store: SqlStore, legal: LegalTime
) -> None:
    """Recompute marks the copies it rewrote; the worker, whose calendar is still the old one,
    reloads it and counts them again by difference: the figures equal the recount with the new
    calendar, with no ``stats rebuild`` and never zeroed in between."""
    from gateway.core.clock import FrozenClock
    from gateway.core.stats.periods import date_range
    from gateway.core.stats.service import Statistics
    from gateway.workers.stats import StatsWorker
    from tests.gateway.store.stats_history import registry

    p = await accepted(store, document_plan(legal, vn("2026-03-05T10:00")))
    await received(store, legal, p.recipients[0].delivery_id, vn("2026-03-05T16:00"))
    current = [legal]
    reloads: list[str] = []
    changed = legal

    async def reload() -> None:  # what CalendarAdmin.reload does: the stored rows, rebuilt
        reloads.append(changed.version)
        current[0] = changed

    clock = FrozenClock(vn("2026-03-09T09:00"))
    worker = StatsWorker(store, clock, lambda: current[0].calendar, refresh=reload)
    stats = Statistics(store, registry(), lambda: current[0].calendar, clock)
    march = date_range(date(2026, 3, 1), date(2026, 3, 31))
    await worker.catch_up()
    before = (await stats.summary(march)).figures
    assert before.as_recipient.out_of_hours == 0  # 16:00 on a working Thursday

    row = Override(date(2026, 3, 5), OverrideKind.DAY_OFF, "Nghỉ", "CV 9/2026")
    await store.add_calendar_override(StoredOverride(row, vn("2026-03-07T08:00"), "test"))
    changed = LegalTime(legal.spec, await store.calendar_overrides())
    report = await recompute(store, changed, date(2026, 3, 1))
    assert report.recount == 1
    assert report.as_dict()["stats_recount"] == 1
    pending = await stats.summary(march)
    assert pending.freshness.recount == 1
    assert pending.figures == before  # still counted, with the old calendar, until the tick

    await worker.catch_up()
    assert reloads == [changed.version]  # reloaded once, before counting the marked copy
    after = await stats.summary(march)
    assert after.freshness.recount == 0
    assert worker.progress.recounted == 1
    assert after.figures.as_recipient.out_of_hours == 1  # received on a day now off
    assert after.figures.as_recipient.legal_delay != before.as_recipient.legal_delay
    assert after.figures == await stats.recount(march)
    assert after.figures.as_sender.copies == before.as_sender.copies  # counted once, not twice

    # A dry run marks nothing; a recompute with nothing to change marks nothing either.
    assert (await recompute(store, changed, date(2026, 3, 1), apply=False)).recount == 0
    assert (await recompute(store, changed, date(2026, 3, 1))).recount == 0
