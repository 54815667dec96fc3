"""People who operate the node: users with a role, sign-in with throttling, personal tokens.

Users are people (``operator``, ``auditor``, ``admin``: :class:`gateway.core.actors.Role`), kept
apart from the connected document systems. A person signs in with a password (argon2id,
:mod:`gateway.core.passwords`) on the console or the CLI, or sends a personal API token from a
script. Every sign-in, every failed one and every change of a user is appended to the audit log
(:class:`gateway.core.actors.AuditSink`).

Throttling: each failed sign-in of a username (known or not, so that lock-outs tell nothing about
which names exist) counts; the ``max_failures``-th locks the name for ``lockout`` (5 and 15
minutes by default, ``GATEWAY_SIGN_IN_*``). While locked, even the right password is refused
with ``AUTH_LOCKED`` without being checked; a success, or an admin setting a new password, clears
the count. Personal tokens (``gwp_...``) are random, shown once and kept as their SHA-256; they act
with the user's role *at the time of the call*, and stop working when the user is disabled.

``by`` is who acts: an :class:`~gateway.core.actors.Actor` (checked for ``MANAGE_USERS``), or None
for the CLI on the node's machine without ``--as`` (recorded as ``cli``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from gateway.core.actors import (
    Action,
    Actor,
    AuditRecord,
    AuditSink,
    Capability,
    Channel,
    NullAudit,
    Role,
    require,
)
from gateway.core.clock import VN_TZ, Clock
from gateway.core.errors import AuthError, BadRequest, NotAllowed, NotFound
from gateway.core.passwords import MAX_PASSWORD, MIN_PASSWORD, Passwords, new_password
from gateway.core.secrets import token_hash

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
#: Prefix of personal API tokens (systems' tokens start ``gwt_``): the API tells them apart.
PERSONAL_TOKEN_PREFIX = "gwp_"  # noqa: S105 - a public prefix, not a secret
#: What the audit log names as the actor of a CLI command run without ``--as``.
CLI_ACTOR = "cli"


@dataclass(frozen=True)
class User:
    """A person as the node knows them (never their password or its hash)."""

    username: str
    role: Role
    enabled: bool
    created_at: datetime
    updated_at: datetime
    password_changed_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, times in +07:00."""
        changed = self.password_changed_at
        return {
            "username": self.username,
            "role": self.role.value,
            "enabled": self.enabled,
            "created_at": self.created_at.astimezone(VN_TZ).isoformat(),
            "updated_at": self.updated_at.astimezone(VN_TZ).isoformat(),
            "password_changed_at": changed.astimezone(VN_TZ).isoformat() if changed else None,
        }


@dataclass(frozen=True)
class Throttle:
    """Failed sign-ins of one username: how many in a row, and until when it is locked."""

    failures: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        """True while the lock-out lasts."""
        return self.locked_until is not None and now < self.locked_until


@dataclass(frozen=True)
class PeopleConfig:
    """The sign-in rules (from the settings)."""

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)

    def after_failure(self, current: Throttle, now: datetime) -> Throttle:
        """The throttle state once one more sign-in failed at ``now``."""
        if current.locked_until is not None and not current.locked(now):
            current = Throttle()  # a lock-out that ended starts the count again
        failures = current.failures + 1
        if failures >= self.max_failures and not current.locked(now):
            return Throttle(failures, now + self.lockout)
        return Throttle(failures, current.locked_until)


class PeopleStore(Protocol):
    """Users, their password hashes, sign-in throttles and personal tokens
    (:class:`gateway.store.people.SqlPeople`)."""

    async def add_user(self, user: User, password_hash: str) -> None:
        """Store a new user; ``NotAllowed`` (USER_EXISTS) when the name is taken."""
        ...

    async def get_user(self, username: str) -> tuple[User, str] | None:
        """The user and their password hash, or None."""
        ...

    async def list_users(self) -> list[User]:
        """Every user, by name."""
        ...

    async def update_user(
        self,
        username: str,
        *,
        now: datetime,
        enabled: bool | None = None,
        password_hash: str | None = None,
    ) -> User:
        """Change what is given; ``NotFound`` (USER_UNKNOWN) for an unknown name."""
        ...

    async def throttle(self, username: str) -> Throttle:
        """The failed sign-ins of ``username`` (nothing recorded: ``Throttle()``)."""
        ...

    async def record_failure(
        self, username: str, now: datetime, step: Callable[[Throttle, datetime], Throttle]
    ) -> Throttle:
        """Replace the throttle of ``username`` by ``step(current, now)`` atomically (two
        concurrent failures both count); the new state."""
        ...

    async def clear_failures(self, username: str) -> None:
        """Forget the failed sign-ins of ``username``."""
        ...

    async def add_token(self, token_hash: str, username: str, now: datetime) -> None:
        """Store a personal token's hash for ``username``."""
        ...

    async def user_by_token(self, token_hash: str) -> User | None:
        """The user holding the token (enabled or not), or None."""
        ...


