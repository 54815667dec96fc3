"""Alerts in the store, on SQLite and PostgreSQL: once per key, cleared, scans and watermark."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from gateway.core import work
from gateway.core.alerts import Alert, AlertKind
from gateway.core.model import DeliveryState, OutboxItem
from gateway.store.repository import SqlStore
from gateway.store.tables import DeliveryRow, OutboxRow
from tests.gateway.store.conftest import NOW, accepted, plan

LATER = NOW + timedelta(minutes=1)


def _alert(kind: AlertKind = AlertKind.UPSTREAM_DOWN, key: str = "upstream") -> Alert:
    return Alert(kind, key, f"{kind.value} {key}", {"key": key}, NOW)


def _outbox(alert: Alert, occurrence: int) -> OutboxItem:
    return work.alert(alert.body("node"), occurrence)


async def _outbox_ids(store: SqlStore) -> list[str]:
    async with store.engine.connect() as connection:
        rows = await connection.execute(
            select(OutboxRow.message_id, OutboxRow.body).order_by(OutboxRow.outbox_id)
        )
        return [f"{mid} {json.loads(body)['key']}" for mid, body in rows]


async def _set_state(store: SqlStore, delivery_id: str, state: DeliveryState) -> None:
    async with store.engine.begin() as connection:
        await connection.execute(
            update(DeliveryRow)
            .where(DeliveryRow.delivery_id == delivery_id)
            .values(state=state.value)
        )


async def test_an_alert_opens_once_until_it_clears(store: SqlStore) -> None:
    """A key already open is not opened again; once cleared it opens again, with a new row."""
    first = await store.open_alerts([_alert(), _alert()], NOW, _outbox)
    assert [a.key for a in first] == ["upstream"]
    assert await store.open_alerts([_alert()], LATER, _outbox) == []
    assert await store.open_alert_counts() == {
        AlertKind.COPY_FAILED: 0,
        AlertKind.COPY_STUCK: 0,
        AlertKind.UPSTREAM_DOWN: 1,
        AlertKind.CERTIFICATE_EXPIRING: 0,
    }
    assert await store.clear_alerts(AlertKind.UPSTREAM_DOWN, (), LATER) == ["upstream"]
    assert (await store.open_alert_counts())[AlertKind.UPSTREAM_DOWN] == 0
    again = await store.open_alerts([_alert()], LATER, _outbox)
    assert [a.key for a in again] == ["upstream"]
    ids = await _outbox_ids(store)
    assert len(set(ids)) == len(ids) == 2, ids
    assert ids[0].endswith(":1 upstream")
    assert ids[1].endswith(":2 upstream")


async def test_many_alerts_open_in_one_call(store: SqlStore) -> None:
    """More alerts than one statement carries open together, each with its outbox row."""
    alerts = [_alert(AlertKind.COPY_STUCK, f"d-{i:04}") for i in range(1201)]
    opened = await store.open_alerts(alerts, NOW, _outbox)
    assert [a.key for a in opened] == [a.key for a in alerts]
    assert (await store.open_alert_counts())[AlertKind.COPY_STUCK] == 1201
    assert len(await _outbox_ids(store)) == 1201
    assert await store.open_alerts(alerts, LATER, _outbox) == []


async def test_opening_without_a_webhook_writes_no_outbox_row(store: SqlStore) -> None:
    """With no outbox builder the alert opens and nothing is queued."""
    assert len(await store.open_alerts([_alert()], NOW)) == 1
    assert await _outbox_ids(store) == []


async def test_clearing_keeps_what_is_still_true_and_what_it_cannot_judge(store: SqlStore) -> None:
    """``keep`` stays open; with ``among``, keys outside it stay open too."""
    kind = AlertKind.UPSTREAM_DOWN
    await store.open_alerts([_alert(kind, "a"), _alert(kind, "b"), _alert(kind, "c")], NOW)
    assert await store.clear_alerts(kind, {"a"}, LATER, among={"a", "b"}) == ["b"]
    assert await store.clear_alerts(kind, {"a"}, LATER) == ["c"]
    assert (await store.open_alert_counts())[kind] == 1


async def test_failed_copies_are_read_from_the_watermark_in_pages(store: SqlStore) -> None:
    """Failed copies since the mark come paged by (updated_at, id), with their failure code."""
    ids = []
    for minutes in (0, 10, 10, 20):
        copy = (await accepted(store, plan())).recipients[0].delivery_id
        at = NOW + timedelta(minutes=minutes)
        await store.fail_delivery(copy, reason="gave up", code="ROUTE_NO_SYSTEM", actor="t", now=at)
        ids.append(copy)
    await accepted(store, plan())  # available, not failed
    since = NOW + timedelta(minutes=5)
    page = await store.failed_copies(since, None, 2)
    assert [f.copy.delivery_id for f in page] == sorted(ids[1:3])
    assert {f.code for f in page} == {"ROUTE_NO_SYSTEM"}
    last = page[-1].copy
    rest = await store.failed_copies(since, (last.updated_at, last.delivery_id), 2)
    assert [f.copy.delivery_id for f in rest] == [ids[3]]


async def test_the_watermark_never_moves_back(store: SqlStore) -> None:
    """A mark is absent at first, then only moves forward."""
    assert await store.alert_mark("copy_failed") is None
    await store.set_alert_mark("copy_failed", LATER)
    await store.set_alert_mark("copy_failed", NOW)
    assert await store.alert_mark("copy_failed") == LATER


async def test_stuck_copies_leave_out_those_already_alerted(store: SqlStore) -> None:
    """Old available and queued copies are stuck, recent ones not, open alerts excluded."""
    old = (await accepted(store, plan())).recipients[0].delivery_id
    queued = (await accepted(store, plan(recipients=(("000.00.01.H41", None),)))).recipients[0]
    found = await store.stuck_copies(NOW + timedelta(seconds=1), NOW + timedelta(seconds=1), 10)
    assert {c.delivery_id for c in found} == {old, queued.delivery_id}
    assert await store.stuck_copies(NOW, NOW, 10) == []
    await store.open_alerts([_alert(AlertKind.COPY_STUCK, old)], NOW)
    found = await store.stuck_copies(LATER, LATER, 10)
    assert [c.delivery_id for c in found] == [queued.delivery_id]
    assert found[0].state is DeliveryState.QUEUED


async def test_copy_alerts_clear_when_their_copy_moves_on(store: SqlStore) -> None:
    """A failed alert clears when its copy is no longer failed; a stuck one when it is settled."""
    failed = (await accepted(store, plan())).recipients[0].delivery_id
    stuck = (await accepted(store, plan())).recipients[0].delivery_id
    await store.fail_delivery(failed, reason="r", code="C", actor="t", now=NOW)
    await store.open_alerts(
        [_alert(AlertKind.COPY_FAILED, failed), _alert(AlertKind.COPY_STUCK, stuck)], NOW
    )
    assert await store.clear_copy_alerts(LATER) == []
    await _set_state(store, failed, DeliveryState.AVAILABLE)  # e.g. replayed
    await _set_state(store, stuck, DeliveryState.RECEIVED)
    assert await store.clear_copy_alerts(LATER) == [
        (AlertKind.COPY_FAILED, failed),
        (AlertKind.COPY_STUCK, stuck),
    ]
    assert sum((await store.open_alert_counts()).values()) == 0
