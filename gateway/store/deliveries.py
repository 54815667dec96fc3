"""Copies changing state in the store, every move taken from :mod:`gateway.core.delivery`.

Two ways to apply a transition, both guarded by the table:

- on a row read (and locked, on PostgreSQL) in the use case's transaction: :func:`move` asks
  :func:`gateway.core.delivery.step` for the transition, sets the state and appends the history
  entries the table lists (``updateStatus``, ``reportDelivery``);
- in one statement: ``UPDATE … WHERE state IN sources(event)`` (router, forwarder, failures).

A copy pulled from the upstream node that reaches a state the table reports
(:func:`gateway.core.delivery.reports_upstream`) gets a ``report`` outbox row in the same
transaction (store first, then publish).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core import work
from gateway.core.delivery import Event, Transition, reports_upstream, sources, step, target
from gateway.core.model import (
    ConfirmOutcome,
    CopyLegal,
    DeliveryState,
    DeliveryView,
    EventKind,
)
from gateway.store.outbox import outbox_row
from gateway.store.rows import view, view_query
from gateway.store.session import SessionScope, reconnecting
from gateway.store.tables import AwareDateTime, DeliveryRow, EventRow


def event(
    delivery_id: str, kind: EventKind, at: datetime, actor: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """The row values of one history entry."""
    return {
        "delivery_id": delivery_id,
        "kind": kind.value,
        "at": at,
        "actor": actor,
        "detail": detail,
    }


def move(
    s: AsyncSession,
    row: DeliveryRow,
    what: Event,
    *,
    actor: str,
    now: datetime,
    details: Mapping[EventKind, dict[str, Any]] | None = None,
    code: str | None = None,
) -> Transition | None:
    """Apply ``what`` to a loaded copy when the table allows it from the copy's state; append
    the transition's history entries (with ``details`` per kind) and, for a pulled copy reaching
    a reported state, the ``report`` outbox row. None: the event changes nothing."""
    source = DeliveryState(row.state)
    transition = step(source, what)
    if transition is None:
        return None
    row.state = transition.target.value
    row.updated_at = now
    if transition.target is DeliveryState.FAILED:
        row.fail_code = code  # the operators' filter (migration 0009)
    elif source is DeliveryState.FAILED:
        row.fail_code = None
    if transition.target is not DeliveryState.AVAILABLE:
        row.next_attempt_at = None
    for kind in transition.appends:
        detail = {"from_state": source.value, **(details or {}).get(kind, {})}
        s.add(EventRow(**event(row.delivery_id, kind, now, actor, detail)))
    if row.origin_doc_id is not None and reports_upstream(transition.target):
        row.reported_at = None  # a new final state: not reported yet
        item = work.report(row.delivery_id, transition.target, row.priority, code=code)
        s.add(outbox_row(item, now))
    return transition


def _received(row: DeliveryRow, at: datetime, legal: CopyLegal | None) -> None:
    """The receipt's instant and measures on a copy that became ``received``."""
    row.received_at = at
    if legal is not None:
        row.legal_received_at = legal.legal_received_at
        row.received_out_of_hours = legal.received_out_of_hours
        row.notice_deadline = legal.notice_deadline
        row.urgent_handover_minutes = legal.urgent_handover_minutes
        row.calendar_version = legal.calendar_version


