"""``/api/v1/admin``: people and the audit log, for people with a personal token.

| route | capability |
|---|---|
| ``GET|POST /users``, ``POST /users/{username}/disable`` or ``/enable`` | ``MANAGE_USERS`` |
| ``POST /users/{username}/password`` | ``MANAGE_USERS``, or the person themself |
| ``GET /audit``, ``GET /audit/verify`` | ``READ_AUDIT`` |
| ``POST /tokens`` | any signed-in person (a token for themself), or a username and password |

Authentication is ``Authorization: Bearer gwp_...`` (a personal token: ``users token`` or
``POST /tokens``); a system's token is refused (``AUTH_TOKEN``): systems are not people. Routes
check capabilities through :func:`gateway.api.actor.requires`, never role names.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from gateway.api.actor import ActorDep, bearer_token, personal_bearer, requires
from gateway.api.dependencies import RuntimeDep
from gateway.api.errors import ERROR_RESPONSES
from gateway.api.native.paging import SinceQuery
from gateway.core.actors import Action, Actor, Capability, Channel
from gateway.core.errors import BadRequest, NotAllowed
from gateway.core.people import User
from schemas.errors import ErrorBody
from schemas.people import (
    AuditEntry,
    AuditPage,
    AuditVerdict,
    EnableChange,
    PasswordChange,
    TokenIssued,
    TokenRequest,
    UserCreate,
    UserWithPassword,
)
from schemas.people import User as UserBody

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorBody,
        "description": "AUTH_REQUIRED (no token), AUTH_SCHEME, AUTH_TOKEN (no person holds it), "
        "AUTH_USER_DISABLED; with `WWW-Authenticate: Bearer`.",
    },
    403: {"model": ErrorBody, "description": "AUTH_ROLE: the person's role does not allow it."},
    **ERROR_RESPONSES,
    503: {"model": ErrorBody, "description": "NOT_READY, STORE_UNAVAILABLE."},
}
router = APIRouter(prefix="/admin", tags=["admin"], responses=_AUTH)

ManageUsers = Annotated[Actor, Depends(requires(Capability.MANAGE_USERS))]
ReadAudit = Annotated[Actor, Depends(requires(Capability.READ_AUDIT))]
UsernamePath = Annotated[str, Path(max_length=64, description="The username.")]
#: Longest audit page.
MAX_PAGE = 500


def _user(user: User) -> UserBody:
    return UserBody.model_validate(user.as_dict())


def _with_password(user: User, password: str | None) -> UserWithPassword:
    return UserWithPassword.model_validate({**user.as_dict(), "password": password})


@router.get("/users", response_model=list[UserBody], summary="People")
async def list_users(runtime: RuntimeDep, actor: ManageUsers) -> list[UserBody]:
    """Every person, by username (never their passwords)."""
    return [_user(user) for user in await runtime.people.list(by=actor)]


@router.post(
    "/users",
    status_code=201,
    response_model=UserWithPassword,
    summary="Add a person",
    responses={409: {"model": ErrorBody, "description": "USER_EXISTS."}},
)
async def add_user(runtime: RuntimeDep, actor: ManageUsers, body: UserCreate) -> UserWithPassword:
    """Add an enabled person; without `password` one is generated and answered once
    (USER_NAME_INVALID, USER_PASSWORD_WEAK: 422)."""
    user, generated = await runtime.people.add(
        body.username, body.role.value, password=body.password, by=actor
    )
    return _with_password(user, generated)


async def _set_enabled(
    runtime: RuntimeDep, actor: Actor, username: str, enabled: bool, body: EnableChange | None
) -> UserBody:
    reason = body.reason if body is not None else None
    return _user(await runtime.people.set_enabled(username, enabled, by=actor, reason=reason))


_ENABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "USER_UNKNOWN."},
    409: {"model": ErrorBody, "description": "USER_LAST_ADMIN."},
}
ReasonBody = Annotated[EnableChange | None, Body()]


@router.post(
    "/users/{username}/disable",
    response_model=UserBody,
    summary="Disable a person",
    responses=_ENABLE_RESPONSES,
)
async def disable_user(
    runtime: RuntimeDep, actor: ManageUsers, username: UsernamePath, body: ReasonBody = None
) -> UserBody:
    """Disable a person: no more sign-in, and their personal tokens stop working at once."""
    return await _set_enabled(runtime, actor, username, False, body)


@router.post(
    "/users/{username}/enable",
    response_model=UserBody,
    summary="Enable a person",
    responses=_ENABLE_RESPONSES,
)
async def enable_user(
    runtime: RuntimeDep, actor: ManageUsers, username: UsernamePath, body: ReasonBody = None
) -> UserBody:
    """Enable a disabled person again."""
    return await _set_enabled(runtime, actor, username, True, body)


@router.post(
    "/users/{username}/password",
    response_model=UserWithPassword,
    summary="Set a person's password",
    responses={404: {"model": ErrorBody, "description": "USER_UNKNOWN."}},
)
async def set_password(
    runtime: RuntimeDep,
    actor: ActorDep,
    username: UsernamePath,
    body: Annotated[PasswordChange | None, Body()] = None,
) -> UserWithPassword:
    """Set a new password (generated and answered once without `password`); lifts a lock-out.
    A person may set their own; anyone else's needs MANAGE_USERS."""
    password = body.password if body is not None else None
    user, generated = await runtime.people.set_password(username, password, by=actor)
    return _with_password(user, generated)