def check_username(raw: str) -> str:
    """A username as stored: stripped, lower-case; ``USER_NAME_INVALID`` when malformed."""
    name = raw.strip().lower()
    if not USERNAME.match(name):
        raise BadRequest(
            f"username {raw!r}: 2-64 of a-z, 0-9, '.', '_', '-' (starting with a letter or digit)",
            code="USER_NAME_INVALID",
            field="username",
        )
    return name


def check_role(raw: str | Role) -> Role:
    """A role by its value; ``USER_ROLE_INVALID`` otherwise."""
    try:
        return Role(str(raw).strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise BadRequest(
            f"role {raw!r} is not one of {allowed}", code="USER_ROLE_INVALID", field="role"
        ) from None


def check_password(password: str) -> str:
    """A password an admin or user chose; ``USER_PASSWORD_WEAK`` when too short or long."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD or not password.strip():
        raise BadRequest(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            code="USER_PASSWORD_WEAK",
            field="password",
        )
    return password


def new_personal_token() -> str:
    """A random personal API token."""
    return PERSONAL_TOKEN_PREFIX + secrets.token_urlsafe(32)


def is_personal_token(token: str) -> bool:
    """True for a token of the personal form (``gwp_...``), whoever holds it."""
    return token.startswith(PERSONAL_TOKEN_PREFIX)


def actor_name(by: Actor | None) -> tuple[str, Channel]:
    """What the audit log records as the actor: the username, or ``cli`` (no ``--as``)."""
    return (CLI_ACTOR, Channel.CLI) if by is None else (by.username, by.channel)


class People:
    """The people use case: users, sign-in, personal tokens, each change audited."""

    def __init__(
        self,
        store: PeopleStore,
        clock: Clock,
        audit: AuditSink | None = None,
        *,
        passwords: Passwords | None = None,
        config: PeopleConfig | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.audit: AuditSink = audit or NullAudit()
        self.passwords = passwords or Passwords()
        self.config = config or PeopleConfig()

    @staticmethod
    def _may_manage(by: Actor | None) -> None:
        if by is not None:
            require(by, Capability.MANAGE_USERS, "username")

    async def _record(
        self,
        by: Actor | None,
        action: Action,
        username: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        actor, channel = actor_name(by)
        await self.audit.append(
            AuditRecord(
                actor=actor,
                action=action,
                target=f"user:{username}",
                reason=reason,
                before=before,
                after=after,
                channel=channel,
                extra=extra or {},
            )
        )

    async def _existing(self, username: str) -> tuple[User, str]:
        found = await self.store.get_user(check_username(username))
        if found is None:
            raise NotFound(f"no user {username!r}", code="USER_UNKNOWN", field="username")
        return found

    async def add(
        self,
        username: str,
        role: str | Role,
        *,
        password: str | None = None,
        by: Actor | None = None,
    ) -> tuple[User, str | None]:
        """Add an enabled user; returns the user and the generated password (None when one was
        given), shown once."""
        self._may_manage(by)
        name, which = check_username(username), check_role(role)
        plain = new_password() if password is None else check_password(password)
        now = self.clock.now()
        user = User(name, which, True, now, now, now)
        await self.store.add_user(user, await self.passwords.hash(plain))
        await self._record(
            by, Action.USER_ADDED, name, after={"role": which.value, "enabled": True}
        )
        return user, (plain if password is None else None)

    async def list(self, by: Actor | None = None) -> list[User]:
        """Every user, by name."""
        self._may_manage(by)
        return await self.store.list_users()

    async def get(self, username: str, by: Actor | None = None) -> User:
        """One user; ``USER_UNKNOWN`` when there is none."""
        self._may_manage(by)
        return (await self._existing(username))[0]

    async def set_enabled(
        self, username: str, enabled: bool, *, by: Actor | None = None, reason: str | None = None
    ) -> User:
        """Enable or disable a user (a disabled one can neither sign in nor use a token).

        The last enabled admin cannot be disabled (``USER_LAST_ADMIN``): nobody could manage
        users any more except from the node's machine.
        """
        self._may_manage(by)
        current, _ = await self._existing(username)
        if not enabled and current.enabled and current.role is Role.ADMIN:
            admins = [
                u for u in await self.store.list_users() if u.enabled and u.role is Role.ADMIN
            ]
            if len(admins) <= 1:
                raise NotAllowed(
                    f"{current.username} is the last enabled admin",
                    code="USER_LAST_ADMIN",
                    field="username",
                )
        user = await self.store.update_user(current.username, enabled=enabled, now=self.clock.now())
        if current.enabled != enabled:
            await self._record(
                by,
                Action.USER_ENABLED if enabled else Action.USER_DISABLED,
                user.username,
                before={"enabled": current.enabled},
                after={"enabled": enabled},
                reason=reason,
            )
        return user

    async def set_password(
        self, username: str, password: str | None = None, *, by: Actor | None = None
    ) -> tuple[User, str | None]:
        """Set a new password (generated when None, then returned once); clears a lock-out.

        A person may change their own password without ``MANAGE_USERS``.
        """
        current, _ = await self._existing(username)
        if by is None or by.username != current.username:
            self._may_manage(by)
        plain = new_password() if password is None else check_password(password)
        user = await self.store.update_user(
            current.username, password_hash=await self.passwords.hash(plain), now=self.clock.now()
        )
        await self.store.clear_failures(current.username)
        await self._record(by, Action.USER_PASSWORD_CHANGED, user.username)
        return user, (plain if password is None else None)

    async def _failed(
        self, username: str, error: AuthError, channel: Channel, *, count: bool
    ) -> AuthError:
        """Audit a failed sign-in (and count it towards the lock-out when ``count``); returns
        ``error``, for the caller to raise."""
        now = self.clock.now()
        name = username[:64] or "-"
        throttle = None
        if count:
            throttle = await self.store.record_failure(name, now, self.config.after_failure)
        await self.audit.append(
            AuditRecord(
                actor=name,
                action=Action.SIGN_IN_FAILED,
                target=f"user:{name}",
                reason=error.code,
                channel=channel,
                extra={"failures": throttle.failures} if throttle else {},
            )
        )
        # The failure that reached the limit locked the name: say so once, in the log.
        if (
            throttle is not None
            and throttle.locked_until is not None
            and throttle.locked(now)
            and throttle.failures == self.config.max_failures
        ):
            until = throttle.locked_until.astimezone(VN_TZ).isoformat(timespec="minutes")
            await self.audit.append(
                AuditRecord(
                    actor="node",
                    action=Action.USER_LOCKED,
                    target=f"user:{name}",
                    reason=f"{throttle.failures} failed sign-ins",
                    after={"locked_until": until},
                    channel=channel,
                )
            )
        return error

    async def authenticate(self, username: str, password: str, channel: Channel) -> Actor:
        """The signed-in person, or :class:`AuthError`: ``AUTH_PASSWORD`` (unknown name or wrong
        password, alike), ``AUTH_LOCKED`` (too many failures: wait), ``AUTH_USER_DISABLED``.
        Every outcome is audited; failures count towards the lock-out."""
        name = username.strip().lower()
        now = self.clock.now()
        throttle = await self.store.throttle(name[:64]) if name else Throttle()
        if throttle.locked(now) and throttle.locked_until is not None:
            until = throttle.locked_until.astimezone(VN_TZ).isoformat(timespec="minutes")
            locked = AuthError(
                f"too many failed sign-ins: try again after {until}", code="AUTH_LOCKED"
            )
            raise await self._failed(name, locked, channel, count=False)
        found = await self.store.get_user(name) if USERNAME.match(name) else None
        # A password longer than any stored one is wrong; it is still checked (against the
        # dummy hash) so that it costs the time a real check does.
        fits = len(password) <= MAX_PASSWORD
        stored = found[1] if found is not None and fits else None
        ok = await self.passwords.check(stored, password if fits else "")
        if not ok or found is None:
            wrong = AuthError("wrong username or password", code="AUTH_PASSWORD", field="password")
            raise await self._failed(name, wrong, channel, count=True)
        user, stored_hash = found
        if not user.enabled:
            disabled = AuthError(
                f"user {name} is disabled", code="AUTH_USER_DISABLED", field="username"
            )
            raise await self._failed(name, disabled, channel, count=False)
        if throttle.failures:
            await self.store.clear_failures(name)
        if self.passwords.needs_rehash(stored_hash):
            await self.store.update_user(
                name, password_hash=await self.passwords.hash(password), now=now
            )
        await self.audit.append(
            AuditRecord(actor=name, action=Action.SIGN_IN, target=f"user:{name}", channel=channel)
        )
        return Actor(user.username, user.role, channel)

    async def create_token(self, username: str, *, by: Actor | None = None) -> str:
        """A new personal API token for ``username`` (shown once; only its hash is kept). A
        person may make their own; others' need ``MANAGE_USERS``."""
        user, _ = await self._existing(username)
        if by is None or by.username != user.username:
            self._may_manage(by)
        if not user.enabled:
            raise AuthError(
                f"user {user.username} is disabled", code="AUTH_USER_DISABLED", field="username"
            )
        token = new_personal_token()
        digest = token_hash(token)
        await self.store.add_token(digest, user.username, self.clock.now())
        await self._record(by, Action.TOKEN_CREATED, user.username, extra={"token_id": digest[:12]})
        return token

    async def actor_for_token(self, token: str, channel: Channel = Channel.TOKEN) -> Actor:
        """The person a personal token belongs to, with their current role; ``AUTH_TOKEN`` for
        a token nobody holds, ``AUTH_USER_DISABLED`` once its user is disabled."""
        user = (
            await self.store.user_by_token(token_hash(token)) if is_personal_token(token) else None
        )
        if user is None:
            raise AuthError("unknown token", code="AUTH_TOKEN", field="Authorization")
        if not user.enabled:
            raise AuthError(
                f"user {user.username} is disabled",
                code="AUTH_USER_DISABLED",
                field="Authorization",
            )
        return Actor(user.username, user.role, channel)
