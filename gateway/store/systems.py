"""Connected systems in the store: credentials, tokens, grants, with a short read cache.

Every VXP call authenticates, and every send routes, so the systems' rows are the most read data
of the node (two transactions per call were ~30 % of its CPU, docs/benchmarks.md). They are read in
one statement and cached for ``cache_seconds`` (5 s by default); this store's own writes
(:meth:`SqlSystems.add_system`, :meth:`SqlSystems.update_system`) clear the cache at once, while a
change made by another process (the ``systems`` CLI against a running node) shows within that time.
``cache_seconds=0`` turns the cache off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.core.errors import NotAllowed, NotFound
from gateway.core.model import System
from gateway.store.rows import system as system_of
from gateway.store.session import SessionScope, reconnecting
from gateway.store.tables import GrantRow, SystemRow

#: Seconds the systems' credentials and grants are served from memory.
CACHE_SECONDS = 5.0


class SqlSystems(SessionScope):
    """The systems part of the store port."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        cache_seconds: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(engine)
        self.cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}

    def _cached(self, key: tuple[str, str]) -> tuple[bool, Any]:
        hit = self._cache.get(key)
        if hit is not None and hit[0] > self._monotonic():
            return True, hit[1]
        return False, None

    def _keep(self, key: tuple[str, str], value: Any) -> None:
        if self.cache_seconds > 0:
            if len(self._cache) > 10_000:  # many systems, or token guessing: start again
                self._cache.clear()
            self._cache[key] = (self._monotonic() + self.cache_seconds, value)

    def forget_systems(self) -> None:
        """Drop the cached credentials and grants (after a change made elsewhere)."""
        self._cache.clear()

    @staticmethod
    async def _grants_of(session: AsyncSession, system_id: str) -> list[str]:
        result = await session.scalars(select(GrantRow.code).where(GrantRow.system_id == system_id))
        return list(result)

    async def _row_with_grants(self, condition: Any) -> tuple[System, bytes] | None:
        async with self._one() as s:
            rows = (
                await s.execute(
                    select(SystemRow, GrantRow.code)
                    .outerjoin(GrantRow, GrantRow.system_id == SystemRow.system_id)
                    .where(condition)
                )
            ).all()
        if not rows:
            return None
        row: SystemRow = rows[0][0]
        return system_of(row, [code for _, code in rows if code is not None]), row.secret

    @reconnecting
    async def credentials(self, system_id: str) -> tuple[System, bytes] | None:
        """The system and its encrypted secret, or None (cached)."""
        key = ("id", system_id)
        hit, value = self._cached(key)
        if hit:
            return value  # type: ignore[no-any-return]
        found = await self._row_with_grants(SystemRow.system_id == system_id)
        self._keep(key, found)
        return found

    @reconnecting
    async def get_system(self, system_id: str) -> System | None:
        """The system, or None (never cached: operators' reads)."""
        found = await self._row_with_grants(SystemRow.system_id == system_id)
        return None if found is None else found[0]

    @reconnecting
    async def system_by_token(self, token_hash: str) -> System | None:
        """The system holding the token, or None (cached)."""
        key = ("token", token_hash)
        hit, value = self._cached(key)
        if hit:
            return value  # type: ignore[no-any-return]
        found = await self._row_with_grants(SystemRow.token_hash == token_hash)
        result = None if found is None else found[0]
        self._keep(key, result)
        return result

    @reconnecting
    async def list_systems(self) -> list[System]:
        """Every system, by id."""
        async with self._one() as s:
            rows = list(await s.scalars(select(SystemRow).order_by(SystemRow.system_id)))
            grants: dict[str, list[str]] = {}
            for system_id, code in await s.execute(select(GrantRow.system_id, GrantRow.code)):
                grants.setdefault(system_id, []).append(code)
            return [system_of(row, grants.get(row.system_id, [])) for row in rows]

    async def add_system(self, system: System, secret: bytes, token_hash: str | None) -> None:
        """Register a system with its grants."""
        now = system.created_at
        if now is None:
            raise ValueError("system.created_at is required")
        try:
            async with self._tx() as s:
                if await s.get(SystemRow, system.system_id) is not None:
                    raise NotAllowed(
                        f"system {system.system_id!r} already exists",
                        code="SYSTEM_EXISTS",
                        field="system_id",
                    )
                s.add(
                    SystemRow(
                        system_id=system.system_id,
                        secret=secret,
                        token_hash=token_hash,
                        enabled=system.enabled,
                        admin=system.admin,
                        node_link=system.node_link,
                        description=system.description,
                        created_at=now,
                        updated_at=now,
                    )
                )
                await s.flush()
                s.add_all(GrantRow(system_id=system.system_id, code=c) for c in set(system.grants))
        except IntegrityError as exc:
            raise NotAllowed(
                f"system {system.system_id!r} already exists", code="SYSTEM_EXISTS"
            ) from exc
        finally:
            self.forget_systems()

    async def update_system(
        self,
        system_id: str,
        *,
        enabled: bool | None = None,
        admin: bool | None = None,
        node_link: bool | None = None,
        grants: Sequence[str] | None = None,
        secret: bytes | None = None,
        token_hash: str | None = None,
        now: datetime | None = None,
    ) -> System:
        """Change what is given."""
        try:
            async with self._tx() as s:
                row = await s.get(SystemRow, system_id, with_for_update=self._postgres)
                if row is None:
                    raise NotFound(
                        f"no system {system_id!r}", code="SYSTEM_UNKNOWN", field="system_id"
                    )
                if enabled is not None:
                    row.enabled = enabled
                if admin is not None:
                    row.admin = admin
                if node_link is not None:
                    row.node_link = node_link
                if secret is not None:
                    row.secret = secret
                if token_hash is not None:
                    row.token_hash = token_hash
                if now is not None:
                    row.updated_at = now
                if grants is not None:
                    await s.execute(delete(GrantRow).where(GrantRow.system_id == system_id))
                    s.add_all(GrantRow(system_id=system_id, code=c) for c in set(grants))
                await s.flush()
                return system_of(row, await self._grants_of(s, system_id))
        finally:
            self.forget_systems()

    @reconnecting
    async def grants(self) -> tuple[tuple[str, str], ...]:
        """(system id, code) of enabled systems, ordered (cached)."""
        key = ("grants", "")
        hit, value = self._cached(key)
        if hit:
            return value  # type: ignore[no-any-return]
        async with self._one() as s:
            result = await s.execute(
                select(GrantRow.system_id, GrantRow.code)
                .join(SystemRow, SystemRow.system_id == GrantRow.system_id)
                .where(SystemRow.enabled.is_(True))
                .order_by(GrantRow.system_id, GrantRow.code)
            )
            found = tuple((system_id, code) for system_id, code in result)
        self._keep(key, found)
        return found
