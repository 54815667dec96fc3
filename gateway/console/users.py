"""The users page (admins): every person with their role; add one, disable or enable one, set a
new password. Generated passwords are shown once.

Everything goes through the people use case (``People``), which checks ``MANAGE_USERS`` for the
acting person and audits each change; the console checks it first too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import RedirectResponse

from gateway.console.access import Posted, Visit, reader, writer
from gateway.console.errors import ConsoleRoute
from gateway.console.pages import render
from gateway.core.actors import Capability, Role

router = APIRouter(route_class=ConsoleRoute)


@router.get("/users")
async def users_page(
    found: Annotated[Visit, Depends(reader(Capability.MANAGE_USERS))],
) -> Response:
    """Every user, by name."""
    users = await found.runtime.people.list(by=found.actor)
    return render(found, "users.html", users=users, roles=list(Role))


@router.post("/users")
async def add_user(
    posted: Annotated[Posted, Depends(writer(Capability.MANAGE_USERS))],
) -> Response:
    """Add a user with a generated password (shown once)."""
    user, password = await posted.visit.runtime.people.add(
        posted.get("username"), posted.get("role"), by=posted.actor
    )
    return render(posted.visit, "password.html", username=user.username, password=password)


@router.post("/users/{username}/enable")
async def enable_user(
    username: str, posted: Annotated[Posted, Depends(writer(Capability.MANAGE_USERS))]
) -> Response:
    """Enable a user."""
    await posted.visit.runtime.people.set_enabled(username, True, by=posted.actor)
    return RedirectResponse("/console/users", status_code=303)


@router.post("/users/{username}/disable")
async def disable_user(
    username: str, posted: Annotated[Posted, Depends(writer(Capability.MANAGE_USERS))]
) -> Response:
    """Disable a user (they can no longer sign in; their open session stops at once)."""
    await posted.visit.runtime.people.set_enabled(
        username, False, by=posted.actor, reason=posted.get("reason") or None
    )
    return RedirectResponse("/console/users", status_code=303)


@router.post("/users/{username}/password")
async def reset_password(
    username: str, posted: Annotated[Posted, Depends(writer(Capability.MANAGE_USERS))]
) -> Response:
    """Set a generated password (shown once); it also ends a lock-out."""
    user, password = await posted.visit.runtime.people.set_password(username, by=posted.actor)
    return render(posted.visit, "password.html", username=user.username, password=password)
