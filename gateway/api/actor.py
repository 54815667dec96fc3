"""Who is calling the admin API: a person, from their personal API token.

``ActorDep`` is the signed-in :class:`~gateway.core.actors.Actor` (channel ``token``) of a route;
``requires(capability)`` is the dependency of a route only some roles may call. Routes check
capabilities, never role names (:data:`gateway.core.actors.ROLE_CAPABILITIES`).

- no ``Authorization`` header: 401 ``AUTH_REQUIRED``; another scheme than Bearer: 401
  ``AUTH_SCHEME``;
- a token no person holds (a system's ``gwt_`` token included): 401 ``AUTH_TOKEN``; the token of a
  disabled user: 401 ``AUTH_USER_DISABLED``;
- a role without the capability: 403 ``AUTH_ROLE``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.api.dependencies import MAX_TOKEN_LENGTH, RuntimeDep
from gateway.core.actors import Actor, Capability, require
from gateway.core.errors import AuthError, NotAllowed

#: The admin API's credential: ``Authorization: Bearer gwp_...`` (``users token``, or
#: ``POST /api/v1/admin/tokens``).
personal_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="PersonalToken",
    description="A person's API token (`gwp_...`), issued by `python -m gateway users token "
    "USERNAME` or `POST /api/v1/admin/tokens` and shown once; it acts with the user's role.",
)


def bearer_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The bearer token sent, None when no Authorization header was; ``AUTH_SCHEME`` for
    another scheme, ``AUTH_TOKEN`` for an absurdly long token."""
    if credentials is None:
        if request.headers.get("authorization", "").strip():
            raise AuthError(
                "the Authorization header must be 'Bearer <token>'",
                code="AUTH_SCHEME",
                field="Authorization",
            )
        return None
    token = credentials.credentials.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthError("unknown token", code="AUTH_TOKEN", field="Authorization")
    return token


async def get_actor(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(personal_bearer)],
) -> Actor:
    """The person calling, from their personal token (401 ``AUTH_REQUIRED`` without one)."""
    token = bearer_token(request, credentials)
    if token is None:
        raise NotAllowed(
            "sign in first: send 'Authorization: Bearer <personal token>'",
            code="AUTH_REQUIRED",
            field="Authorization",
        )
    return await runtime.people.actor_for_token(token)


#: The signed-in person of an admin route.
ActorDep = Annotated[Actor, Depends(get_actor)]


def requires(capability: Capability) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency: the signed-in person if their role has ``capability``, else 403
    ``AUTH_ROLE`` (401 ``AUTH_REQUIRED`` when nobody signed in)."""

    async def dependency(actor: ActorDep) -> Actor:
        return require(actor, capability, "Authorization")

    dependency.__name__ = f"requires_{capability.value}"
    return dependency
