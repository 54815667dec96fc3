"""The agency registry page: search by code or name, one agency's record and history, add an
agency, close one (optionally into a successor, from a date).

Changes apply to the node's live registry and are saved to its data directory, as the VXP
``registerAgency``/``deleteAgency`` calls do (:class:`gateway.core.agencies.RegistryAdmin`), and
the use case audits them (``registry_changed``). Seeing needs ``READ_STATS``; changing
``MANAGE_REGISTRY``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Response
from fastapi.responses import RedirectResponse

from gateway.console.access import Posted, Visit, reader, writer
from gateway.console.errors import ConsoleRoute
from gateway.console.pages import render
from gateway.core.actors import Capability
from gateway.core.clock import VN_TZ
from gateway.core.errors import BadRequest, NotFound
from identifiers import Agency, AgencyCode

router = APIRouter(route_class=ConsoleRoute)

#: Most agencies listed for one search.
MAX_RESULTS = 100


def _matches(agency: Agency, needle: str) -> bool:
    text = " ".join([*agency.codes, agency.name]).casefold()
    return needle in text


@router.get("/registry")
async def registry_page(
    found: Annotated[Visit, Depends(reader(Capability.READ_STATS))], q: str = ""
) -> Response:
    """Agencies whose code or name contains ``q`` (the first ones when ``q`` is empty)."""
    needle = q.strip().casefold()[:200]
    hits = [a for a in found.runtime.registry.agencies() if not needle or _matches(a, needle)]
    return render(
        found,
        "registry.html",
        q=q,
        agencies=hits[:MAX_RESULTS],
        total=len(hits),
        more=len(hits) > MAX_RESULTS,
        today=found.runtime.clock.now().astimezone(VN_TZ).date(),
    )


@router.get("/registry/{code}")
async def agency_page(
    code: str, found: Annotated[Visit, Depends(reader(Capability.READ_STATS))]
) -> Response:
    """One agency: its codes, status, successor and history."""
    agency = found.runtime.registry.get(code)
    if agency is None:
        raise NotFound(f"no agency {code!r}", code="AGENCY_UNKNOWN", field="code")
    return render(
        found,
        "agency.html",
        agency=agency,
        today=found.runtime.clock.now().astimezone(VN_TZ).date(),
    )


@router.post("/registry")
async def add_agency(
    posted: Annotated[Posted, Depends(writer(Capability.MANAGE_REGISTRY))],
) -> Response:
    """Register a new agency (either code form)."""
    code, name = posted.get("code"), posted.get("name")
    if not code or not name:
        raise BadRequest("code and name are required", field="code" if not code else "name")
    in_102 = AgencyCode.parse(code).form.value == "qcvn102"
    agency = Agency(
        code=None if in_102 else code,
        code102=code if in_102 else None,
        name=name,
        parent=posted.get("parent") or None,
        email=posted.get("email") or None,
        phone=posted.get("phone") or None,
    )
    admin = posted.visit.runtime.registry_admin
    added = await admin.add_agency(posted.actor, agency, posted.get("reason") or None)
    return RedirectResponse(f"/console/registry/{quote(added.primary, safe='')}", status_code=303)


@router.post("/registry/{code}/close")
async def close_agency(
    code: str, posted: Annotated[Posted, Depends(writer(Capability.MANAGE_REGISTRY))]
) -> Response:
    """Close an agency, into ``successor`` when given, as of ``effective`` (default today)."""
    successor = posted.get("successor") or None
    raw_day = posted.get("effective")
    try:
        effective = date.fromisoformat(raw_day) if raw_day else None
    except ValueError:
        raise BadRequest(f"{raw_day!r} is not a date", field="effective") from None
    closed = await posted.visit.runtime.registry_admin.close_agency(
        posted.actor, code, successor, effective, posted.get("reason") or None
    )
    return RedirectResponse(f"/console/registry/{quote(closed.primary, safe='')}", status_code=303)