class SqlDeliveries(SessionScope):
    """The copy transitions of the store port."""

    def _copy_for_update(self, delivery_id: str, system_id: str | None) -> Any:
        """The copy (locked on PostgreSQL), restricted to ``system_id``'s offered copies."""
        query = view_query().where(DeliveryRow.delivery_id == delivery_id)
        if system_id is not None:
            query = query.where(
                DeliveryRow.system_id == system_id,
                DeliveryRow.state != DeliveryState.QUEUED.value,
            )
        if self._postgres:
            query = query.with_for_update(of=DeliveryRow)
        return query

    @reconnecting
    async def confirm(
        self,
        delivery_id: str,
        *,
        done: bool,
        actor: str,
        now: datetime,
        max_failures: int,
        retry_at: Callable[[int], datetime],
        reason: str | None,
        receipt: Callable[[DeliveryView, datetime], CopyLegal] | None = None,
        next_doc_id: str | None = None,
    ) -> ConfirmOutcome | None:
        """Apply updateStatus done|fail on the actor's copy, idempotently; a ``done`` stores the
        legal measures ``receipt`` gives in the same UPDATE (no extra round trip). A ``done``
        with ``next_doc_id`` (a node link only: the caller checks) is a downstream node taking
        the copy on: it becomes ``forwarded`` until that node reports the final receipt."""
        async with self._tx() as s:
            found = (await s.execute(self._copy_for_update(delivery_id, actor))).first()
            if found is None:
                return None
            row: DeliveryRow = found[0]
            if done and next_doc_id is not None:
                changed = self._hand_on(s, row, next_doc_id, actor, now)
            elif done:
                changed = self._done(s, row, actor, now, receipt, found)
            else:
                changed = self._receiver_failed(s, row, actor, now, max_failures, retry_at, reason)
            await s.flush()
            return ConfirmOutcome(view(found), changed)

    @staticmethod
    def _hand_on(
        s: AsyncSession, row: DeliveryRow, next_doc_id: str, actor: str, now: datetime
    ) -> bool:
        details = {EventKind.FORWARDED: {"next_doc_id": next_doc_id}}
        if move(s, row, Event.HAND_ON, actor=actor, now=now, details=details) is None:
            return False
        row.upstream_doc_id = next_doc_id
        return True

    @staticmethod
    def _done(
        s: AsyncSession,
        row: DeliveryRow,
        actor: str,
        now: datetime,
        receipt: Callable[[DeliveryView, datetime], CopyLegal] | None,
        found: Any,
    ) -> bool:
        if step(DeliveryState(row.state), Event.DONE) is None:
            return False  # received or removed already; forwarded: the next node reports
        legal = receipt(view(found), now) if receipt is not None else None
        move(s, row, Event.DONE, actor=actor, now=now)
        _received(row, now, legal)
        return True

    @staticmethod
    def _receiver_failed(
        s: AsyncSession,
        row: DeliveryRow,
        actor: str,
        now: datetime,
        max_failures: int,
        retry_at: Callable[[int], datetime],
        reason: str | None,
    ) -> bool:
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return False  # a repeated "fail" for the same offer (client retry): counted once
        failures = row.receiver_failures + 1
        what = Event.RECEIVER_GIVE_UP if failures >= max_failures else Event.RECEIVER_FAIL
        error = reason or "the receiving system reported a failure"
        details: dict[EventKind, dict[str, Any]] = {
            EventKind.RECEIVER_FAILED: {"failures": failures, "reason": error},
            EventKind.FAILED: {"code": "RECEIVER_FAILED", "reason": error},
        }
        code = "RECEIVER_FAILED"
        if move(s, row, what, actor=actor, now=now, details=details, code=code) is None:
            return False
        row.receiver_failures = failures
        row.last_error = error
        if what is Event.RECEIVER_FAIL:
            row.next_attempt_at = retry_at(failures)
        return True

    @reconnecting
    async def make_available(
        self, delivery_id: str, now: datetime, system_id: str | None = None
    ) -> bool:
        """queued → available (:data:`Event.ROUTE`), to ``system_id`` or to the system recorded
        on the copy."""
        values: dict[str, Any] = {
            "state": target(Event.ROUTE).value,
            "available_at": now,
            "updated_at": now,
        }
        condition = [
            DeliveryRow.delivery_id == delivery_id,
            DeliveryRow.state.in_(sources(Event.ROUTE)),
        ]
        if system_id is None:
            condition.append(DeliveryRow.system_id.is_not(None))
        else:
            values["system_id"] = system_id
        source = literal(DeliveryState.QUEUED.value)
        if self._postgres:
            # One round trip: the state change and its history entry in one statement.
            routed = (
                update(DeliveryRow)
                .where(*condition)
                .values(**values)
                .returning(DeliveryRow.delivery_id, DeliveryRow.system_id)
                .cte("routed")
            )
            entry = (
                insert(EventRow)
                .from_select(
                    ["delivery_id", "kind", "at", "actor", "detail"],
                    select(
                        routed.c.delivery_id,
                        literal(EventKind.AVAILABLE.value),
                        literal(now, AwareDateTime),
                        literal("router"),
                        func.json_build_object(
                            "system_id", routed.c.system_id, "from_state", source
                        ),
                    ),
                )
                .returning(EventRow.event_id)
            )
            async with self._one() as s:
                return (await s.scalar(entry)) is not None
        async with self._tx() as s:
            chosen = await s.scalar(
                update(DeliveryRow)
                .where(*condition)
                .values(**values)
                .returning(DeliveryRow.system_id)
            )
            if chosen is None:
                return False
            detail = {"system_id": chosen, "from_state": DeliveryState.QUEUED.value}
            await s.execute(
                insert(EventRow), [event(delivery_id, EventKind.AVAILABLE, now, "router", detail)]
            )
            return True

    @reconnecting
    async def mark_forwarded(
        self, delivery_ids: Sequence[str], upstream_doc_id: str, now: datetime
    ) -> int:
        """queued → forwarded (:data:`Event.FORWARD`) with the upstream DocId."""
        async with self._tx() as s:
            moved = list(
                await s.scalars(
                    update(DeliveryRow)
                    .where(
                        DeliveryRow.delivery_id.in_(list(delivery_ids)),
                        DeliveryRow.state.in_(sources(Event.FORWARD)),
                    )
                    .values(
                        state=target(Event.FORWARD).value,
                        upstream_doc_id=upstream_doc_id,
                        updated_at=now,
                    )
                    .returning(DeliveryRow.delivery_id)
                )
            )
            if moved:
                detail = {"upstream_doc_id": upstream_doc_id, "from_state": "queued"}
                await s.execute(
                    insert(EventRow),
                    [event(d, EventKind.FORWARDED, now, "forwarder", detail) for d in moved],
                )
            return len(moved)

    @reconnecting
    async def fail_delivery(
        self, delivery_id: str, *, reason: str, code: str, actor: str, now: datetime
    ) -> bool:
        """The node gives up on a copy (:data:`Event.FAIL`); False when the table allows no
        failure from its state (already final)."""
        async with self._tx() as s:
            row = await s.scalar(
                select(DeliveryRow)
                .where(
                    DeliveryRow.delivery_id == delivery_id,
                    DeliveryRow.state.in_(sources(Event.FAIL)),
                )
                .with_for_update()
            )
            if row is None:
                return False
            details = {EventKind.FAILED: {"code": code, "reason": reason}}
            move(s, row, Event.FAIL, actor=actor, now=now, details=details, code=code)
            row.last_error = reason
            await s.flush()
            return True

    @reconnecting
    async def report_delivery(
        self,
        delivery_id: str,
        *,
        received: bool,
        at: datetime,
        now: datetime,
        actor: str,
        system_id: str | None = None,
        code: str | None = None,
        reason: str | None = None,
        receipt: Callable[[DeliveryView, datetime], CopyLegal] | None = None,
    ) -> ConfirmOutcome | None:
        """What became of a copy further on, as the next node (a node link: the caller checks)
        reports it: ``received`` at ``at`` (:data:`Event.REPORT_RECEIVED`: ``received_at`` and
        the receipt measures are set from it, once; a confirmed receipt is never rewritten), or
        failed with ``code`` (:data:`Event.REPORT_FAILED`). ``system_id`` restricts it to that
        system's copy. Idempotent; None when no such copy."""
        async with self._tx() as s:
            found = (await s.execute(self._copy_for_update(delivery_id, system_id))).first()
            if found is None:
                return None
            row: DeliveryRow = found[0]
            what = Event.REPORT_RECEIVED if received else Event.REPORT_FAILED
            if step(DeliveryState(row.state), what) is None:
                return ConfirmOutcome(view(found), False)
            if received:
                legal = receipt(view(found), at) if receipt is not None else None
                detail: dict[str, Any] = {"state": "received", "received_at": at.isoformat()}
                move(s, row, what, actor=actor, now=now, details={EventKind.REPORTED: detail})
                _received(row, at, legal)
            else:
                detail = {"state": "failed", "code": code, "reason": reason}
                details = {EventKind.REPORTED: detail}
                move(s, row, what, actor=actor, now=now, details=details, code=code)
                row.last_error = f"{code}: {reason}" if code and reason else (reason or code)
            await s.flush()
            return ConfirmOutcome(view(found), True)

    @reconnecting
    async def mark_reported(self, delivery_id: str, now: datetime) -> None:
        """The upstream node acknowledged the report of this pulled copy's final state."""
        async with self._tx() as s:
            await s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.delivery_id == delivery_id)
                .values(reported_at=now)
            )
