"""The console's routes under ``/console``, assembled: one module per page, the static assets.

Mounted by :func:`gateway.app.create_app` beside the APIs; none of it is in the OpenAPI
document. Every asset (stylesheet, script, icon) is a file of ``gateway/console/static`` served by
the node itself: an offline government network has no CDN.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from gateway.api.errors import ApiError
from gateway.console import (
    audit,
    calendar,
    deliveries,
    overview,
    registry,
    replays,
    signin,
    stats,
    systems,
    users,
)
from gateway.console.access import visit
from gateway.console.errors import ConsoleRoute, error_page
from gateway.core.errors import ExchangeError

STATIC = Path(__file__).resolve().parent / "static"
_MEDIA = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def _assets() -> dict[str, Path]:
    return {p.name: p for p in STATIC.iterdir() if p.is_file() and p.suffix in _MEDIA}


#: The page modules, each with its ``router`` (paths under ``/console``).
PAGES = (signin, overview, stats, deliveries, replays, systems, registry, calendar, users, audit)
PREFIX = "/console"


def build_console_router() -> APIRouter:
    """Every console route (pages, forms, assets), none in the OpenAPI document."""
    router = APIRouter(prefix=PREFIX, include_in_schema=False, route_class=ConsoleRoute)
    for module in PAGES:
        router.include_router(module.router)
    assets = _assets()

    @router.get("/static/{name}")
    async def static(request: Request, name: str) -> Response:
        path = assets.get(name)
        if path is None:
            return error_page(request, 404, "NOT_FOUND", f"no asset {name!r}")
        return FileResponse(
            path,
            media_type=_MEDIA[path.suffix],
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @router.get("/{rest:path}")
    async def unknown(request: Request, rest: str) -> Response:
        with contextlib.suppress(ExchangeError, ApiError):
            await visit(request)  # the page's frame shows the signed-in person's menu
        return error_page(request, 404, "NOT_FOUND", f"nothing is served at {request.url.path}")

    return router
