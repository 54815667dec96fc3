"""Signing in and out of the console.

The password is checked by the people use case (``People.authenticate``, channel ``console``):
it throttles failed sign-ins with a lock-out and audits every attempt, failed or not; the page
shows its refusal (``AUTH_PASSWORD``, ``AUTH_LOCKED`` with until when, ``AUTH_USER_DISABLED``).
A successful sign-in starts a new session (new CSRF token); signing out is a form (POST with the
token), audited, and clears the cookie.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from gateway.api.error_codes import http_status
from gateway.console.access import Visit, check_csrf, read_form, visit
from gateway.console.errors import ConsoleRoute
from gateway.console.pages import render
from gateway.console.session import Session, new_token
from gateway.core.actors import Action, AuditRecord, Channel
from gateway.core.errors import AuthError, NotAllowed

router = APIRouter(route_class=ConsoleRoute)
HOME = "/console/"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path of this node, never another site."""
    if not target or not target.startswith("/console") or target.startswith("//"):
        return HOME
    if "\\" in target or any(ord(c) < 0x20 for c in target):
        return HOME
    return target


@router.get("/login")
async def login_page(
    found: Annotated[Visit, Depends(visit)], next: str | None = None, bye: int = 0
) -> Response:
    """The sign-in form (or straight on, for someone signed in already)."""
    if found.actor is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(found, "login.html", next=safe_next(next), error=None, detail=None, bye=bye)


@router.post("/login")
async def login(request: Request, found: Annotated[Visit, Depends(visit)]) -> Response:
    """Check the password with the people use case; start a signed-in session."""
    form = await read_form(request)
    target = safe_next(form.get("next"))
    if found.fresh:  # no session, hence no token the form could carry
        raise NotAllowed("the sign-in form has no session", code="CSRF_INVALID", field="csrf")
    check_csrf(found.session, form)
    username = form.get("username", "")[:200]
    try:
        actor = await found.runtime.people.authenticate(
            username, form.get("password", ""), Channel.CONSOLE
        )
    except AuthError as exc:
        status = http_status(exc.code, default=401)
        detail = exc.message if exc.code == "AUTH_LOCKED" else None
        return render(
            found,
            "login.html",
            status,
            next=target,
            error=f"error.{exc.code}",
            detail=detail,
            username=username,
            bye=0,
        )
    response = RedirectResponse(target, status_code=303)
    found.cookies.write(request, response, Session(new_token(), actor.username))
    return response


@router.post("/logout")
async def logout(request: Request, found: Annotated[Visit, Depends(visit)]) -> Response:
    """End the session (audited when someone was signed in)."""
    form = await read_form(request)
    check_csrf(found.session, form)
    if found.actor is not None:
        await found.runtime.audit.append(
            AuditRecord(
                actor=found.actor.username,
                action=Action.SIGN_OUT,
                target=f"user:{found.actor.username}",
                channel=Channel.CONSOLE,
            )
        )
    response = RedirectResponse("/console/login?bye=1", status_code=303)
    found.cookies.clear(request, response)
    return response
