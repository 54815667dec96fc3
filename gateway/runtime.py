"""The resources of a running node, opened together and closed in reverse order.

:func:`open_runtime` is what the app's lifespan (and, later, the worker command) enters: it opens
each resource on one :class:`contextlib.AsyncExitStack`, so whatever opened is closed in reverse
order even when a later one fails (design.md §3.3). Today the node holds only the agency registry;
the store (database engine) and the bus (RabbitMQ or in-process) open here in the exchange-engine
issue, after the registry and before the ``yield``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.directory import load_registry
from gateway.logging import get_logger
from gateway.settings import Settings
from identifiers import Registry

log = get_logger(__name__)


@dataclass(frozen=True)
class Runtime:
    """What the node opened at start-up; the API reads it from ``app.state.runtime``."""

    settings: Settings
    registry: Registry
    started_at: datetime


def _prepare(settings: Settings) -> Registry:
    """Blocking start-up work: create the data directory, read the registry file."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return load_registry(settings)


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Open the node's resources for the duration of the ``async with`` block.

    Raises what a resource raises on opening (e.g. :class:`identifiers.IdentifierError` for a bad
    registry file), after closing those already open.
    """
    log.info("node starting", settings=settings.public_view())
    if settings.secret_problem() is not None:
        log.warning("secret_key is a placeholder: acceptable in dev only", env=settings.env.value)
    async with AsyncExitStack() as stack:
        stack.callback(log.info, "node stopped")  # first in, so logged after everything closed
        # File I/O off the event loop: the loop may already serve other apps (tests, workers).
        registry = await asyncio.to_thread(_prepare, settings)
        source = str(settings.registry_file) if settings.registry_file else "bundled"
        log.info("agency registry loaded", agencies=len(registry), source=source)
        # Resources that need closing are entered here, in dependency order, e.g.
        # ``engine = await stack.enter_async_context(...)``: the stack closes them in reverse.
        yield Runtime(settings=settings, registry=registry, started_at=datetime.now(UTC))
