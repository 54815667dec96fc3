"""The app factory: ``create_app(settings)`` builds the node's ASGI app.

Building the app opens nothing: the resources (:mod:`gateway.runtime`) open in the lifespan, when a
server starts the app, and close in reverse order when it stops. Nothing here runs at import time,
so ``uvicorn --factory gateway.app:create_app`` and ``python -m gateway serve`` both work.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.routing import BaseRoute

from gateway import package_version
from gateway.api import build_router
from gateway.api.correlation import RequestContextMiddleware
from gateway.api.errors import install_error_handlers
from gateway.api.vxp import ROUTES as VXP_ROUTES
from gateway.api.vxp import VxpShortcut
from gateway.console import build_console_router
from gateway.logging import configure_logging
from gateway.runtime import open_runtime
from gateway.settings import Settings, get_settings

DESCRIPTION = """\
Axis node for Vietnam's inter-agency e-document exchange.

Native API (`/api/v1`): send documents and status notices, pull, fetch and confirm received
copies, the sender's view and per-document traces (bearer token per connected system), plus the
agency registry and code parsing. The VXP-compatible API the official SDK speaks lives under
`/vxp` (not listed here: its wire format is fixed by the SDK). Every error body is
`{"error": {"code", "message", "field", "request_id"}}`; every timestamp is ISO 8601 in +07:00.
Send `X-Request-ID` to correlate your logs with the node's; the node returns it (or a new one).
"""


def create_app(
    settings: Settings | None = None, *, upstream_http: httpx.AsyncClient | None = None
) -> FastAPI:
    """Build the node's app from ``settings`` (read from the environment when None).

    Configures logging as the settings say. The agency registry is loaded once, in the lifespan,
    and exposed to routes as ``app.state.runtime`` while the app runs.
    """
    settings = settings if settings is not None else get_settings()
    configure_logging(settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings, upstream_http=upstream_http) as runtime:
            app.state.runtime = runtime
            try:
                yield
            finally:
                # Routes answer NOT_READY from here on, not with half-closed resources.
                app.state.runtime = None

    # Swagger UI's script, stylesheet and icon are served by the node itself (fastapi-offline
    # ships them): an offline government network has no CDN.
    app = FastAPIOffline(
        title="truc-lienthong axis node",
        version=package_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        static_url="/docs/assets",
    )
    app.state.runtime = None
    install_error_handlers(app)
    # Added first, so inside the request context: a VXP call skips the layers between the
    # middleware and the routes (gateway.api.vxp.VxpShortcut).
    app.add_middleware(VxpShortcut)
    app.add_middleware(RequestContextMiddleware)
    # The VXP API first, in the app's own router: document systems poll it all day, routes are
    # matched in order, and FastAPI walks included routers on every match.
    app.router.routes.extend(VXP_ROUTES)
    app.router.routes.extend(_included_routes())
    return app


@functools.cache
def _included_routes() -> tuple[BaseRoute, ...]:
    """The native API and the operator console (``/console``: server-rendered pages, not part of
    the OpenAPI document), as included routers, built once per process.

    FastAPI analyses an included router's routes (every parameter's validator) at the first
    request and keeps the result on the included router: about 0.25 s for our 100 routes. The
    routes hold no state of an app (they read ``request.app.state``), so every app of a process
    (the tests build hundreds; a process runs one node) shares the same included routers, and
    the analysis runs once. The template app that includes them is configured like the node's
    (no router-wide dependencies, default response class).
    """
    template = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    template.include_router(build_router())
    template.include_router(build_console_router())
    return tuple(template.router.routes)
