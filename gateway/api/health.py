"""Probes: ``/healthz`` (the process answers) and ``/readyz`` (the node can serve traffic)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gateway.api.dependencies import current_runtime
from schemas.health import ComponentCheck, Liveness, Readiness

router = APIRouter(tags=["probes"])


@router.get("/healthz", response_model=Liveness, summary="Liveness")
async def healthz() -> Liveness:
    """Answer as long as the process serves HTTP; checks nothing else."""
    return Liveness()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    responses={503: {"model": Readiness, "description": "A component is not available."}},
)
async def readyz(request: Request, response: Response) -> Readiness:
    """Report each component the node needs; 503 when any is unavailable."""
    runtime = current_runtime(request)
    # One entry per resource of gateway.runtime.Runtime; the store and the bus join later.
    if runtime is None:
        registry = ComponentCheck(status="unavailable", detail="not loaded (starting or stopping)")
    else:
        registry = ComponentCheck(status="ok", detail=f"{len(runtime.registry)} agencies")
    components = {"registry": registry}
    ready = all(check.status == "ok" for check in components.values())
    if not ready:
        response.status_code = 503
    return Readiness(status="ready" if ready else "not_ready", components=components)
