"""Rendering the console's pages: the Jinja2 environment, its filters and the navigation.

Every page extends ``base.html`` (navigation, language switch, sign-out) and gets the same
context: ``t`` (the words of the chosen language), ``actor``, ``can(capability)``, ``csrf`` (the
session's token, for every form) and ``nav`` (only the pages the person's role may open). Times are
shown in +07:00 as ``dd/mm/yyyy HH:MM``. Autoescaping is on for every template.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from gateway import package_version
from gateway.console.access import Visit
from gateway.console.i18n import LANG_COOKIE
from gateway.console.session import PATH
from gateway.core.actors import Capability
from gateway.core.clock import VN_TZ

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation: where, its words, and the capability it needs."""

    path: str
    key: str
    capability: Capability


NAV: tuple[NavItem, ...] = (
    NavItem("/console/", "nav.overview", Capability.READ_STATS),
    NavItem("/console/stats", "nav.stats", Capability.READ_STATS),
    NavItem("/console/deliveries", "nav.deliveries", Capability.READ_DELIVERIES),
    NavItem("/console/replays", "nav.replays", Capability.READ_DELIVERIES),
    NavItem("/console/systems", "nav.systems", Capability.MANAGE_SYSTEMS),
    NavItem("/console/registry", "nav.registry", Capability.MANAGE_REGISTRY),
    NavItem("/console/calendar", "nav.calendar", Capability.MANAGE_CALENDAR),
    NavItem("/console/users", "nav.users", Capability.MANAGE_USERS),
    NavItem("/console/audit", "nav.audit", Capability.READ_AUDIT),
)


def vn_time(value: datetime | None) -> str:
    """An instant in +07:00 as ``dd/mm/yyyy HH:MM`` (``—`` for None)."""
    if value is None:
        return "—"
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def vn_date(value: date | None) -> str:
    """A day as ``dd/mm/yyyy``."""
    return "—" if value is None else value.strftime("%d/%m/%Y")


def duration(value: timedelta | float | None) -> str:
    """A span as ``3 d 4 h``, ``2 h 5 min`` or ``7 min``."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@functools.cache
def environment() -> Environment:
    """The templates' environment, built at the first page (nothing is loaded at import)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vn_time"] = vn_time
    env.filters["vn_date"] = vn_date
    env.filters["duration"] = duration
    env.globals["node_version"] = package_version()
    return env


def render(visit: Visit, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` for ``visit``, writing its session and language cookies."""
    actor = visit.actor
    path = visit.request.url.path
    query = {k: v for k, v in visit.request.query_params.items() if k != "lang"}
    values: Mapping[str, Any] = {
        "t": visit.t,
        "lang": visit.t.language,
        "actor": actor,
        "can": (lambda name: actor is not None and actor.can(Capability(name))),
        "csrf": visit.session.csrf,
        "nav": [item for item in NAV if actor is not None and actor.can(item.capability)],
        "path": path,
        # A page answering a form (a secret shown once) has no address to show again.
        "lang_link": f"{path}?{urlencode({**query, 'lang': visit.t.other})}"
        if visit.request.method == "GET"
        else f"/console/?lang={visit.t.other}",
        "node_id": visit.runtime.settings.node_id if visit.runtime is not None else "",
        **context,
    }
    body = environment().get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code)
    # Pages name people and copies: no cache may keep them, no frame may show them.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    if visit.fresh:
        visit.cookies.write(visit.request, response, visit.session)
    if visit.lang_chosen:
        response.set_cookie(
            LANG_COOKIE,
            visit.t.language,
            max_age=365 * 86400,
            path=PATH,
            httponly=True,
            samesite="strict",
            secure=visit.cookies.secure(visit.request),
        )
    return response
