"""The audit log page: the latest entries (filter by actor or action), a page at a time, and the
verification of the hash chain (a read: walking the chain changes nothing). ``READ_AUDIT``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from gateway.console.access import Visit, reader
from gateway.console.errors import ConsoleRoute
from gateway.console.pages import render
from gateway.core.actors import Action, Capability
from gateway.core.errors import BadRequest

router = APIRouter(route_class=ConsoleRoute)

#: Entries per page.
PAGE = 50


@router.get("/audit")
async def audit_page(
    found: Annotated[Visit, Depends(reader(Capability.READ_AUDIT))],
    actor: str = "",
    action: str = "",
    before: int | None = None,
    verify: int = 0,
) -> Response:
    """A page of entries, newest first, and the chain's verdict when asked."""
    log = found.runtime.audit
    if action and action not in {a.value for a in Action}:
        raise BadRequest(f"no action {action!r}", field="action")
    entries = await log.page(
        limit=PAGE + 1, before_seq=before, action=action or None, actor=actor.strip() or None
    )
    verdict = await log.verify() if verify else None
    return render(
        found,
        "audit.html",
        entries=entries[:PAGE],
        next_before=entries[PAGE - 1].seq if len(entries) > PAGE else None,
        actor_filter=actor,
        action_filter=action,
        actions=[a.value for a in Action],
        verdict=verdict,
    )
