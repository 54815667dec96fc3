"""``/api/v1/admin/deliveries``: the operators' node-wide view of copies (docs/console.md).

Every route needs a person's token (:mod:`gateway.api.actor`) whose role may read deliveries
(auditors, operators, admins); the use cases are :class:`gateway.core.deliveries_admin.
DeliveriesAdmin` (``runtime.deliveries_admin``). Pages are keyset pages with an opaque cursor
(:mod:`gateway.api.native.paging`), tagged with the sort so a cursor of another order is refused.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from gateway.api.actor import requires
from gateway.api.dependencies import RuntimeDep
from gateway.api.errors import ERROR_RESPONSES
from gateway.api.native.paging import (
    CursorQuery,
    SinceQuery,
    UntilQuery,
    check_window,
    decode_cursor,
    encode_cursor,
)
from gateway.api.native.views import copy_legal, trace_report
from gateway.core.actors import Actor, Capability
from gateway.core.deliveries_admin import (
    MAX_PAGE,
    CopyDetail,
    CopyPage,
    DeliveryFilter,
    SortKey,
)
from gateway.core.model import DeliveryState, DeliveryView
from schemas.admin_deliveries import (
    AdminCopy,
    AdminCopyPage,
    AttemptInfo,
    CopyDetailReport,
    HopInfo,
    StateCounts,
)
from schemas.errors import ErrorBody
from schemas.exchange import CopyState, MessageKind

#: Error responses of every admin route (a person's token, a role).
ADMIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorBody,
        "description": "AUTH_REQUIRED (no token), AUTH_SCHEME, AUTH_TOKEN or AUTH_USER_DISABLED.",
    },
    403: {"model": ErrorBody, "description": "AUTH_ROLE: the person's role does not allow it."},
    **ERROR_RESPONSES,
    503: {"model": ErrorBody, "description": "STORE_UNAVAILABLE or NOT_READY."},
}

router = APIRouter(prefix="/admin", tags=["admin: deliveries"], responses=ADMIN_RESPONSES)

Reader = Annotated[Actor, Depends(requires(Capability.READ_DELIVERIES))]


def copy_filter(
    fail_code: Annotated[
        str | None, Query(max_length=60, description="Failure code, e.g. ROUTE_NO_SYSTEM.")
    ] = None,
    sender: Annotated[str | None, Query(max_length=50, description="Sender agency code.")] = None,
    recipient: Annotated[
        str | None, Query(max_length=50, description="Recipient agency code.")
    ] = None,
    subtree: Annotated[
        bool, Query(description="With `recipient`: also every agency under it.")
    ] = False,
    system: Annotated[
        str | None, Query(max_length=100, description="Copies this system sends or receives.")
    ] = None,
    link: Annotated[
        str | None, Query(max_length=30, description="`upstream`: copies for the national node.")
    ] = None,
    priority: Annotated[int | None, Query(ge=0, le=9, description="Exact priority.")] = None,
    number: Annotated[str | None, Query(max_length=50, description="Số (CodeNumber).")] = None,
    notation: Annotated[
        str | None, Query(max_length=100, description="Ký hiệu (CodeNotation).")
    ] = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> DeliveryFilter:
    """The filter the query parameters describe (shared by the list and the stuck view)."""
    check_window(since, until)
    return DeliveryFilter(
        fail_code=fail_code,
        sender=sender,
        recipient=recipient,
        subtree=subtree,
        system=system,
        link=link,
        priority=priority,
        number=number,
        notation=notation,
        since=since,
        until=until,
    )


FilterDep = Annotated[DeliveryFilter, Depends(copy_filter)]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Most copies on a page.")]


def admin_copy(copy: DeliveryView) -> AdminCopy:
    """A copy as operators see it."""
    return AdminCopy(
        delivery_id=copy.delivery_id,
        document_id=copy.document_id,
        kind=MessageKind(copy.kind.value),
        state=CopyState(copy.state.value),
        sender=copy.sender_code,
        sender_system=copy.sender_system,
        to=copy.code,
        requested_to=copy.requested_code,
        system_id=copy.system_id,
        link=copy.link,
        priority=copy.priority,
        subject=copy.subject,
        number=copy.code_number,
        notation=copy.code_notation,
        created_at=copy.created_at,
        updated_at=copy.updated_at,
        available_at=copy.available_at,
        received_at=copy.received_at,
        next_attempt_at=copy.next_attempt_at,
        receiver_failures=copy.receiver_failures,
        last_error=copy.last_error,
        fail_code=copy.fail_code,
    )


def _listing(sort: SortKey) -> str:
    return f"admin{sort.value}"


#: The stuck view's cursors are its own.
STUCK = "adminstuck"


def copy_page(page: CopyPage, listing: str) -> AdminCopyPage:
    """A page of copies with its cursor (tagged ``listing``) and counts."""
    cursor = None
    if page.next_position is not None:
        at, key = page.next_position
        cursor = encode_cursor(listing, at, key)
    return AdminCopyPage(
        items=[admin_copy(c) for c in page.items],
        next_cursor=cursor,
        counts=StateCounts(**page.counts),
    )


def copy_detail(detail: CopyDetail, now: datetime) -> CopyDetailReport:
    """One copy's whole story."""
    report = trace_report(detail.trace, now)
    mine = next(r for r in report.recipients if r.delivery_id == detail.copy.delivery_id)
    return CopyDetailReport(
        copy=admin_copy(detail.copy),
        document=report.document,
        events=mine.events,
        attempts=[
            AttemptInfo(
                number=a.number,
                started_at=a.started_at,
                system_id=a.system_id,
                fetches=a.fetches,
                ended_at=a.ended_at,
                outcome=a.outcome,
                reason=a.reason,
            )
            for a in detail.attempts
        ],
        time_in_failure_seconds=int(detail.time_in_failure.total_seconds()),
        legal=copy_legal(detail.copy, now),
        hops=[HopInfo(organ_id=h.organ_id, at=h.at, raw_time=h.raw_time) for h in detail.hops],
        statuses=mine.statuses,
        replayable=detail.replayable,
    )


