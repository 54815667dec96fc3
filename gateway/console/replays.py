"""The replay requests page: every request with its selection, reason, state and progress;
request a bulk replay (selected copies, or every failed copy a filter shows), approve or reject
another person's request (four eyes).

Everything goes through :class:`gateway.core.replay.Replays`: it freezes the set when requested,
refuses a person approving their own request (``REPLAY_SELF_APPROVAL``) and audits each step.
Seeing needs ``READ_DELIVERIES``, requesting ``REPLAY``, deciding ``APPROVE_REPLAY``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import RedirectResponse

from gateway.console.access import Posted, Visit, reader, writer
from gateway.console.deliveries import Query
from gateway.console.errors import ConsoleRoute
from gateway.console.pages import render
from gateway.core.actors import Capability

router = APIRouter(route_class=ConsoleRoute)


@router.get("/replays")
async def replays_page(
    found: Annotated[Visit, Depends(reader(Capability.READ_DELIVERIES))], created: str = ""
) -> Response:
    """The latest requests, newest first."""
    requests = await found.runtime.replays.list_requests(found.actor, limit=100)
    return render(found, "replays.html", requests=requests, created=created)


@router.post("/replays")
async def request_replay(posted: Annotated[Posted, Depends(writer(Capability.REPLAY))]) -> Response:
    """Request a replay of the selected copies (``delivery_id`` fields) or, with
    ``whole_filter``, of every failed copy the filter's fields select."""
    replays = posted.visit.runtime.replays
    reason = posted.get("reason") or None
    if posted.get("whole_filter") == "1":
        criteria = Query.of(posted.form).criteria()
        request = await replays.request(posted.actor, reason, criteria=criteria)
    else:
        ids = [line for line in posted.form.get("delivery_id", "").splitlines() if line.strip()]
        request = await replays.request(posted.actor, reason, delivery_ids=ids)
    return RedirectResponse(f"/console/replays?created={request.request_id}", status_code=303)


@router.post("/replays/{request_id}/approve")
async def approve(
    request_id: str, posted: Annotated[Posted, Depends(writer(Capability.APPROVE_REPLAY))]
) -> Response:
    """Approve another person's request: its run starts in the background."""
    await posted.visit.runtime.replays.approve(posted.actor, request_id)
    return RedirectResponse("/console/replays", status_code=303)


@router.post("/replays/{request_id}/reject")
async def reject(
    request_id: str, posted: Annotated[Posted, Depends(writer(Capability.APPROVE_REPLAY))]
) -> Response:
    """Reject a pending request, with a reason."""
    await posted.visit.runtime.replays.reject(
        posted.actor, request_id, posted.get("reason") or None
    )
    return RedirectResponse("/console/replays", status_code=303)
