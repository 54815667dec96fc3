"""Managing connected systems: register, grant, disable, rotate secrets, issue tokens.

Used by the ``python -m gateway systems ...`` commands (and later the operators' API). A system id
is what the SDK sends as ``systemid`` (usually the agency code of the system's owner, e.g.
``000.00.00.H14``); grants are agency codes or level-1 subtrees (``H14``) the system may act for.
Secrets are generated when not given and shown once; they are stored encrypted, tokens hashed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.core.clock import Clock
from gateway.core.errors import BadRequest, NotFound
from gateway.core.model import System
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
        self, store: SystemStore, secrets: SecretBox, registry: Registry, clock: Clock
    ) -> None:
        self.store = store
        self.secrets = secrets
        self.registry = registry
        self.clock = clock

    def _check_grants(self, codes: Sequence[str]) -> list[str]:
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
        if not out:
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
    ) -> Registered:
        """Register a system; the secret is generated when not given."""
        if not SYSTEM_ID.match(system_id):
            raise BadRequest(
                f"system id {system_id!r}: letters, digits, '.', '_' and '-' only (max 100)",
                code="SYSTEM_ID_INVALID",
                field="system_id",
            )
        codes = self._check_grants(grants)
        plain = self._check_secret(secret)
        token = new_token()
        system = System(
            system_id, tuple(codes), True, admin, self.clock.now(), description, node_link
        )
        await self.store.add_system(system, self.secrets.seal(plain), token_hash(token))
        return Registered(system, plain, token)

    async def list(self) -> list[System]:
        """Every system."""
        return await self.store.list_systems()

    async def set_enabled(self, system_id: str, enabled: bool) -> System:
        """Enable or disable a system (a disabled one fails authentication)."""
        return await self.store.update_system(system_id, enabled=enabled, now=self.clock.now())

    async def set_admin(self, system_id: str, admin: bool) -> System:
        """Give or take the registry-management grant."""
        return await self.store.update_system(system_id, admin=admin, now=self.clock.now())

    async def set_node_link(self, system_id: str, node_link: bool) -> System:
        """Mark a system as another axis node (or not): the node-to-node extensions."""
        return await self.store.update_system(system_id, node_link=node_link, now=self.clock.now())

    async def rotate_secret(self, system_id: str, secret: str | None = None) -> str:
        """Replace the secret; returns the new one."""
        plain = self._check_secret(secret)
        await self.store.update_system(
            system_id, secret=self.secrets.seal(plain), now=self.clock.now()
        )
        return plain

    async def rotate_token(self, system_id: str) -> str:
        """Issue a new native-API token (the old one stops working)."""
        token = new_token()
        await self.store.update_system(
            system_id, token_hash=token_hash(token), now=self.clock.now()
        )
        return token

    async def grant(
        self, system_id: str, codes: Sequence[str], *, revoke: bool = False, replace: bool = False
    ) -> System:
        """Add (or with ``revoke`` remove, or with ``replace`` set) agency grants."""
        current = await self.store.get_system(system_id)
        if current is None:
            raise NotFound(f"no system {system_id!r}", code="SYSTEM_UNKNOWN", field="system_id")
        checked = self._check_grants(codes)
        if replace:
            grants = checked
        elif revoke:
            grants = [g for g in current.grants if g not in set(checked)]
        else:
            grants = [*current.grants, *checked]
        return await self.store.update_system(system_id, grants=grants, now=self.clock.now())
