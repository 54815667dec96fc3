"""Request context: the correlation id of each HTTP request, its access log line, and the last
line of defence against unexpected exceptions; it also times each request for
``gateway_http_request_duration_seconds`` (by route template, :mod:`gateway.telemetry`).

The middleware honours a safe incoming ``X-Request-ID`` or makes one, binds it as ``request_id`` for
every log line of the request (structlog contextvars), stores it on ``request.state.request_id`` and
returns it in the response header. An exception no handler knows becomes the coded ``INTERNAL``
response here, inside the middleware, so that even a 500 carries the header and is logged once,
with the id, instead of reaching the server as a bare traceback.
"""

from __future__ import annotations

import logging
import re
import time

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.api.errors import internal_error_response
from gateway.logging import REQUEST_ID_HEADER, get_logger, new_request_id, sanitize_request_id
from gateway.telemetry import ROUTE_STATE_KEY, record_request

log = get_logger(__name__)

#: Probe paths logged at debug level: orchestrators call them every few seconds.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def route_template(scope: Scope, root_path: str = "") -> str:
    """The path template of the route that answered (``/api/v1/inbox/{delivery_id}/confirm``),
    or ``unmatched``: the raw path would give every document id its own series.

    A route of an included router may carry its path relative to the router's prefix (FastAPI
    keeps the original route object): the prefix is then the part of the request's path before
    what the route's pattern matches (prefixes have no parameters).
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str) or not template:
        return "unmatched"
    pattern = getattr(route, "path_regex", None)
    path = str(scope.get("path", ""))
    path = path.removeprefix(root_path) if root_path else path
    if isinstance(pattern, re.Pattern) and not pattern.fullmatch(path):
        for cut in (i for i, char in enumerate(path) if char == "/" and i > 0):
            if pattern.fullmatch(path[cut:]):
                return path[:cut] + template
    return template


class RequestContextMiddleware:
    """Pure ASGI middleware giving every HTTP request a correlation id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with its id bound; answer 500 ``INTERNAL`` on an unexpected error."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = sanitize_request_id(incoming) or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        root_path = str(scope.get("root_path", ""))
        began = time.perf_counter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unhandled error", method=scope["method"], path=scope["path"])
                if started:  # too late for an error body: let the server drop the connection
                    raise
                await internal_error_response(request_id)(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - began
                route = scope["state"].get(ROUTE_STATE_KEY) or route_template(scope, root_path)
                record_request(scope["method"], route, status, seconds)
                level = logging.DEBUG if scope["path"] in QUIET_PATHS else logging.INFO
                log.log(
                    level,
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round(seconds * 1000, 1),
                )
