"""FastAPI dependencies: what a route needs from the running node."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.api.errors import ApiError
from gateway.core.errors import AuthError
from gateway.core.model import System
from gateway.directory import AgencyDirectory
from gateway.runtime import Runtime


def current_runtime(request: Request) -> Runtime | None:
    """The node's open resources, or None before start-up completes and after shutdown."""
    runtime = getattr(request.app.state, "runtime", None)
    return runtime if isinstance(runtime, Runtime) else None


def get_runtime(request: Request) -> Runtime:
    """The node's open resources; 503 ``NOT_READY`` while the node starts or stops."""
    runtime = current_runtime(request)
    if runtime is None:
        raise ApiError(503, "NOT_READY", "the node is starting or stopping; retry shortly")
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_directory(runtime: RuntimeDep) -> AgencyDirectory:
    """Queries over the loaded agency registry."""
    return AgencyDirectory(runtime.registry)


DirectoryDep = Annotated[AgencyDirectory, Depends(get_directory)]


#: The native API's credential: ``Authorization: Bearer <token>`` (issued by ``systems add``).
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="SystemToken",
    description="The connected system's token, issued by `python -m gateway systems add` "
    "(or `systems rotate-token`) and shown once.",
)

#: Longest token looked up; issued tokens are far shorter.
MAX_TOKEN_LENGTH = 512


async def get_caller(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> System:
    """The connected system calling the native API, from its bearer token.

    Raises :class:`AuthError`: ``AUTH_TOKEN_MISSING`` without credentials, ``AUTH_SCHEME`` for a
    scheme other than Bearer, ``AUTH_TOKEN`` for a token no system holds, ``AUTH_DISABLED`` for a
    disabled system (all 401, see :mod:`gateway.api.errors`).
    """
    if credentials is None:
        if request.headers.get("authorization", "").strip():
            raise AuthError(
                "the Authorization header must be 'Bearer <token>'",
                code="AUTH_SCHEME",
                field="Authorization",
            )
        raise AuthError(
            "send the system's token as 'Authorization: Bearer <token>'",
            code="AUTH_TOKEN_MISSING",
            field="Authorization",
        )
    token = credentials.credentials.strip()
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthError("unknown token", code="AUTH_TOKEN", field="Authorization")
    return await runtime.exchange.by_token(token)


CallerDep = Annotated[System, Depends(get_caller)]
