"""The operators' node-wide queries (gateway/store/admin.py) through the core's use cases, on
SQLite and PostgreSQL: filters, keyset pages in both directions, counts per state, stuck copies,
one copy's detail."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text

from business_calendar.table import load_spec
from gateway.core.actors import Actor, Role
from gateway.core.clock import FrozenClock
from gateway.core.deliveries_admin import DeliveriesAdmin, DeliveryFilter, SortKey, StuckLimits
from gateway.core.errors import NotAllowed, NotFound
from gateway.core.legal import LegalTime
from gateway.core.model import AcceptPlan, AttachmentInfo, DeliveryState, EventKind
from gateway.store.database import create_engine, ensure_schema, migrate
from gateway.store.repository import SqlStore
from gateway.store.tables import EventRow, core
from identifiers import Agency, Registry
from tests.conftest import TEST_DATABASE_URL, require_service
from tests.gateway.store.conftest import NOW, accepted, plan

AUDITOR = Actor("audrey", Role.AUDITOR)


@pytest.fixture(scope="module")
def legal() -> LegalTime:
    """The shipped business calendar (built once: it takes a moment)."""
    return LegalTime(load_spec())


def _admin(store: SqlStore, legal: LegalTime, clock: FrozenClock | None = None) -> DeliveriesAdmin:
    registry = Registry([Agency(name="Sở A", code="H41.01", code102="000.00.01.H41")])
    return DeliveriesAdmin(
        store,
        registry,
        clock or FrozenClock(NOW),
        legal,
        stuck=StuckLimits(available_hours=2, moving_minutes=30),
    )


async def _doc(
    store: SqlStore,
    minutes: int,
    recipients: tuple[tuple[str, str | None], ...] = (("000.00.01.H41", "sys-b"),),
    **document: Any,
) -> AcceptPlan:
    p = plan(recipients=recipients, **document)
    at = NOW + timedelta(minutes=minutes)
    return await accepted(
        store, dataclasses.replace(p, document=dataclasses.replace(p.document, accepted_at=at))
    )


async def test_filters_narrow_the_node_wide_list(store: SqlStore, legal: LegalTime) -> None:
    """Each filter narrows the node-wide list; counts cover every state of the filter."""
    admin = _admin(store, legal)
    a = await _doc(store, 0, code_number="12", code_notation="UBND-VP", priority=2)
    b = await _doc(store, 1, recipients=(("H41.05", "sys-c"), ("000.00.09.H14", None)))
    copy_b0, copy_b1 = (r.delivery_id for r in b.recipients)
    await store.fail_delivery(
        copy_b1,
        reason="no system",
        code="ROUTE_NO_SYSTEM",
        actor="router",
        now=NOW + timedelta(minutes=2),
    )

    async def ids(**given: object) -> set[str]:
        page = await admin.list(AUDITOR, DeliveryFilter(**given))  # type: ignore[arg-type]
        return {c.delivery_id for c in page.items}

    copy_a = a.recipients[0].delivery_id
    assert await ids() == {copy_a, copy_b0, copy_b1}
    assert await ids(state=DeliveryState.FAILED) == {copy_b1}
    assert await ids(fail_code="ROUTE_NO_SYSTEM") == {copy_b1}
    assert await ids(fail_code="RECEIVER_FAILED") == set()
    assert await ids(sender="000.00.01.H14") == {copy_a, copy_b0, copy_b1}
    assert await ids(sender="000.00.02.H14") == set()
    assert await ids(recipient="000.00.01.H41") == {copy_a}
    assert await ids(recipient="H41.01") == {copy_a}  # the registered agency's other form
    assert await ids(recipient="H41", subtree=True) == {copy_a, copy_b0}
    assert await ids(recipient="H41") == set()
    assert await ids(system="sys-c") == {copy_b0}
    assert await ids(priority=2) == {copy_a}
    assert await ids(number="12", notation="UBND-VP") == {copy_a}
    assert await ids(since=NOW + timedelta(seconds=30)) == {copy_b0, copy_b1}
    page = await admin.list(AUDITOR, DeliveryFilter(state=DeliveryState.FAILED))
    assert page.counts["failed"] == 1
    assert page.counts["available"] == 2  # counts ignore the state filter
    assert page.counts["forwarded"] == 0


@pytest.mark.parametrize("sort", list(SortKey))
async def test_pages_cover_every_copy_once_in_order(
    store: SqlStore, legal: LegalTime, sort: SortKey
) -> None:
    """Keyset pages in every sort order list each copy once, in that order."""
    admin = _admin(store, legal)
    for minutes in (0, 3, 3, 7, 9):
        await _doc(store, minutes)
    seen: list[tuple[datetime, str]] = []
    after = None
    while True:
        page = await admin.list(AUDITOR, DeliveryFilter(), sort=sort, limit=2, after=after)
        seen += [(getattr(c, sort.column), c.delivery_id) for c in page.items]
        if page.next_position is None:
            break
        after = page.next_position
    assert len(seen) == 5
    assert len({key for _, key in seen}) == 5
    assert seen == sorted(seen, reverse=sort.descending)


async def test_stuck_copies_count_working_hours_and_minutes(
    store: SqlStore, legal: LegalTime
) -> None:
    """Available copies stick after N working hours, queued ones after N minutes."""
    # NOW is Monday 2026-03-02 08:00 +07:00; office hours 07:30-11:30, 13:30-17:00.
    clock = FrozenClock(NOW)
    admin = _admin(store, legal, clock)
    waiting = await _doc(store, 0)
    queued = await _doc(store, 0, recipients=(("000.00.07.H41", None),))
    clock.advance(timedelta(minutes=20))
    assert (await admin.stuck(AUDITOR)).items == ()
    clock.advance(timedelta(minutes=20))  # 40 minutes: the queued copy is stuck
    stuck = {c.delivery_id for c in (await admin.stuck(AUDITOR)).items}
    assert stuck == {queued.recipients[0].delivery_id}
    clock.advance(timedelta(hours=2))  # 10:40: 2h40 of office time since 08:00
    stuck = {c.delivery_id for c in (await admin.stuck(AUDITOR)).items}
    assert waiting.recipients[0].delivery_id in stuck
    late = await _doc(store, 9 * 60 + 30)  # 17:30 Monday, after hours
    clock.at = NOW + timedelta(hours=24, minutes=10)  # Tuesday 08:10: 40 office minutes
    stuck = {c.delivery_id for c in (await admin.stuck(AUDITOR)).items}
    assert late.recipients[0].delivery_id not in stuck


async def test_the_detail_shows_events_attempts_and_attachments(
    store: SqlStore, legal: LegalTime
) -> None:
    """A copy's detail has events, attempts, time failed, failure code and attachments."""
    clock = FrozenClock(NOW + timedelta(minutes=10))
    admin = _admin(store, legal, clock)
    p = plan()
    p = dataclasses.replace(
        p, attachments=(AttachmentInfo(1, "qd.pdf", "application/pdf", 1234, "ab" * 32, False),)
    )
    await accepted(store, p)
    copy_id = p.recipients[0].delivery_id
    for n in (1, 2):
        await store.confirm(
            copy_id,
            done=False,
            actor="sys-b",
            now=NOW + timedelta(minutes=n),
            max_failures=2,
            retry_at=lambda _: NOW,
            reason=f"busy {n}",
        )
    detail = await admin.detail(AUDITOR, copy_id)
    assert detail.copy.state is DeliveryState.FAILED
    assert detail.fail_code == "RECEIVER_FAILED"
    assert detail.replayable
    kinds = [e.kind for e in detail.events]
    assert kinds[:2] == [EventKind.ACCEPTED, EventKind.AVAILABLE]
    assert kinds[-1] is EventKind.FAILED
    assert [a.outcome for a in detail.attempts] == ["receiver_failed", "receiver_failed"]
    assert detail.time_in_failure == timedelta(minutes=8)
    assert detail.trace.attachments[0].name == "qd.pdf"
    with pytest.raises(NotFound) as unknown:
        await admin.detail(AUDITOR, "nope")
    assert unknown.value.code == "DELIVERY_UNKNOWN"
    with pytest.raises(NotAllowed) as anonymous:
        await admin.detail(None, copy_id)
    assert anonymous.value.code == "AUTH_REQUIRED"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_migration_0009_fills_the_failure_code_of_failed_copies(
    backend: str, tmp_path: Path
) -> None:
    """Copies failed before 0009 get the code of their last failure; others none."""
    schema = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        url = require_service("PostgreSQL", TEST_DATABASE_URL, 5432)
        schema = f"s_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url, schema=schema)
    try:
        await ensure_schema(engine, schema)
        await migrate(engine, "0008")
        store = SqlStore(engine)
        p = await accepted(
            store, plan(recipients=(("000.00.01.H41", "sys-b"), ("000.00.02.H41", "sys-b")))
        )
        failed, waiting = (r.delivery_id for r in p.recipients)
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE deliveries SET state = 'failed' WHERE delivery_id = :d"), {"d": failed}
            )
            for n, code in enumerate(("RECEIVER_FAILED", "ROUTE_DEAD_LETTER")):
                await connection.execute(
                    insert(core(EventRow)),
                    [{"delivery_id": failed, "kind": "failed", "at": NOW + timedelta(minutes=n),
                      "actor": "router", "detail": {"code": code}}],
                )  # fmt: skip
        await migrate(engine)
        copy = await store.get_delivery(failed)
        other = await store.get_delivery(waiting)
        assert copy is not None
        assert other is not None
        assert copy.fail_code == "ROUTE_DEAD_LETTER"
        assert other.fail_code is None
    finally:
        if schema:
            async with engine.begin() as connection:
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()
