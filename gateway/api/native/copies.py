"""``/api/v1/sent`` and ``/api/v1/deliveries``: the copies of what the caller sent or receives,
newest first, a page at a time (:mod:`gateway.api.native.paging`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gateway.api.dependencies import CallerDep, RuntimeDep
from gateway.api.native.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CursorQuery,
    SinceQuery,
    UntilQuery,
    check_window,
    decode_cursor,
    encode_cursor,
)
from gateway.api.native.views import AUTH_RESPONSES, delivery_info, message_type
from gateway.core.model import DeliveryState
from schemas.exchange import CopyState, DeliveryPage, MessageKind

router = APIRouter(tags=["exchange"], responses=AUTH_RESPONSES)

#: The lists' names, as their cursors are tagged.
SENT = "sent"
DELIVERIES = "deliveries"


@router.get("/sent", response_model=DeliveryPage, summary="Copies of what the caller sent")
async def list_sent(
    runtime: RuntimeDep,
    caller: CallerDep,
    document_id: Annotated[
        str | None,
        Query(max_length=100, description="Only this document (the id `send` answered)."),
    ] = None,
    kind: Annotated[MessageKind, Query(description="edoc (default) or status.")] = (
        MessageKind.EDOC
    ),
    since: SinceQuery = None,
    until: UntilQuery = None,
    cursor: CursorQuery = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Most documents on a page (newest first).")
    ] = DEFAULT_LIMIT,
) -> DeliveryPage:
    """One row per recipient copy of the caller's documents, newest documents first.

    The typed counterpart of the VXP `getSentEdocList`: each copy's state (`queued`,
    `available`, `forwarded`, `received`, `failed`, `removed`), the requested and effective
    recipient, when it became available and was received, and the latest status reported about
    it. A page holds at most `limit` documents, each with all its copies; `since` and `until`
    bound when the node accepted them.
    """
    check_window(since, until)
    before = decode_cursor(SENT, cursor)
    rows = await runtime.exchange.sent(
        caller,
        document_id,
        message_type(kind),
        limit + 1,  # one document more than the page: is there a next page?
        since=since,
        until=until,
        before=before,
    )
    order = list(dict.fromkeys(doc.document_id for doc, _ in rows))
    next_cursor = None
    if len(order) > limit:
        kept = set(order[:limit])
        rows = [(doc, copy) for doc, copy in rows if doc.document_id in kept]
        last = rows[-1][0]
        next_cursor = encode_cursor(SENT, last.accepted_at, last.document_id)
    now = runtime.clock.now()
    return DeliveryPage(
        items=[delivery_info(copy, caller.system_id, now) for _, copy in rows],
        next_cursor=next_cursor,
    )


@router.get("/deliveries", response_model=DeliveryPage, summary="The caller's copies by state")
async def list_deliveries(
    runtime: RuntimeDep,
    caller: CallerDep,
    state: Annotated[
        CopyState | None,
        Query(description="Only copies in this state, e.g. `failed`; all states when absent."),
    ] = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    cursor: CursorQuery = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Most copies on a page.")
    ] = DEFAULT_LIMIT,
) -> DeliveryPage:
    """Copies the caller sent or receives, most recently changed first.

    `state=failed` lists the copies the node gave up on (no connected system serves the
    recipient, too many `fail` confirmations, dead-lettered), with the reason in `last_error`.
    A copy still being routed to the caller (`queued`) is not the caller's yet and is not listed
    on the receiving side. `since` and `until` bound when a copy last changed (`updated_at`).
    """
    check_window(since, until)
    before = decode_cursor(DELIVERIES, cursor)
    wanted = DeliveryState(state.value) if state is not None else None
    # The exchange offers no such query yet: the store's, scoped to the caller here.
    copies = await runtime.store.list_deliveries(
        state=wanted,
        system_id=caller.system_id,
        limit=limit + 1,  # one more than the page: is there a next page?
        since=since,
        until=until,
        before=before,
    )
    next_cursor = None
    if len(copies) > limit:
        copies = copies[:limit]
        last = copies[-1]
        next_cursor = encode_cursor(DELIVERIES, last.updated_at, last.delivery_id)
    now = runtime.clock.now()
    return DeliveryPage(
        items=[delivery_info(copy, caller.system_id, now) for copy in copies],
        next_cursor=next_cursor,
    )
