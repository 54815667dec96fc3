"""``/api/v1/inbox``: the caller's waiting copies, fetched and confirmed one by one.

The same use cases as the VXP ``getReceivedEdocList``, ``countReceive*``, ``getEdoc`` /
``downloadEdoc`` and ``updateStatus`` actions, scoped to the authenticated system: a copy of
another system answers exactly like an unknown id (404 ``DOCUMENT_UNKNOWN``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from gateway.api import metrics
from gateway.api.dependencies import CallerDep, RuntimeDep
from gateway.api.native.views import (
    AUTH_RESPONSES,
    UNKNOWN_RESPONSE,
    confirm_result,
    inbox_item,
    message_type,
)
from gateway.core.errors import NotFound
from gateway.core.model import System
from gateway.runtime import Runtime
from schemas.exchange import ConfirmRequest, ConfirmResult, ConfirmStatus, InboxCount, InboxItem
from schemas.exchange import MessageKind as Kind

router = APIRouter(prefix="/inbox", tags=["exchange"], responses=AUTH_RESPONSES)

API = "native"
KindQuery = Annotated[Kind, Query(description="edoc (documents, default) or status.")]
DeliveryPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        description="The copy's id, as the inbox lists it (`delivery_id`).",
    ),
]


@router.get("", response_model=list[InboxItem], summary="List the caller's waiting copies")
async def list_inbox(
    runtime: RuntimeDep, caller: CallerDep, kind: KindQuery = Kind.EDOC
) -> list[InboxItem]:
    """Copies of one kind waiting for the caller: most urgent first, then oldest first.

    A copy stays listed until the caller confirms it; one confirmed `fail` comes back after a
    delay. At most 500 are listed at once (confirm some to see the rest).
    """
    copies = await runtime.exchange.pull_list(caller, message_type(kind))
    return [inbox_item(copy) for copy in copies]


@router.get("/count", response_model=InboxCount, summary="Count the caller's waiting copies")
async def count_inbox(
    runtime: RuntimeDep, caller: CallerDep, kind: KindQuery = Kind.EDOC
) -> InboxCount:
    """How many copies of one kind wait for the caller (the list without its limit)."""
    return InboxCount(kind=kind, count=await runtime.exchange.count(caller, message_type(kind)))


async def _fetch(runtime: Runtime, caller: System, delivery_id: str) -> bytes:
    try:
        return await runtime.exchange.fetch(caller, delivery_id)
    except NotFound as exc:  # the exchange names the VXP parameter (docId)
        raise NotFound(exc.message, code=exc.code, field="delivery_id") from exc


@router.get(
    "/{delivery_id}",
    response_class=Response,
    summary="Fetch one copy's package",
    responses={
        200: {
            "description": "The package as sent, with this node's TraceHeader appended.",
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        },
        **UNKNOWN_RESPONSE,
    },
)
async def fetch_copy(runtime: RuntimeDep, caller: CallerDep, delivery_id: DeliveryPath) -> Response:
    """The edXML package of one of the caller's copies, with this node's trace appended.

    Fetching does not take the copy out of the inbox: confirm it once it is stored.
    """
    data = await _fetch(runtime, caller, delivery_id)
    return Response(data, media_type="application/xml")


@router.post(
    "/{delivery_id}/confirm",
    response_model=ConfirmResult,
    summary="Confirm one copy done or failed",
    responses=UNKNOWN_RESPONSE,
)
async def confirm_copy(
    runtime: RuntimeDep, caller: CallerDep, delivery_id: DeliveryPath, body: ConfirmRequest
) -> ConfirmResult:
    """Report that a fetched copy entered the caller's system (`done`) or could not (`fail`).

    `done` makes the copy `received` and takes it out of the inbox. `fail` offers it again after a
    growing delay, until the node's limit of failures makes it `failed`. Repeating the same
    confirmation changes nothing and answers `changed: false`.
    """
    done = body.status is ConfirmStatus.DONE
    try:
        outcome = await runtime.exchange.confirm(caller, delivery_id, done, body.reason)
    except NotFound as exc:
        raise NotFound(exc.message, code=exc.code, field="delivery_id") from exc
    metrics.record_confirmed(API, body.status.value, changed=outcome.changed)
    return confirm_result(outcome)
