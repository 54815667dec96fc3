"""People who act on the node (operators, auditors, admins), what each role may do, and the
audit records their actions leave.

People are not document systems: a system authenticates with its HMAC secret or bearer token and
exchanges documents; a person signs in (console session, personal API token, or the CLI with a
password) and operates the node. A system's ``admin`` grant is only the VXP registry calls
(``registerAgency``/``deleteAgency``); it never makes the system an operator.

This module is the contract between the people room (users, sign-in, tokens), the audit log, the
replay use cases, the admin API and the console: all of them speak :class:`Actor`,
:class:`Capability` and :class:`AuditRecord`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from gateway.core.errors import NotAllowed

# ruff: noqa: S105 (the enum values below name channels and actions, they are no secrets)


class Role(StrEnum):
    """A person's role (stored and shown as the value)."""

    OPERATOR = "operator"  # sees and replays deliveries, manages systems, registry, calendar
    AUDITOR = "auditor"  # read-only: deliveries, statistics, audit log
    ADMIN = "admin"  # users and settings, plus everything an operator does


class Capability(StrEnum):
    """One thing a role may do; routes and commands check capabilities, never role names."""

    READ_DELIVERIES = "read_deliveries"
    REPLAY = "replay"  # replay copies and request bulk replays
    APPROVE_REPLAY = "approve_replay"  # approve or reject another person's replay request
    MANAGE_SYSTEMS = "manage_systems"
    MANAGE_REGISTRY = "manage_registry"
    MANAGE_CALENDAR = "manage_calendar"
    READ_STATS = "read_stats"
    READ_AUDIT = "read_audit"
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"


_READ = frozenset({Capability.READ_DELIVERIES, Capability.READ_STATS, Capability.READ_AUDIT})
_OPERATE = _READ | {
    Capability.REPLAY,
    Capability.APPROVE_REPLAY,
    Capability.MANAGE_SYSTEMS,
    Capability.MANAGE_REGISTRY,
    Capability.MANAGE_CALENDAR,
}

#: What each role may do (the role matrix the admin API, the console and the CLI enforce).
ROLE_CAPABILITIES: Mapping[Role, frozenset[Capability]] = {
    Role.AUDITOR: _READ,
    Role.OPERATOR: frozenset(_OPERATE),
    Role.ADMIN: frozenset(_OPERATE | {Capability.MANAGE_USERS, Capability.MANAGE_SETTINGS}),
}


class Channel(StrEnum):
    """How the person reached the node (recorded in the audit log)."""

    CONSOLE = "console"  # a signed session cookie
    TOKEN = "token"  # a personal API token (scripts)
    CLI = "cli"  # a command on the node's machine, password checked


@dataclass(frozen=True)
class Actor:
    """A signed-in person: who, in which role, through which channel."""

    username: str
    role: Role
    channel: Channel = Channel.CLI

    def can(self, capability: Capability) -> bool:
        """Whether this person's role includes ``capability``."""
        return capability in ROLE_CAPABILITIES[self.role]


def require(actor: Actor | None, capability: Capability, field: str | None = None) -> Actor:
    """The actor if their role includes ``capability``; else ``AUTH_ROLE`` (403) naming
    ``field``, or ``AUTH_REQUIRED`` (401) when nobody signed in."""
    if actor is None:
        raise NotAllowed("sign in first", code="AUTH_REQUIRED", field=field)
    if not actor.can(capability):
        raise NotAllowed(
            f"user {actor.username} ({actor.role.value}) may not {capability.value}",
            code="AUTH_ROLE",
            field=field,
        )
    return actor


class Action(StrEnum):
    """What an audit entry records (stored as the value)."""

    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    USER_ADDED = "user_added"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    USER_PASSWORD_CHANGED = "user_password_changed"
    USER_LOCKED = "user_locked"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    SYSTEM_ADDED = "system_added"
    SYSTEM_DISABLED = "system_disabled"
    SYSTEM_ENABLED = "system_enabled"
    SYSTEM_SECRET_ROTATED = "system_secret_rotated"
    SYSTEM_TOKEN_ROTATED = "system_token_rotated"
    SYSTEM_GRANTED = "system_granted"
    REGISTRY_CHANGED = "registry_changed"
    CALENDAR_OVERRIDE = "calendar_override"
    REPLAY_RUN = "replay_run"  # one copy (or a small set) replayed at once
    REPLAY_REQUESTED = "replay_requested"
    REPLAY_APPROVED = "replay_approved"
    REPLAY_REJECTED = "replay_rejected"
    REPLAY_COMPLETED = "replay_completed"  # an approved request's background run finished


@dataclass(frozen=True)
class AuditRecord:
    """One thing a person (or the node itself, ``actor="node"``) did, before it is chained.

    ``target`` names what was acted on (``user:alice``, ``system:sys-a``, ``delivery:<id>``,
    ``replay:<id>``, ``agency:000.00.01.H14``, ``calendar:2026-09-01``); ``before``/``after`` are
    JSON-ready mappings of what changed (never secrets or passwords).
    """

    actor: str
    action: Action
    target: str
    reason: str | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    channel: Channel | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class AuditSink(Protocol):
    """Where audit records go: the hash-chained, append-only audit log."""

    async def append(self, record: AuditRecord) -> None:
        """Append ``record`` to the chain (its time is the node's clock)."""
        ...


class NullAudit:
    """An audit sink that keeps nothing (tests of use cases that do not look at the log)."""

    async def append(self, record: AuditRecord) -> None:
        """Drop ``record``."""
        del record
