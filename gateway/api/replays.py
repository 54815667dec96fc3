"""Replay routes: ``POST /api/v1/admin/deliveries/replay`` and ``/api/v1/admin/replays``
(docs/console.md "Replay and four-eyes approval").

Operators and admins replay and decide requests; auditors read requests. The use cases are
:class:`gateway.core.replay.Replays` (``runtime.replays``); each action leaves an audit record.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from gateway.api.actor import requires
from gateway.api.deliveries_admin import ADMIN_RESPONSES
from gateway.api.dependencies import RuntimeDep
from gateway.core.actors import Actor, Capability
from gateway.core.deliveries_admin import DeliveryFilter
from gateway.core.model import DeliveryState
from gateway.core.replay_model import ReplayRequest, ReplayResult
from schemas.errors import ErrorBody
from schemas.exchange import CopyState
from schemas.replay import (
    Outcome,
    RejectBody,
    ReplayAnswer,
    ReplayCopies,
    ReplayItemResult,
    ReplayProgress,
    ReplayRequestBody,
    ReplayRequestInfo,
    ReplayRequestList,
    RequestState,
)

router = APIRouter(prefix="/admin", tags=["admin: replay"], responses=ADMIN_RESPONSES)

Reader = Annotated[Actor, Depends(requires(Capability.READ_DELIVERIES))]
Replayer = Annotated[Actor, Depends(requires(Capability.REPLAY))]
Approver = Annotated[Actor, Depends(requires(Capability.APPROVE_REPLAY))]
RequestPath = Annotated[str, Path(max_length=100, description="The request's id.")]

_UNKNOWN: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "REPLAY_REQUEST_UNKNOWN."}
}
_DECIDE: dict[int | str, dict[str, Any]] = {
    **_UNKNOWN,
    403: {
        "model": ErrorBody,
        "description": "AUTH_ROLE, or REPLAY_SELF_APPROVAL: the requester cannot approve.",
    },
    409: {"model": ErrorBody, "description": "REPLAY_REQUEST_CLOSED or REPLAY_REQUEST_EXPIRED."},
}


def item_result(result: ReplayResult) -> ReplayItemResult:
    """One copy's replay outcome."""
    return ReplayItemResult(
        delivery_id=result.delivery_id,
        outcome=Outcome(result.outcome.value),
        state=CopyState(result.state.value) if result.state is not None else None,
        reason=result.reason,
        system_id=result.system_id,
    )


def request_info(request: ReplayRequest) -> ReplayRequestInfo:
    """A request with its progress."""
    p = request.progress
    return ReplayRequestInfo(
        request_id=request.request_id,
        state=RequestState(request.state.value),
        reason=request.reason,
        selection=dict(request.selection),
        total=request.total,
        requested_by=request.requested_by,
        requested_at=request.requested_at,
        expires_at=request.expires_at,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        decision_reason=request.decision_reason,
        finished_at=request.finished_at,
        progress=ReplayProgress(
            total=p.total,
            done=p.done,
            replayed=p.replayed,
            skipped=p.skipped,
            percent=round(100 * p.fraction, 1),
        ),
    )


@router.post(
    "/deliveries/replay",
    response_model=ReplayAnswer,
    summary="Replay failed copies",
    responses={
        202: {"model": ReplayAnswer, "description": "More than the threshold: a request."},
        404: {"model": ErrorBody, "description": "DELIVERY_UNKNOWN: an id names no copy."},
        422: {"model": ErrorBody, "description": "REQUEST_INVALID, REPLAY_EMPTY."},
    },
)
async def replay_copies(
    runtime: RuntimeDep, actor: Replayer, body: ReplayCopies, response: Response
) -> ReplayAnswer:
    """Send failed copies back to work by the path each failed on (offered again to the system
    serving it now, or forwarded again), at once when they are at most
    `GATEWAY_REPLAY_APPROVAL_THRESHOLD` (200, one result per copy: `skipped` with the reason
    when not failed or no system serves it); a larger set becomes a replay request another
    person must approve (202)."""
    answer = await runtime.replays.replay(actor, body.delivery_ids, body.reason)
    if answer.request is not None:
        response.status_code = 202
        return ReplayAnswer(request=request_info(answer.request))
    return ReplayAnswer(results=[item_result(r) for r in answer.results])


@router.get("/replays", response_model=ReplayRequestList, summary="Replay requests")
async def list_requests(
    runtime: RuntimeDep,
    actor: Reader,
    limit: Annotated[int, Query(ge=1, le=500, description="Most requests.")] = 100,
) -> ReplayRequestList:
    """The latest replay requests, newest first, with their state and progress."""
    found = await runtime.replays.list_requests(actor, limit)
    return ReplayRequestList(items=[request_info(r) for r in found])


@router.post(
    "/replays",
    status_code=201,
    response_model=ReplayRequestInfo,
    summary="Request a replay",
    responses={
        404: {"model": ErrorBody, "description": "DELIVERY_UNKNOWN."},
        422: {"model": ErrorBody, "description": "REQUEST_INVALID, REPLAY_EMPTY, REPLAY_TOO_MANY."},
    },
)
async def create_request(
    runtime: RuntimeDep, actor: Replayer, body: ReplayRequestBody
) -> ReplayRequestInfo:
    """Freeze a set of failed copies (by id, or every failed copy matching `filter` now) with
    the reason; another person approves it (it expires after 24 h unapproved)."""
    criteria = None
    if body.filter is not None:
        f = body.filter
        criteria = DeliveryFilter(
            state=DeliveryState.FAILED,
            fail_code=f.fail_code,
            sender=f.sender,
            recipient=f.recipient,
            subtree=f.subtree,
            system=f.system,
            link=f.link,
            priority=f.priority,
            number=f.number,
            notation=f.notation,
            since=f.since,
            until=f.until,
        )
    request = await runtime.replays.request(
        actor, body.reason, delivery_ids=body.delivery_ids or (), criteria=criteria
    )
    return request_info(request)


@router.get(
    "/replays/{request_id}",
    response_model=ReplayRequestInfo,
    summary="One replay request",
    responses=_UNKNOWN,
)
async def get_request(
    runtime: RuntimeDep, actor: Reader, request_id: RequestPath
) -> ReplayRequestInfo:
    """A request with its decision and the progress of its background run."""
    return request_info(await runtime.replays.get(actor, request_id))


@router.post(
    "/replays/{request_id}/approve",
    response_model=ReplayRequestInfo,
    summary="Approve a replay request",
    responses=_DECIDE,
)
async def approve_request(
    runtime: RuntimeDep, actor: Approver, request_id: RequestPath
) -> ReplayRequestInfo:
    """Approve another person's pending request; its copies are replayed in the background
    (watch `progress`)."""
    return request_info(await runtime.replays.approve(actor, request_id))


@router.post(
    "/replays/{request_id}/reject",
    response_model=ReplayRequestInfo,
    summary="Reject a replay request",
    responses=_DECIDE,
)
async def reject_request(
    runtime: RuntimeDep, actor: Approver, request_id: RequestPath, body: RejectBody
) -> ReplayRequestInfo:
    """Reject a pending request with a reason (the requester may withdraw their own)."""
    return request_info(await runtime.replays.reject(actor, request_id, body.reason))