def _entry(entry: Any) -> AuditEntry:
    return AuditEntry.model_validate(entry.as_dict())


@router.get("/audit", response_model=AuditPage, summary="The audit log")
async def audit_page(
    runtime: RuntimeDep,
    actor: ReadAudit,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Entries per page.")] = 50,
    before: Annotated[
        int | None, Query(ge=1, description="`next_before` of the previous page.")
    ] = None,
    action: Annotated[
        str | None, Query(max_length=40, description="Only this action, e.g. `sign_in_failed`.")
    ] = None,
    actor_name: Annotated[
        str | None,
        Query(alias="actor", max_length=100, description="Only this actor (`alice`, `cli`, ...)."),
    ] = None,
    since: SinceQuery = None,
) -> AuditPage:
    """Entries, newest first, a page at a time (times in +07:00, hashes included)."""
    if action is not None and action not in {a.value for a in Action}:
        raise BadRequest(f"no audit action {action!r}", field="action")
    page = await runtime.audit.page(
        limit=limit, before_seq=before, action=action, actor=actor_name, since=since
    )
    next_before = page[-1].seq if len(page) == limit and page[-1].seq > 1 else None
    return AuditPage(entries=[_entry(e) for e in page], next_before=next_before)


@router.get("/audit/verify", response_model=AuditVerdict, summary="Verify the audit chain")
async def audit_verify(runtime: RuntimeDep, actor: ReadAudit) -> AuditVerdict:
    """Walk the whole chain: `ok` with the number of entries, or the first broken entry (a row
    changed, removed or inserted outside the log). Answered 200 either way."""
    return AuditVerdict.model_validate((await runtime.audit.verify()).as_dict())


@router.post(
    "/tokens",
    status_code=201,
    response_model=TokenIssued,
    summary="A personal API token",
    responses={429: {"model": ErrorBody, "description": "AUTH_LOCKED."}},
)
async def issue_token(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(personal_bearer)],
    body: Annotated[TokenRequest | None, Body()] = None,
) -> TokenIssued:
    """A new personal token for the caller, shown once: authenticated by a personal token, or
    by `username` and `password` (a sign-in: throttled, locked after repeated failures,
    audited). The token acts with the person's role, and stops working if they are disabled."""
    token = bearer_token(request, credentials)
    if token is not None:
        actor = await runtime.people.actor_for_token(token)
    elif body is not None:
        actor = await runtime.people.authenticate(body.username, body.password, Channel.TOKEN)
    else:
        raise NotAllowed(
            "send a personal token, or a username and password",
            code="AUTH_REQUIRED",
            field="Authorization",
        )
    issued = await runtime.people.create_token(actor.username, by=actor)
    return TokenIssued(username=actor.username, token=issued)
