"""The connected systems page: each system's grants, last activity and counters; enable or
disable it, rotate its secret (shown once), add or revoke grants.

Changes go through :class:`gateway.core.systems.SystemAdmin` (the same use case as the CLI) and
the use case audits them (``system_*`` actions). Seeing the page needs ``READ_STATS`` (auditors
too); every change needs ``MANAGE_SYSTEMS``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import RedirectResponse

from gateway.console.access import Posted, Visit, reader, writer
from gateway.console.errors import ConsoleRoute
from gateway.console.pages import render
from gateway.console.readings import counter_total
from gateway.core.actors import Capability
from gateway.core.deliveries_admin import DeliveryFilter
from gateway.core.model import MessageType
from gateway.core.secrets import SecretBox
from gateway.core.systems import SystemAdmin
from gateway.runtime import Runtime
from gateway.telemetry import SYSTEM_ACCEPTED

router = APIRouter(route_class=ConsoleRoute)


def system_admin(runtime: Runtime) -> SystemAdmin:
    """The systems use case on the node's store, key, registry and clock."""
    box = SecretBox(runtime.settings.secret_key.get_secret_value())
    return SystemAdmin(runtime.store, box, runtime.registry, runtime.clock, runtime.audit)


@router.get("/systems")
async def systems_page(found: Annotated[Visit, Depends(reader(Capability.READ_STATS))]) -> Response:
    """Every connected system with its activity."""
    runtime = found.runtime
    rows = []
    for system in await system_admin(runtime).list():
        latest = await runtime.deliveries_admin.list(
            found.actor, DeliveryFilter(system=system.system_id), limit=1, counts=False
        )
        waiting = 0
        for kind in MessageType:
            waiting += await runtime.exchange.count(system, kind)
        rows.append(
            {
                "system": system,
                "last_seen": latest.items[0].updated_at if latest.items else None,
                "sent": counter_total(SYSTEM_ACCEPTED, system=system.system_id),
                "waiting": waiting,
            }
        )
    return render(found, "systems.html", rows=rows, secret=None)


@router.post("/systems/{system_id}/enable")
async def enable(
    system_id: str, posted: Annotated[Posted, Depends(writer(Capability.MANAGE_SYSTEMS))]
) -> Response:
    """Enable a system."""
    await system_admin(posted.visit.runtime).set_enabled(
        system_id, True, by=posted.actor, reason=posted.get("reason") or None
    )
    return RedirectResponse("/console/systems", status_code=303)


@router.post("/systems/{system_id}/disable")
async def disable(
    system_id: str, posted: Annotated[Posted, Depends(writer(Capability.MANAGE_SYSTEMS))]
) -> Response:
    """Disable a system (its calls fail authentication from now on)."""
    await system_admin(posted.visit.runtime).set_enabled(
        system_id, False, by=posted.actor, reason=posted.get("reason") or None
    )
    return RedirectResponse("/console/systems", status_code=303)


@router.post("/systems/{system_id}/rotate")
async def rotate(
    system_id: str, posted: Annotated[Posted, Depends(writer(Capability.MANAGE_SYSTEMS))]
) -> Response:
    """Replace the system's secret with a generated one, shown on this page once."""
    secret = await system_admin(posted.visit.runtime).rotate_secret(system_id, by=posted.actor)
    return render(posted.visit, "secret.html", system_id=system_id, secret=secret)


@router.post("/systems/{system_id}/grants")
async def grants(
    system_id: str, posted: Annotated[Posted, Depends(writer(Capability.MANAGE_SYSTEMS))]
) -> Response:
    """Add or revoke agency grants (codes separated by commas or spaces)."""
    codes = [c for c in posted.get("codes").replace(",", " ").split() if c]
    revoke = posted.get("revoke") == "1"
    await system_admin(posted.visit.runtime).grant(system_id, codes, revoke=revoke, by=posted.actor)
    return RedirectResponse("/console/systems", status_code=303)
