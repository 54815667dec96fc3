"""The deliveries pages: every copy of the node with filters and counts per state, the stuck
copies, one copy's whole story, and replaying it.

Reads go through :class:`gateway.core.deliveries_admin.DeliveriesAdmin` (``READ_DELIVERIES``),
replays through :class:`gateway.core.replay.Replays` (``REPLAY``; the use case audits them and
refuses a copy that is not replayable). Times in the filters are +07:00 (``datetime-local``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from gateway.console.access import Posted, Visit, reader, writer
from gateway.console.errors import ConsoleRoute
from gateway.console.pages import render
from gateway.core.actors import Capability
from gateway.core.clock import VN_TZ
from gateway.core.deliveries_admin import DeliveryFilter, Position, SortKey
from gateway.core.errors import BadRequest
from gateway.core.model import DeliveryState

router = APIRouter(route_class=ConsoleRoute)

#: Copies per page.
PAGE = 50
#: The filter's fields as the query names them (and the replay-by-filter form repeats them).
FILTER_FIELDS = (
    "state",
    "sender",
    "recipient",
    "subtree",
    "system",
    "fail_code",
    "number",
    "since",
    "until",
    "stuck",
    "sort",
)


def local_time(raw: str, field: str) -> datetime | None:
    """A ``datetime-local`` value (``2026-09-01T08:00``) read as +07:00."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{raw!r} is not a date and time", field=field) from None
    return moment.replace(tzinfo=VN_TZ) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class Query:
    """The filter as the operator typed it (strings), and as the use case takes it."""

    values: dict[str, str]

    @classmethod
    def of(cls, source: dict[str, str]) -> Query:
        """The known filter fields of a query string or a form, stripped."""
        return cls({k: source.get(k, "").strip()[:200] for k in FILTER_FIELDS})

    @property
    def sort(self) -> SortKey:
        """The order asked for (newest change first by default)."""
        try:
            return SortKey(self.values["sort"] or SortKey.UPDATED_DESC.value)
        except ValueError:
            raise BadRequest(f"no sort order {self.values['sort']!r}", field="sort") from None

    @property
    def stuck(self) -> bool:
        """Only the stuck copies."""
        return self.values["stuck"] == "1"

    def criteria(self) -> DeliveryFilter:
        """The :class:`DeliveryFilter` of these values (``REQUEST_PARAMETER`` when one is bad)."""
        v = self.values
        state = None
        if v["state"]:
            try:
                state = DeliveryState(v["state"])
            except ValueError:
                raise BadRequest(f"no state {v['state']!r}", field="state") from None
        return DeliveryFilter(
            state=state,
            fail_code=v["fail_code"] or None,
            sender=v["sender"] or None,
            recipient=v["recipient"] or None,
            subtree=v["subtree"] == "1",
            system=v["system"] or None,
            number=v["number"] or None,
            since=local_time(v["since"], "since"),
            until=local_time(v["until"], "until"),
        )

    def link(self, **changes: str) -> str:
        """The list's URL with these values (and ``changes``)."""
        merged = {**self.values, **changes}
        return "/console/deliveries?" + urlencode({k: v for k, v in merged.items() if v})


def _position(raw: str) -> Position | None:
    if not raw:
        return None
    at, _, delivery_id = raw.partition("|")
    try:
        return datetime.fromisoformat(at), delivery_id
    except ValueError:
        raise BadRequest(f"{raw!r} is not a list position", field="after") from None


@router.get("/deliveries")
async def deliveries_page(
    request: Request,
    found: Annotated[Visit, Depends(reader(Capability.READ_DELIVERIES))],
    after: str = "",
) -> Response:
    """A page of the copies matching the filter, with the count per state."""
    query = Query.of(dict(request.query_params))
    admin = found.runtime.deliveries_admin
    criteria = query.criteria()
    position = _position(after)
    if query.stuck:
        page = await admin.stuck(found.actor, criteria, limit=PAGE, after=position)
    else:
        page = await admin.list(found.actor, criteria, sort=query.sort, limit=PAGE, after=position)
    next_link = None
    if page.next_position is not None:
        at, last = page.next_position
        next_link = query.link() + "&" + urlencode({"after": f"{at.isoformat()}|{last}"})
    return render(
        found,
        "deliveries.html",
        query=query.values,
        copies=page.items,
        counts=page.counts,
        total=sum(page.counts.values()),
        states=list(DeliveryState),
        sorts=[key.value for key in SortKey],
        state_links={s.value: query.link(state=s.value) for s in DeliveryState},
        all_link=query.link(state=""),
        next_link=next_link,
        threshold=found.runtime.replays.config.threshold,
    )


@router.get("/deliveries/{delivery_id}")
async def copy_page(
    delivery_id: str,
    found: Annotated[Visit, Depends(reader(Capability.READ_DELIVERIES))],
    replayed: int = 0,
) -> Response:
    """One copy: its document, history, attempts, attachments, trace hops and statuses."""
    detail = await found.runtime.deliveries_admin.detail(found.actor, delivery_id)
    return render(
        found,
        "copy.html",
        detail=detail,
        copy=detail.copy,
        document=detail.trace.document,
        statuses=detail.trace.statuses.get(delivery_id, ()),
        replayed=replayed,
    )


@router.post("/deliveries/{delivery_id}/replay")
async def replay_copy(
    delivery_id: str, posted: Annotated[Posted, Depends(writer(Capability.REPLAY))]
) -> Response:
    """Replay one failed copy now, with the operator's reason."""
    answer = await posted.visit.runtime.replays.replay(
        posted.actor, [delivery_id], posted.get("reason") or None
    )
    done = any(result.outcome.value == "replayed" for result in answer.results)
    return RedirectResponse(
        f"/console/deliveries/{quote(delivery_id, safe='')}?replayed={1 if done else 2}",
        status_code=303,
    )
