"""The native HTTP API of the node (``/api/v1``) and its probes.

Routers hold no logic of their own: they read the request, call the node's services and return
models of :mod:`schemas`; :mod:`gateway.api.errors` turns every failure into a coded body.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from gateway.api import (
    admin,
    agencies,
    calendar,
    codes,
    deliveries_admin,
    health,
    metrics,
    native,
    node,
    replays,
    stats,
)
from gateway.api.query import refuse_unknown_query

#: Prefix of the native API; the VXP-compatible API lives under ``/vxp``.
API_PREFIX = "/api/v1"


def build_router() -> APIRouter:
    """The native API under :data:`API_PREFIX`, plus the probes and ``/metrics`` at the root."""
    router = APIRouter()
    router.include_router(health.router)
    router.include_router(metrics.router)
    # Every /api/v1 route refuses query parameters it does not take (gateway.api.query).
    v1 = APIRouter(prefix=API_PREFIX, dependencies=[Depends(refuse_unknown_query)])
    for module in (
        node,
        agencies,
        codes,
        calendar,
        native,
        admin,
        deliveries_admin,
        replays,
        stats,
    ):
        v1.include_router(module.router)
    router.include_router(v1)
    return router
