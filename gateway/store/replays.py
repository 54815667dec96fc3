"""Replays in the store: failed copies moved back to work by the table's replay rows, and the
replay requests with their per-copy done marks (:mod:`gateway.core.replay`).

:meth:`SqlReplays.replay_copies` is one transaction: each copy is read locked (``FOR UPDATE`` on
PostgreSQL; SQLite has one writer at a time) and moved by :func:`gateway.store.deliveries.move`
only while the table allows the replay from its state (``failed``), so a second replay or a
confirmation that won the race leaves it alone; the items of a request are marked done in the
same transaction, which is what makes a resumed run replay nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.delivery import Event, step
from gateway.core.model import DeliveryState, EventKind, OutboxItem
from gateway.core.replay_model import (
    Outcome,
    Progress,
    ReplayPlan,
    ReplayRequest,
    ReplayResult,
    RequestState,
)
from gateway.store.deliveries import move
from gateway.store.outbox import insert_outbox
from gateway.store.session import SessionScope, reconnecting
from gateway.store.tables import DeliveryRow, ReplayItemRow, ReplayRequestRow, core


def _request(row: ReplayRequestRow, progress: Progress) -> ReplayRequest:
    return ReplayRequest(
        request_id=row.request_id,
        state=RequestState(row.state),
        reason=row.reason,
        selection=dict(row.selection or {}),
        total=row.total,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        expires_at=row.expires_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        finished_at=row.finished_at,
        progress=progress,
    )


async def _progress(s: AsyncSession, rows: Sequence[ReplayRequestRow]) -> dict[str, Progress]:
    """Done, replayed and skipped items of each request (one GROUP BY)."""
    tally: dict[str, dict[str, int]] = {r.request_id: {} for r in rows}
    if rows:
        query = (
            select(ReplayItemRow.request_id, ReplayItemRow.outcome, func.count())
            .where(ReplayItemRow.request_id.in_(list(tally)), ReplayItemRow.done_at.is_not(None))
            .group_by(ReplayItemRow.request_id, ReplayItemRow.outcome)
        )
        for request_id, outcome, count in await s.execute(query):
            tally[request_id][str(outcome)] = int(count)
    out = {}
    for r in rows:
        counts = tally[r.request_id]
        replayed = counts.get(Outcome.REPLAYED.value, 0)
        skipped = counts.get(Outcome.SKIPPED.value, 0)
        out[r.request_id] = Progress(r.total, replayed + skipped, replayed, skipped)
    return out


def _replayed(
    s: AsyncSession,
    row: DeliveryRow,
    plan: ReplayPlan,
    *,
    actor: str,
    reason: str,
    now: datetime,
    request_id: str | None,
    approved_by: str | None,
) -> ReplayResult:
    """Move one locked copy by its plan, when the table still allows it."""
    state = DeliveryState(row.state)
    if step(state, plan.event) is None:
        return ReplayResult(row.delivery_id, Outcome.SKIPPED, state, f"not failed (state {state})")
    replayed: dict[str, Any] = {"reason": reason, "previous_error": row.last_error}
    if row.fail_code:
        replayed["previous_code"] = row.fail_code
    if request_id is not None:
        replayed["request_id"] = request_id
    if approved_by is not None:
        replayed["approved_by"] = approved_by
    details: dict[EventKind, dict[str, Any]] = {EventKind.REPLAYED: replayed}
    if plan.event is Event.REPLAY:
        replayed["system_id"] = plan.system_id
        details[EventKind.AVAILABLE] = {"system_id": plan.system_id}
    move(s, row, plan.event, actor=actor, now=now, details=details)
    # Back to work with a clean slate; created_at (the legal send time) is kept.
    row.receiver_failures = 0
    row.next_attempt_at = None
    row.last_error = None
    if plan.event is Event.REPLAY:
        row.system_id = plan.system_id
        row.available_at = now
    return ReplayResult(
        row.delivery_id, Outcome.REPLAYED, DeliveryState(row.state), None, row.system_id
    )


class SqlReplays(SessionScope):
    """The replay part of the store port."""

    @reconnecting
    async def replay_copies(
        self,
        plans: Sequence[ReplayPlan],
        skipped: Sequence[ReplayResult],
        *,
        actor: str,
        reason: str,
        now: datetime,
        request_id: str | None = None,
        approved_by: str | None = None,
    ) -> list[ReplayResult]:
        """Replay the planned copies still ``failed`` and, with ``request_id``, mark every item
        done, all in one transaction."""
        results: list[ReplayResult] = []
        async with self._tx() as s:
            ids = [p.delivery_id for p in plans] + [r.delivery_id for r in skipped]
            if not self._postgres and ids:
                # SQLite starts a transaction at its first write: take the write lock before
                # reading, so no confirmation commits between the read and the move.
                await s.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.delivery_id.in_(ids))
                    .values(state=DeliveryRow.state)
                )
            if request_id is not None:
                # Only items not done yet: a second runner of the same request (a duplicate
                # message) waited for the first one's locks and now skips what it did.
                open_items = select(ReplayItemRow.delivery_id).where(
                    ReplayItemRow.request_id == request_id,
                    ReplayItemRow.delivery_id.in_(ids),
                    ReplayItemRow.done_at.is_(None),
                )
                if self._postgres:
                    open_items = open_items.with_for_update()
                still = set(await s.scalars(open_items))
                plans = [p for p in plans if p.delivery_id in still]
                skipped = [r for r in skipped if r.delivery_id in still]
            by_id = {p.delivery_id: p for p in plans}
            rows: dict[str, DeliveryRow] = {}
            if by_id:
                query = (
                    select(DeliveryRow)
                    .where(DeliveryRow.delivery_id.in_(list(by_id)))
                    .order_by(DeliveryRow.delivery_id)  # one lock order: no deadlock
                )
                if self._postgres:
                    query = query.with_for_update()
                rows = {r.delivery_id: r for r in await s.scalars(query)}
            outbox: list[OutboxItem] = []
            for plan in plans:
                row = rows.get(plan.delivery_id)
                if row is None:
                    results.append(
                        ReplayResult(plan.delivery_id, Outcome.SKIPPED, None, "no such copy")
                    )
                    continue
                result = _replayed(
                    s,
                    row,
                    plan,
                    actor=actor,
                    reason=reason,
                    now=now,
                    request_id=request_id,
                    approved_by=approved_by,
                )
                if result.outcome is Outcome.REPLAYED:
                    outbox.extend(plan.outbox)
                results.append(result)
            results.extend(skipped)
            await s.flush()
            await insert_outbox(s, outbox, now)
            if request_id is not None:
                for result in results:
                    await s.execute(
                        update(ReplayItemRow)
                        .where(
                            ReplayItemRow.request_id == request_id,
                            ReplayItemRow.delivery_id == result.delivery_id,
                            ReplayItemRow.done_at.is_(None),
                        )
                        .values(done_at=now, outcome=result.outcome.value, detail=result.reason)
                    )
        return results

    @reconnecting
    async def add_replay_request(self, request: ReplayRequest, delivery_ids: Sequence[str]) -> None:
        """Store a new request and its frozen items (one transaction)."""
        async with self._tx() as s:
            s.add(
                ReplayRequestRow(
                    request_id=request.request_id,
                    state=request.state.value,
                    reason=request.reason,
                    selection=dict(request.selection),
                    total=request.total,
                    requested_by=request.requested_by,
                    requested_at=request.requested_at,
                    expires_at=request.expires_at,
                )
            )
            await s.flush()
            items = [
                {"request_id": request.request_id, "delivery_id": d, "position": n}
                for n, d in enumerate(delivery_ids)
            ]
            for start in range(0, len(items), 1000):
                await s.execute(insert(core(ReplayItemRow)), items[start : start + 1000])

    @reconnecting
    async def replay_request(self, request_id: str) -> ReplayRequest | None:
        """The request with its progress."""
        async with self._one() as s:
            row = await s.get(ReplayRequestRow, request_id)
            if row is None:
                return None
            return _request(row, (await _progress(s, [row]))[row.request_id])

    @reconnecting
    async def replay_requests(self, limit: int) -> list[ReplayRequest]:
        """The latest requests, newest first."""
        async with self._one() as s:
            rows = list(
                await s.scalars(
                    select(ReplayRequestRow)
                    .order_by(
                        ReplayRequestRow.requested_at.desc(), ReplayRequestRow.request_id.desc()
                    )
                    .limit(limit)
                )
            )
            progress = await _progress(s, rows)
            return [_request(r, progress[r.request_id]) for r in rows]

    @reconnecting
    async def decide_replay_request(
        self,
        request_id: str,
        *,
        approve: bool,
        actor: str,
        reason: str | None,
        now: datetime,
        outbox: Sequence[OutboxItem] = (),
    ) -> bool:
        """pending (not expired) → approved or rejected, with the work item in the same
        transaction; the one UPDATE settles two people deciding at once."""
        state = RequestState.APPROVED if approve else RequestState.REJECTED
        async with self._tx() as s:
            decided = await s.execute(
                update(ReplayRequestRow)
                .where(
                    ReplayRequestRow.request_id == request_id,
                    ReplayRequestRow.state == RequestState.PENDING.value,
                    ReplayRequestRow.expires_at > now,
                )
                .values(state=state.value, decided_by=actor, decided_at=now, decision_reason=reason)
            )
            if not decided.rowcount:  # type: ignore[attr-defined]
                return False
            await insert_outbox(s, outbox, now)
            return True

    @reconnecting
    async def pending_replay_items(self, request_id: str, limit: int) -> list[str]:
        """The request's copies not done yet, in request order."""
        async with self._one() as s:
            return list(
                await s.scalars(
                    select(ReplayItemRow.delivery_id)
                    .where(ReplayItemRow.request_id == request_id, ReplayItemRow.done_at.is_(None))
                    .order_by(ReplayItemRow.position)
                    .limit(limit)
                )
            )

    @reconnecting
    async def finish_replay_request(self, request_id: str, now: datetime) -> bool:
        """approved → done, once."""
        async with self._tx() as s:
            finished = await s.execute(
                update(ReplayRequestRow)
                .where(
                    ReplayRequestRow.request_id == request_id,
                    ReplayRequestRow.state == RequestState.APPROVED.value,
                )
                .values(state=RequestState.DONE.value, finished_at=now)
            )
            return bool(finished.rowcount)  # type: ignore[attr-defined]

    @reconnecting
    async def unfinished_replay_requests(self) -> list[str]:
        """Approved requests not finished, oldest decision first."""
        async with self._one() as s:
            return list(
                await s.scalars(
                    select(ReplayRequestRow.request_id)
                    .where(ReplayRequestRow.state == RequestState.APPROVED.value)
                    .order_by(ReplayRequestRow.decided_at)
                )
            )
