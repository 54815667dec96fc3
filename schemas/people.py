"""Bodies of the admin API for people and the audit log (``/api/v1/admin``, docs/console.md).

Every instant is ISO 8601 in +07:00 (:data:`schemas.timestamps.VnDateTime`). Passwords and
tokens appear only in the answer that creates them (``password`` when generated, ``token``), once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.timestamps import VnDateTime


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(StrEnum):
    """A person's role."""

    OPERATOR = "operator"
    AUDITOR = "auditor"
    ADMIN = "admin"


class User(_Body):
    """A person who operates the node (never their password)."""

    username: str = Field(examples=["lan.nguyen"])
    role: Role
    enabled: bool
    created_at: VnDateTime
    updated_at: VnDateTime
    password_changed_at: VnDateTime | None = None


class UserCreate(_Body):
    """A person to add; without ``password`` one is generated and answered once."""

    username: str = Field(min_length=2, max_length=64, examples=["lan.nguyen"])
    role: Role
    password: str | None = Field(default=None, min_length=1, max_length=256)


class UserWithPassword(User):
    """A person just added or given a new password, with the generated password (once)."""

    password: str | None = Field(
        default=None, description="The generated password, shown once (null when one was given)."
    )


class PasswordChange(_Body):
    """A new password; without one it is generated and answered once."""

    password: str | None = Field(default=None, min_length=1, max_length=256)


class EnableChange(_Body):
    """Why a person is disabled or enabled (kept in the audit log)."""

    reason: str | None = Field(default=None, max_length=500)


class TokenRequest(_Body):
    """Sign in for a token with a password (scripts without a token yet)."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenIssued(_Body):
    """A personal API token, shown once: send it as ``Authorization: Bearer <token>``."""

    username: str
    token: str = Field(examples=["gwp_..."])


class AuditEntry(_Body):
    """One entry of the hash-chained audit log."""

    seq: int
    at: VnDateTime
    actor: str = Field(description="A username, `cli`, `node`, or `system:<id>`.")
    action: str = Field(examples=["system_disabled"])
    target: str = Field(examples=["system:000.00.00.H14"])
    reason: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    channel: str | None = Field(default=None, description="console, token or cli.")
    extra: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str = Field(description="SHA-256 (hex) of the previous entry.")
    hash: str = Field(description="SHA-256 (hex) of prev_hash + the entry's canonical JSON.")


class AuditPage(_Body):
    """A page of entries, newest first; ask for the next with ``before=next_before``."""

    entries: list[AuditEntry]
    next_before: int | None = Field(
        default=None, description="The `before` of the next page; null on the last page."
    )


class AuditVerdict(_Body):
    """What walking the whole chain found."""

    ok: bool
    entries: int = Field(description="Entries that verified (all of them when ok).")
    broken_seq: int | None = Field(default=None, description="The first broken entry.")
    problem: str | None = None