@router.get("/deliveries", response_model=AdminCopyPage, summary="Every copy, filtered")
async def list_deliveries(
    runtime: RuntimeDep,
    actor: Reader,
    criteria: FilterDep,
    state: Annotated[
        CopyState | None, Query(description="Only this state (`forwarded` included).")
    ] = None,
    sort: Annotated[
        SortKey, Query(description="`-updated_at` (default), `updated_at`, `-created_at`, ...")
    ] = SortKey.UPDATED_DESC,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> AdminCopyPage:
    """The node's copies matching the filters, a page at a time, with counts per state.

    `since`/`until` bound the sort time (`updated_at` or `created_at`). The counts cover the
    whole filter whatever `state` says, so one call shows where the rest stands.
    """
    after = decode_cursor(_listing(sort), cursor)
    wanted = replace(criteria, state=DeliveryState(state.value) if state else None)
    page = await runtime.deliveries_admin.list(actor, wanted, sort=sort, limit=limit, after=after)
    return copy_page(page, _listing(sort))


@router.get("/deliveries/stuck", response_model=AdminCopyPage, summary="Copies waiting too long")
async def stuck_deliveries(
    runtime: RuntimeDep,
    actor: Reader,
    criteria: FilterDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
) -> AdminCopyPage:
    """Copies available but not confirmed after `GATEWAY_STUCK_AVAILABLE_HOURS` working hours
    (the node's business calendar), or queued/forwarded longer than
    `GATEWAY_STUCK_MOVING_MINUTES`; oldest change first."""
    after = decode_cursor(STUCK, cursor)
    page = await runtime.deliveries_admin.stuck(actor, criteria, limit=limit, after=after)
    return copy_page(page, STUCK)


@router.get(
    "/deliveries/{delivery_id}",
    response_model=CopyDetailReport,
    summary="One copy's detail",
    responses={404: {"model": ErrorBody, "description": "DELIVERY_UNKNOWN."}},
)
async def delivery_detail(
    runtime: RuntimeDep,
    actor: Reader,
    delivery_id: Annotated[str, Path(max_length=100)],
) -> CopyDetailReport:
    """Every event with its time (+07:00) and actor, the attempts, the time spent failed, the
    legal times, the package's header facts and attachments (never content), its trace per hop
    and the statuses reported about the copy."""
    detail = await runtime.deliveries_admin.detail(actor, delivery_id)
    return copy_detail(detail, runtime.clock.now())
