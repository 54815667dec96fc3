"""Import rules of shared/design.md §2, enforced on the source tree."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}

# Which third-party (or project) top-level modules each room may import, beside the stdlib.
ALLOWED: dict[str, frozenset[str]] = {
    "edxml": frozenset({"edxml", "lxml", "signxml", "cryptography", "pybase64"}),
    "identifiers": frozenset({"identifiers"}),
    "business_calendar": frozenset({"business_calendar", "holidays"}),
    "schemas": frozenset({"schemas", "pydantic"}),
    "connectors": frozenset({"connectors", "aio_pika", "aiormq", "httpx", "stamina", "edxml"}),
}
# gateway may import everything above; its core talks to ports only.
CORE_FORBIDDEN = frozenset(
    {"fastapi", "starlette", "aio_pika", "aiormq", "sqlalchemy", "alembic", "httpx", "asyncpg",
     "aiosqlite", "uvicorn", "prometheus_client"}
)  # fmt: skip


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def _files(room: str) -> list[Path]:
    return sorted((ROOT / room).rglob("*.py"))


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_leaf_rooms_import_only_what_design_allows(room: str) -> None:
    """Each leaf package imports only the stdlib and the libraries design.md grants it."""
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _files(room)
        for line, name in _imports(path)
        if name not in STDLIB and name not in ALLOWED[room]
    ]
    assert not bad, "\n".join(bad)


def test_gateway_core_talks_to_ports_only() -> None:
    """gateway/core imports no web framework, broker client, ORM or HTTP client."""
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _files("gateway/core")
        for line, name in _imports(path)
        if name in CORE_FORBIDDEN
    ]
    assert not bad, "\n".join(bad)


#: Whole-node entry points outside gateway/: they start a node, as the CLI does, or serve an app
#: with the node's server options (gateway.server: the floor app, the HTTP stack benchmark), or
#: run the node's app in process (the statistics benchmark's cost of the rollups).
NODE_ENTRY_POINTS = frozenset(
    {
        "bench/exchange_bench.py",
        "bench/served.py",
        "bench/floor.py",
        "bench/http_stack.py",
        "bench/stats_cost.py",
    }
)
#: Benchmarks of gateway's own code: they import it and start no node (the statistics benchmark
#: opens a store on its own PostgreSQL schema).
GATEWAY_BENCHES = frozenset({"bench/calendar_bench.py", "bench/stats_bench.py"})


def test_nothing_imports_gateway() -> None:
    """No library room imports gateway; only its own entry points and tests do."""
    bad = [
        f"{path.relative_to(ROOT)}:{line}"
        for room in (*ALLOWED, "bench", "scripts")
        for path in _files(room)
        if path.relative_to(ROOT).as_posix() not in NODE_ENTRY_POINTS | GATEWAY_BENCHES
        for line, name in _imports(path)
        if name == "gateway"
    ]
    assert not bad, "\n".join(bad)


def test_every_room_exists() -> None:
    """The five top-level packages of design.md exist and are importable packages."""
    for room in ("gateway", "schemas", "edxml", "connectors", "identifiers", "business_calendar"):
        assert (ROOT / room / "__init__.py").is_file(), room
