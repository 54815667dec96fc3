"""Managing connected systems: register, grant, disable, rotate secrets, issue tokens.

Used by the ``python -m gateway systems ...`` commands (and later the operators' API). A system id
is what the SDK sends as ``systemid`` (usually the agency code of the system's owner, e.g.
``000.00.00.H14``); grants are agency codes or level-1 subtrees (``H14``) the system may act for.
Secrets are generated when not given and shown once; they are stored encrypted, tokens hashed.

Every change is appended to the audit log (``system_added``, ``system_disabled``, ...; never a
secret or token), naming who made it: ``by``, a signed-in person (who needs ``MANAGE_SYSTEMS``),
or ``cli`` when the command line runs it without ``--as``.

A system's grants are what it may act for *and* what it receives: the routing table gives a
copy to the system with the most specific grant covering the recipient
(:mod:`gateway.core.routing`). The ``admin`` flag is no grant: it allows the registry calls only,
which need no agency grant, so an admin system may have none (and then receives nothing).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gateway.core.actors import (
    Action,
    Actor,
    AuditRecord,
    AuditSink,
    Capability,
    NullAudit,
    require,
)
from gateway.core.clock import Clock
from gateway.core.errors import BadRequest, NotFound
from gateway.core.model import System
from gateway.core.people import actor_name
from gateway.core.ports import SystemStore
from gateway.core.secrets import SecretBox, new_secret, new_token, token_hash
from identifiers import AgencyCode, Registry

SYSTEM_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,99}$")
#: Shortest secret accepted from an operator.
MIN_SECRET = 8


@dataclass(frozen=True)
class Registered:
    """A system just registered, with its secret and token (shown once, never stored plain)."""

    system: System
    secret: str
    token: str


class SystemAdmin:
    """Operator actions on connected systems."""

    def __init__(
        self,
        store: SystemStore,
        secrets: SecretBox,
        registry: Registry,
        clock: Clock,
        audit: AuditSink | None = None,
    ) -> None:
        self.store = store
        self.secrets = secrets
        self.registry = registry
        self.clock = clock
        self.audit: AuditSink = audit or NullAudit()

    @staticmethod
    def _may(by: Actor | None) -> None:
        if by is not None:
            require(by, Capability.MANAGE_SYSTEMS, "system_id")

    async def _record(
        self,
        by: Actor | None,
        action: Action,
        system_id: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        if before is not None and before == after:
            return  # nothing changed (e.g. `systems grant --admin` of an admin system)
        actor, channel = actor_name(by)
        await self.audit.append(
            AuditRecord(
                actor=actor,
                action=action,
                target=f"system:{system_id}",
                reason=reason,
                before=before,
                after=after,
                channel=channel,
            )
        )

    async def _current(self, system_id: str) -> System:
        current = await self.store.get_system(system_id)
        if current is None:
            raise NotFound(f"no system {system_id!r}", code="SYSTEM_UNKNOWN", field="system_id")
        return current

    def _check_grants(self, codes: Sequence[str], *, required: bool = True) -> list[str]:
        out: list[str] = []
        for raw in codes:
            code = raw.strip()
            parsed = AgencyCode.parse(code)
            if not code or (not parsed.valid and self.registry.get(code) is None):
                raise BadRequest(
                    f"grant {raw!r} is neither a valid agency code nor a registered agency",
                    code="SYSTEM_GRANT_INVALID",
                    field="agency",
                )
            out.append(code)
        if not out and required:
            raise BadRequest(
                "at least one agency grant is required", code="SYSTEM_GRANT_INVALID", field="agency"
            )
        return out

    @staticmethod
    def _check_secret(secret: str | None) -> str:
        if secret is None:
            return new_secret()
        if len(secret) < MIN_SECRET or not secret.isascii() or not secret.isprintable():
            raise BadRequest(
                f"a secret must be at least {MIN_SECRET} printable ASCII characters",
                code="SYSTEM_SECRET_INVALID",
                field="secret",
            )
        return secret

    async def add(
        self,
        system_id: str,
        grants: Sequence[str],
        *,
        secret: str | None = None,
        admin: bool = False,
        description: str = "",
        node_link: bool = False,
        by: Actor | None = None,
    ) -> Registered:
        """Register a system; the secret is generated when not given. An admin system may have
        no grant (it then only calls the registry calls); any other needs one."""
        self._may(by)
        if not SYSTEM_ID.match(system_id):
            raise BadRequest(
                f"system id {system_id!r}: letters, digits, '.', '_' and '-' only (max 100)",
                code="SYSTEM_ID_INVALID",
                field="system_id",
            )
        codes = self._check_grants(grants, required=not admin)
        plain = self._check_secret(secret)
        token = new_token()
        system = System(
            system_id, tuple(codes), True, admin, self.clock.now(), description, node_link
        )
        await self.store.add_system(system, self.secrets.seal(plain), token_hash(token))
        await self._record(by, Action.SYSTEM_ADDED, system_id, after=_state(system))
        return Registered(system, plain, token)

    async def list(self) -> list[System]:
        """Every system."""
        return await self.store.list_systems()

    async def set_enabled(
        self, system_id: str, enabled: bool, *, by: Actor | None = None, reason: str | None = None
    ) -> System:
        """Enable or disable a system (a disabled one fails authentication)."""
        self._may(by)
        before = await self._current(system_id)
        system = await self.store.update_system(system_id, enabled=enabled, now=self.clock.now())
        await self._record(
            by,
            Action.SYSTEM_ENABLED if enabled else Action.SYSTEM_DISABLED,
            system_id,
            before={"enabled": before.enabled},
            after={"enabled": system.enabled},
            reason=reason,
        )
        return system

    async def set_admin(self, system_id: str, admin: bool, *, by: Actor | None = None) -> System:
        """Give or take the registry-management grant."""
        self._may(by)
        before = await self._current(system_id)
        system = await self.store.update_system(system_id, admin=admin, now=self.clock.now())
        await self._record(
            by,
            Action.SYSTEM_GRANTED,
            system_id,
            before={"admin": before.admin},
            after={"admin": system.admin},
        )
        return system

    async def set_node_link(
        self, system_id: str, node_link: bool, *, by: Actor | None = None
    ) -> System:
        """Mark a system as another axis node (or not): the node-to-node extensions."""
        self._may(by)
        before = await self._current(system_id)
        system = await self.store.update_system(
            system_id, node_link=node_link, now=self.clock.now()
        )
        await self._record(
            by,
            Action.SYSTEM_GRANTED,
            system_id,
            before={"node_link": before.node_link},
            after={"node_link": system.node_link},
        )
        return system

    async def rotate_secret(
        self, system_id: str, secret: str | None = None, *, by: Actor | None = None
    ) -> str:
        """Replace the secret; returns the new one."""
        self._may(by)
        plain = self._check_secret(secret)
        await self.store.update_system(
            system_id, secret=self.secrets.seal(plain), now=self.clock.now()
        )
        await self._record(
            by, Action.SYSTEM_SECRET_ROTATED, system_id, after={"generated": secret is None}
        )
        return plain

    async def rotate_token(self, system_id: str, *, by: Actor | None = None) -> str:
        """Issue a new native-API token (the old one stops working)."""
        self._may(by)
        token = new_token()
        await self.store.update_system(
            system_id, token_hash=token_hash(token), now=self.clock.now()
        )
        await self._record(by, Action.SYSTEM_TOKEN_ROTATED, system_id)
        return token

    async def grant(
        self,
        system_id: str,
        codes: Sequence[str],
        *,
        revoke: bool = False,
        replace: bool = False,
        by: Actor | None = None,
    ) -> System:
        """Add (or with ``revoke`` remove, or with ``replace`` set) agency grants. No codes
        changes nothing (``systems grant ID --admin`` alone); an admin system may be left with
        none."""
        self._may(by)
        current = await self._current(system_id)
        checked = self._check_grants(codes, required=False)
        if not checked:
            return current
        if replace:
            grants = checked
        elif revoke:
            grants = [g for g in current.grants if g not in set(checked)]
        else:
            grants = [*current.grants, *checked]
        system = await self.store.update_system(system_id, grants=grants, now=self.clock.now())
        await self._record(
            by,
            Action.SYSTEM_GRANTED,
            system_id,
            before={"grants": sorted(current.grants)},
            after={"grants": sorted(system.grants)},
        )
        return system


def _state(system: System) -> dict[str, Any]:
    """What the audit log records of a system (never its secret or token)."""
    return {
        "grants": sorted(system.grants),
        "enabled": system.enabled,
        "admin": system.admin,
        "node_link": system.node_link,
        "description": system.description,
    }
