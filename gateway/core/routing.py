"""Which connected system serves an agency code, and which codes a system may act for.

A system is granted agency codes or subtrees (``H14`` owns ``H14.*`` and ``*.H14``, and a registered
agency owns its registered children: :meth:`identifiers.Registry.owns`). When several systems own a
code, the most specific grant wins: the exact code first, then the deepest grant; ties go to the
lowest system id so that routing is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.core.ports import SystemStore
from identifiers import AgencyCode, Registry


def code_key(code: str) -> str:
    """The normalised key of ``code`` (both code forms of one agency compare equal)."""
    parsed = AgencyCode.parse(code)
    return parsed.key or code.strip()


def grant_covers(registry: Registry, grant: str, code: str) -> bool:
    """True when ``grant`` (a code or subtree) covers ``code``."""
    if code_key(grant) == code_key(code):
        return True
    return registry.owns(grant, code)


def granted(registry: Registry, grants: Iterable[str], code: str) -> bool:
    """True when any of ``grants`` covers ``code``."""
    return any(grant_covers(registry, grant, code) for grant in grants)


@dataclass(frozen=True)
class _Grant:
    system_id: str
    code: str
    key: str
    depth: int


class RoutingTable:
    """The grants of every enabled system, queried for the owner of a code."""

    def __init__(self, registry: Registry, grants: Sequence[tuple[str, str]]) -> None:
        self.registry = registry
        self._grants = [
            _Grant(system_id, code, code_key(code), AgencyCode.parse(code).level or 0)
            for system_id, code in grants
        ]
        # Answers per code, valid while the registry is unchanged (its subtrees decide owners).
        self._owners: dict[str, str | None] = {}
        self._revision = registry.revision

    def owner(self, code: str) -> str | None:
        """The system that serves ``code``, or None when no enabled system does."""
        if self._revision != self.registry.revision:
            self._owners.clear()
            self._revision = self.registry.revision
        try:
            return self._owners[code]
        except KeyError:
            pass
        found = self._find_owner(code)
        if len(self._owners) >= 100_000:
            self._owners.clear()
        self._owners[code] = found
        return found

    def _find_owner(self, code: str) -> str | None:
        key = code_key(code)
        best: tuple[int, int, str] | None = None
        for grant in self._grants:
            if grant.key == key:
                rank = (2, grant.depth)
            elif self.registry.owns(grant.code, code):
                rank = (1, grant.depth)
            else:
                continue
            candidate = (rank[0], rank[1], grant.system_id)
            if (
                best is None
                or candidate[:2] > best[:2]
                or (candidate[:2] == best[:2] and candidate[2] < best[2])
            ):
                best = candidate
        return None if best is None else best[2]


class Routes:
    """The routing table of the current grants, rebuilt only when the grants change.

    The store serves the grants from a short cache (its own writes clear it), so a send costs no
    query and no rebuild in the steady state; the ownership of a code is still asked of the live
    registry, so agencies registered since are routed at once.
    """

    def __init__(self, registry: Registry, store: SystemStore) -> None:
        self.registry = registry
        self.store = store
        self._grants: tuple[tuple[str, str], ...] | None = None
        self._table: RoutingTable | None = None

    async def table(self) -> RoutingTable:
        """The table for the grants as they are now."""
        grants = await self.store.grants()
        if self._table is None or (grants is not self._grants and grants != self._grants):
            self._table = RoutingTable(self.registry, grants)
            self._grants = grants
        return self._table
