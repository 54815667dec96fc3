"""The operators' queries over every copy of the node (:mod:`gateway.core.deliveries_admin`).

One statement per page and one ``GROUP BY state`` for the counts, both built from the same
conditions (:func:`conditions`): a page and its counts always describe the same set. Pages are
keyset pages like :mod:`gateway.store.queries` (a position continues strictly past the last row,
in either direction), on ``updated_at`` (``ix_deliveries_state_time``) or ``created_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.core.deliveries_admin import DeliveryFilter, Position, SortKey
from gateway.core.model import DeliveryState, DeliveryView
from gateway.store.rows import view, view_query
from gateway.store.session import SessionScope, reconnecting
from gateway.store.tables import DeliveryRow, DocumentRow

_MOVING = (DeliveryState.QUEUED.value, DeliveryState.FORWARDED.value)


def _time(sort: SortKey) -> Any:
    return DeliveryRow.created_at if sort.column == "created_at" else DeliveryRow.updated_at


def conditions(criteria: DeliveryFilter, sort: SortKey, *, with_state: bool = True) -> list[Any]:
    """The WHERE conditions of ``criteria`` (its agency codes resolved by the core)."""
    c = criteria
    where: list[Any] = []
    if with_state and c.state is not None:
        where.append(DeliveryRow.state == c.state.value)
    if c.fail_code:
        where.append(DeliveryRow.fail_code == c.fail_code)
    if c.sender_key:
        where.append(DocumentRow.sender_key == c.sender_key)
    if c.recipient_keys or c.recipient_level1:
        either: list[Any] = (
            [DeliveryRow.code_key.in_(list(c.recipient_keys))] if c.recipient_keys else []
        )
        if c.recipient_level1:
            unit = c.recipient_level1
            # Both code forms of a level-1 subtree: H14.xx and xxx.xx.xx.H14 (agency-codes.md).
            either += [
                DeliveryRow.code_key == unit,
                DeliveryRow.code_key.like(f"{unit}.%"),
                DeliveryRow.code_key.like(f"%.{unit}"),
            ]
        where.append(or_(*either))
    if c.system:
        where.append(or_(DocumentRow.sender_system == c.system, DeliveryRow.system_id == c.system))
    if c.link:
        where.append(DeliveryRow.link == c.link)
    if c.priority is not None:
        where.append(DeliveryRow.priority == c.priority)
    if c.number:
        where.append(DocumentRow.code_number == c.number)
    if c.notation:
        where.append(DocumentRow.code_notation == c.notation)
    time = _time(sort)
    if c.since is not None:
        where.append(time >= c.since)
    if c.until is not None:
        where.append(time < c.until)
    stuck = []
    if c.available_before is not None:
        stuck.append(
            and_(
                DeliveryRow.state == DeliveryState.AVAILABLE.value,
                DeliveryRow.available_at <= c.available_before,
            )
        )
    if c.moving_before is not None:
        stuck.append(
            and_(DeliveryRow.state.in_(_MOVING), DeliveryRow.updated_at <= c.moving_before)
        )
    if stuck:
        where.append(or_(*stuck))
    return where


def _past(sort: SortKey, after: Position | None) -> list[Any]:
    if after is None:
        return []
    at, last = after
    time, key = _time(sort), DeliveryRow.delivery_id
    if sort.descending:
        return [time <= at, or_(time < at, and_(time == at, key < last))]
    return [time >= at, or_(time > at, and_(time == at, key > last))]


async def admin_page(
    s: AsyncSession, criteria: DeliveryFilter, sort: SortKey, limit: int, after: Position | None
) -> list[DeliveryView]:
    """At most ``limit`` copies of ``criteria`` in ``sort`` order, strictly past ``after``."""
    time = _time(sort)
    order = (
        (time.desc(), DeliveryRow.delivery_id.desc())
        if sort.descending
        else (time.asc(), DeliveryRow.delivery_id.asc())
    )
    query = (
        view_query()
        .where(*conditions(criteria, sort), *_past(sort, after))
        .order_by(*order)
        .limit(limit)
    )
    return [view(row) for row in await s.execute(query)]


class SqlAdminDeliveries(SessionScope):
    """The operators' read side of the store port."""

    @reconnecting
    async def admin_deliveries(
        self,
        criteria: DeliveryFilter,
        *,
        sort: SortKey,
        limit: int,
        after: Position | None = None,
    ) -> list[DeliveryView]:
        """A page of the copies matching ``criteria`` (:func:`admin_page`)."""
        async with self._one() as s:
            return await admin_page(s, criteria, sort, limit, after)

    @reconnecting
    async def admin_counts(
        self, criteria: DeliveryFilter, *, sort: SortKey = SortKey.UPDATED_DESC
    ) -> dict[str, int]:
        """How many copies match ``criteria`` per state (every state listed; its ``state``
        ignored, so the counts show where the rest of the set stands)."""
        out = {state.value: 0 for state in DeliveryState}
        query = (
            select(DeliveryRow.state, func.count())
            .select_from(DeliveryRow)
            .join(DocumentRow, DocumentRow.document_id == DeliveryRow.document_id)
            .where(*conditions(criteria, sort, with_state=False))
            .group_by(DeliveryRow.state)
        )
        async with self._one() as s:
            for state, count in await s.execute(query):
                out[str(state)] = int(count)
        return out

    @reconnecting
    async def deliveries_by_id(self, delivery_ids: Sequence[str]) -> list[DeliveryView]:
        """The copies that exist among ``delivery_ids``."""
        if not delivery_ids:
            return []
        found: list[DeliveryView] = []
        ids = list(delivery_ids)
        async with self._one() as s:
            for start in range(0, len(ids), 500):  # bounded IN lists
                chunk = ids[start : start + 500]
                query = view_query().where(DeliveryRow.delivery_id.in_(chunk))
                found += [view(row) for row in await s.execute(query)]
        return found

    @reconnecting
    async def failed_delivery_ids(self, criteria: DeliveryFilter, limit: int) -> list[str]:
        """Ids of the copies matching ``criteria`` (the caller sets ``state`` failed), oldest
        change first."""
        query = (
            select(DeliveryRow.delivery_id)
            .join(DocumentRow, DocumentRow.document_id == DeliveryRow.document_id)
            .where(*conditions(criteria, SortKey.UPDATED_ASC))
            .order_by(DeliveryRow.updated_at, DeliveryRow.delivery_id)
            .limit(limit)
        )
        async with self._one() as s:
            return list(await s.scalars(query))
