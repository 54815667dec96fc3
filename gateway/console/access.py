"""Who is visiting the console, and what they may do: the dependencies of every console route.

:func:`visit` reads the session cookie (or starts an anonymous session), the language, and the
signed-in person as an :class:`~gateway.core.actors.Actor` whose role is read from the people use
case on each request. :func:`reader` and :func:`writer` make the dependency of a page or a form
for one :class:`~gateway.core.actors.Capability`: they call :func:`gateway.core.actors.require`
(``AUTH_REQUIRED`` / ``AUTH_ROLE``) server-side, whatever the page showed; a writer then checks the
form's CSRF token (``CSRF_INVALID``, 403) before the route runs.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import Request

from gateway.api.dependencies import get_runtime
from gateway.console.i18n import LANG_COOKIE, Translator, choose_language
from gateway.console.session import Session, SessionCookies
from gateway.core.actors import Actor, Capability, Channel, require
from gateway.core.errors import NotAllowed, NotFound
from gateway.runtime import Runtime

#: The name of the CSRF token's field in every form.
CSRF_FIELD = "csrf"
#: Longest value of a form field the console reads (a reason, a source, a list of codes).
MAX_FIELD = 4000


@dataclass(frozen=True)
class Visit:
    """One request to the console: the node, the session, the person, their language."""

    request: Request
    runtime: Runtime
    cookies: SessionCookies
    session: Session
    fresh: bool  # the session was started by this request: its cookie must be written
    actor: Actor | None
    t: Translator
    lang_chosen: bool  # ?lang= was given: remember it


@dataclass(frozen=True)
class Posted:
    """A form sent by someone allowed to send it, its CSRF token checked."""

    visit: Visit
    form: dict[str, str]

    @property
    def actor(self) -> Actor:
        """The signed-in person (a writer always has one)."""
        assert self.visit.actor is not None  # noqa: S101 - writer() required it
        return self.visit.actor

    def get(self, name: str, default: str = "") -> str:
        """A field's value, stripped."""
        return self.form.get(name, default).strip()


async def person(runtime: Runtime, username: str | None) -> Actor | None:
    """The enabled person of that name with their current role, or None."""
    if not username:
        return None
    try:
        user = await runtime.people.get(username)
    except NotFound:
        return None
    if not user.enabled:
        return None
    return Actor(user.username, user.role, Channel.CONSOLE)


async def visit(request: Request) -> Visit:
    """The visit of ``request`` (an anonymous session started when it has none)."""
    runtime = get_runtime(request)
    cookies = SessionCookies(runtime.settings)
    session = cookies.read(request)
    fresh = session is None
    if session is None:
        session = Session.anonymous()
    query = request.query_params.get("lang")
    language = choose_language(query, request.cookies.get(LANG_COOKIE))
    actor = await person(runtime, session.username)
    found = Visit(
        request=request,
        runtime=runtime,
        cookies=cookies,
        session=session,
        fresh=fresh,
        actor=actor,
        t=Translator(language),
        lang_chosen=query == language,
    )
    request.state.console_visit = found  # for the error pages (gateway.console.errors)
    return found


def reader(capability: Capability) -> Callable[[Request], Awaitable[Visit]]:
    """The dependency of a page that needs ``capability``."""

    async def dependency(request: Request) -> Visit:
        found = await visit(request)
        require(found.actor, capability)
        return found

    return dependency


def check_csrf(session: Session, form: dict[str, str]) -> None:
    """Refuse a form whose token is not the session's (``CSRF_INVALID``)."""
    sent = form.get(CSRF_FIELD, "")
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise NotAllowed(
            "the form's token is missing or not this session's", code="CSRF_INVALID", field="csrf"
        )


async def read_form(request: Request) -> dict[str, str]:
    """The request's form fields (text only, each cut at :data:`MAX_FIELD`); repeated fields
    are joined by newlines."""
    form = await request.form()
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            text = value[:MAX_FIELD]
            out[key] = f"{out[key]}\n{text}" if key in out else text
    return out


def writer(capability: Capability) -> Callable[[Request], Awaitable[Posted]]:
    """The dependency of a form that needs ``capability``: role first, then the CSRF token."""

    async def dependency(request: Request) -> Posted:
        found = await visit(request)
        require(found.actor, capability)
        form = await read_form(request)
        check_csrf(found.session, form)
        return Posted(found, form)

    return dependency
