"""The one place where errors become the console's pages.

Console routes use :class:`ConsoleRoute`: whatever a route (or its dependencies) raises is
answered here as an HTML page naming its code, never the API's JSON body. Nobody signed in on a
page (``AUTH_REQUIRED`` on GET) is sent to the sign-in page, coming back afterwards; every other
coded error (``AUTH_ROLE`` 403, ``CSRF_INVALID`` 403, ``DELIVERY_UNKNOWN`` 404, a refused form
422, ...) is the error page with the status of its code's row in
:mod:`gateway.api.error_codes`. Anything unexpected is logged and answered 500 with the request
id only.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from gateway.api.error_codes import http_status
from gateway.api.errors import ApiError
from gateway.console.access import Visit
from gateway.console.i18n import LANG_COOKIE, Translator, choose_language
from gateway.console.pages import environment, render
from gateway.core.errors import ExchangeError
from gateway.logging import get_logger
from identifiers import IdentifierError

log = get_logger(__name__)

LOGIN = "/console/login"


def error_page(
    request: Request, status: int, code: str, message: str, field: str | None = None
) -> Response:
    """The coded error page for ``request`` (with the visit's frame when there is one)."""
    found = getattr(request.state, "console_visit", None)
    request_id = getattr(request.state, "request_id", None)
    context = {"status": status, "code": code, "message": message, "field": field}
    if isinstance(found, Visit):
        return render(found, "error.html", status_code=status, request_id=request_id, **context)
    language = choose_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))
    t = Translator(language)
    body = (
        environment()
        .get_template("error.html")
        .render(
            t=t,
            lang=language,
            actor=None,
            can=lambda name: False,
            csrf="",
            nav=[],
            path=request.url.path,
            lang_link=f"{request.url.path}?lang={t.other}",
            node_id="",
            request_id=request_id,
            **context,
        )
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def sign_in_first(request: Request) -> Response:
    """Send a visitor who is not signed in to the sign-in page (then back to this page)."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN}?next={quote(back, safe='')}", status_code=303)


def answer(request: Request, exc: Exception) -> Response:
    """The console's answer to ``exc`` raised while serving ``request``."""
    if isinstance(exc, ExchangeError):
        if exc.code == "AUTH_REQUIRED" and request.method in ("GET", "HEAD"):
            return sign_in_first(request)
        status = http_status(exc.code, default=http_status(type(exc).code))
        return error_page(request, status, exc.code, exc.message, exc.field)
    if isinstance(exc, IdentifierError):
        status = http_status(exc.code, default=422)
        return error_page(request, status, exc.code, exc.message, exc.field)
    if isinstance(exc, ApiError):
        return error_page(request, exc.status_code, exc.code, exc.message, exc.field)
    if isinstance(exc, RequestValidationError):
        errors = exc.errors()
        loc = errors[0].get("loc", ()) if errors else ()
        field = ".".join(str(part) for part in loc[1:]) or None
        return error_page(request, 422, "REQUEST_INVALID", "a parameter is not valid", field)
    raise exc


class ConsoleRoute(APIRoute):
    """A console route: its errors are pages (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handle(request)
            except (ExchangeError, IdentifierError, ApiError, RequestValidationError) as exc:
                return answer(request, exc)

        return route
