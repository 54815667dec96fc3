"""Which connected system serves an agency code, and which codes a system may act for.

A system is granted agency codes or subtrees (``H14`` owns ``H14.*`` and ``*.H14``, and a registered
agency owns its registered children: :meth:`identifiers.Registry.owns`). When several systems own a
code, the most specific grant wins: the exact code first, then the deepest grant; ties go to the
lowest system id so that routing is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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

    def owner(self, code: str) -> str | None:
        """The system that serves ``code``, or None when no enabled system does."""
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
