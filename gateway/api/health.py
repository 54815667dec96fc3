"""Probes: ``/healthz`` (the process answers) and ``/readyz`` (the node can serve traffic).

Readiness checks every resource a request needs: the agency registry is loaded, the database
answers a query (``store.ping()``) and the bus answers its own handshake (``bus.ping()``). The
checks run concurrently, each bounded by :data:`CHECK_TIMEOUT`, so an unreachable database makes
the probe answer ``503`` in time instead of hanging the orchestrator's request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway.api.dependencies import current_runtime
from gateway.logging import get_logger
from gateway.runtime import Runtime
from schemas.errors import ErrorDetail
from schemas.health import ComponentCheck, Liveness, Readiness

log = get_logger(__name__)
router = APIRouter(tags=["probes"])

#: Longest wait for one component's answer (seconds).
CHECK_TIMEOUT = 3.0
#: The code of the 503 body when a component is unavailable (the first one in this order wins).
COMPONENT_CODES = {
    "registry": "NOT_READY",
    "database": "STORE_UNAVAILABLE",
    "bus": "BUS_UNAVAILABLE",
}
_NOT_OPEN = "not open (starting or stopping)"


@router.get("/healthz", response_model=Liveness, summary="Liveness")
async def healthz() -> Liveness:
    """Answer as long as the process serves HTTP; checks nothing else."""
    return Liveness()


async def _ping(name: str, ping: Callable[[], Awaitable[bool]], ok: str) -> ComponentCheck:
    """Run one component's ping; any failure to answer True is ``unavailable``."""
    try:
        answered = await asyncio.wait_for(ping(), CHECK_TIMEOUT)
    except TimeoutError:
        return ComponentCheck(status="unavailable", detail=f"no answer within {CHECK_TIMEOUT:g}s")
    except Exception as exc:  # a probe reports failures, it never raises them
        log.warning("readiness check failed", component=name, error=repr(exc))
        return ComponentCheck(status="unavailable", detail=f"ping failed: {type(exc).__name__}")
    if not answered:
        return ComponentCheck(status="unavailable", detail="ping did not succeed")
    return ComponentCheck(status="ok", detail=ok)


async def _components(runtime: Runtime | None) -> dict[str, ComponentCheck]:
    if runtime is None:
        down = ComponentCheck(status="unavailable", detail=_NOT_OPEN)
        registry = ComponentCheck(status="unavailable", detail="not loaded (starting or stopping)")
        return {"registry": registry, "database": down, "bus": down}
    registry = ComponentCheck(status="ok", detail=f"{len(runtime.registry)} agencies")
    backend = runtime.store.engine.dialect.name
    bus = type(runtime.bus).__name__
    database, bus_check = await asyncio.gather(
        _ping("database", runtime.store.ping, f"{backend} answered"),
        _ping("bus", runtime.bus.ping, f"{bus} answered"),
    )
    return {"registry": registry, "database": database, "bus": bus_check}


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    responses={
        503: {
            "model": Readiness,
            "description": "A component is unavailable. The body also carries `error` (the coded "
            "ErrorDetail of the other errors): code NOT_READY (registry: starting or stopping), "
            "STORE_UNAVAILABLE (database) or BUS_UNAVAILABLE (bus), `field` naming the "
            "component.",
        }
    },
)
async def readyz(request: Request) -> Response:
    """Report each component the node needs (registry, database, bus); 503 when any is down."""
    components = await _components(current_runtime(request))
    down = [name for name, check in components.items() if check.status != "ok"]
    if not down:
        body = Readiness(status="ready", components=components)
        return JSONResponse(body.model_dump(mode="json"))
    first = next(name for name in COMPONENT_CODES if name in down)
    error = ErrorDetail(
        code=COMPONENT_CODES[first],
        message="unavailable: " + ", ".join(f"{n} ({components[n].detail})" for n in down),
        field=first,
        request_id=getattr(request.state, "request_id", None),
    )
    body = Readiness(status="not_ready", components=components)
    payload = {**body.model_dump(mode="json"), "error": error.model_dump(mode="json")}
    return JSONResponse(payload, status_code=503)
