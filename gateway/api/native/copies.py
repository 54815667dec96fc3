"""``/api/v1/sent`` and ``/api/v1/deliveries``: the copies of what the caller sent or receives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gateway.api.dependencies import CallerDep, RuntimeDep
from gateway.api.native.views import AUTH_RESPONSES, delivery_info, message_type
from gateway.core.model import DeliveryState
from schemas.exchange import CopyState, DeliveryInfo, MessageKind

router = APIRouter(tags=["exchange"], responses=AUTH_RESPONSES)

#: Longest list answered at once.
MAX_LIMIT = 500
DEFAULT_LIMIT = 100


@router.get("/sent", response_model=list[DeliveryInfo], summary="Copies of what the caller sent")
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
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Most documents listed (newest first).")
    ] = DEFAULT_LIMIT,
) -> list[DeliveryInfo]:
    """One row per recipient copy of the caller's documents, newest documents first.

    The typed counterpart of the VXP `getSentEdocList`: each copy's state (`queued`,
    `available`, `received`, `failed`, `removed`), the requested and effective recipient, when it
    became available and was received, and the latest status reported about it.
    """
    rows = await runtime.exchange.sent(caller, document_id, message_type(kind), limit)
    now = runtime.clock.now()
    return [delivery_info(copy, caller.system_id, now) for _, copy in rows]


@router.get(
    "/deliveries",
    response_model=list[DeliveryInfo],
    summary="The caller's copies by state",
)
async def list_deliveries(
    runtime: RuntimeDep,
    caller: CallerDep,
    state: Annotated[
        CopyState | None,
        Query(description="Only copies in this state, e.g. `failed`; all states when absent."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> list[DeliveryInfo]:
    """Copies the caller sent or receives, most recently changed first.

    `state=failed` lists the copies the node gave up on (no connected system serves the
    recipient, too many `fail` confirmations, dead-lettered), with the reason in `last_error`.
    A copy still being routed to the caller (`queued`) is not the caller's yet and is not listed
    on the receiving side.
    """
    wanted = DeliveryState(state.value) if state is not None else None
    # The exchange offers no such query yet: the store's, scoped to the caller here.
    copies = await runtime.store.list_deliveries(
        state=wanted, system_id=caller.system_id, limit=limit
    )
    now = runtime.clock.now()
    return [
        delivery_info(copy, caller.system_id, now)
        for copy in copies
        if copy.sender_system == caller.system_id or copy.state is not DeliveryState.QUEUED
    ]
