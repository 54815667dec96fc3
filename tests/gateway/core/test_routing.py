"""Routing: the most specific grant wins, answers are cached until the registry or grants change."""

from __future__ import annotations

from gateway.core.routing import Routes, RoutingTable
from identifiers import Agency, Registry


def _registry() -> Registry:
    return Registry([Agency(code="H37", name="UBND tỉnh Lạng Sơn"), Agency(code="Z05", name="Hub")])


def test_most_specific_grant_wins() -> None:
    """An exact grant beats a subtree grant; ties go to the lowest system id."""
    table = RoutingTable(_registry(), (("prov", "H37"), ("exact", "H37.05"), ("b", "H37.05")))
    assert table.owner("H37.05") == "b"
    assert table.owner("H37.06") == "prov"
    assert table.owner("H41.01") is None


def test_cached_owner_follows_registry_changes() -> None:
    """A code linked under a granted agency after a first lookup is routed at once."""
    registry = _registry()
    table = RoutingTable(registry, (("hub", "Z05"),))
    assert table.owner("0100107370") is None
    registry.add(Agency(code="0100107370", name="Tập đoàn", parent="Z05"))
    assert table.owner("0100107370") == "hub"


class _Grants:
    def __init__(self, grants: tuple[tuple[str, str], ...]) -> None:
        self.value = grants
        self.calls = 0

    async def grants(self) -> tuple[tuple[str, str], ...]:
        self.calls += 1
        return self.value


async def test_routes_rebuild_only_when_grants_change() -> None:
    """The table is reused while the store returns the same grants."""
    store = _Grants((("prov", "H37"),))
    routes = Routes(_registry(), store)  # type: ignore[arg-type]
    first = await routes.table()
    assert await routes.table() is first
    store.value = (("other", "H37"),)
    changed = await routes.table()
    assert changed is not first
    assert changed.owner("H37.01") == "other"
