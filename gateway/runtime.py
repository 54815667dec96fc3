"""The resources of a running node, opened together and closed in reverse order.

:func:`open_runtime` is what the app's lifespan and the ``worker`` command enter. It opens, on one
:class:`contextlib.AsyncExitStack` (design.md §3.3): the agency registry, the database engine
(refusing an un-migrated schema unless migrations run at start), the store, the bus (RabbitMQ when
``GATEWAY_AMQP_URL`` is set, else in-process), the exchange use cases, and, when asked, the
workers: the outbox relay and the router, plus a start-up sweep. Whatever opened is closed in
reverse order, even when a later resource fails to open.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.bus import Bus, MemoryBus, RetryPolicy
from edxml import Limits, Policy
from edxml.trust import TrustStore
from gateway.core.accept import ROUTE_TOPIC, AcceptConfig
from gateway.core.agencies import RegistryAdmin
from gateway.core.clock import Clock, SystemClock
from gateway.core.exchange import Exchange, ExchangeConfig
from gateway.core.secrets import SecretBox
from gateway.directory import load_registry, save_registry
from gateway.logging import get_logger
from gateway.settings import Settings
from gateway.store.database import (
    check_migrated,
    create_engine,
    ensure_schema,
    migrate,
)
from gateway.store.repository import SqlStore
from gateway.workers.relay import OutboxRelay
from gateway.workers.router import Router, sweep
from identifiers import Registry

log = get_logger(__name__)

#: Work kinds the node declares on the bus.
TOPICS = ("route", "forward", "notify")


@dataclass(frozen=True)
class Runtime:
    """What the node opened at start-up; the API reads it from ``app.state.runtime``."""

    settings: Settings
    registry: Registry
    started_at: datetime
    store: SqlStore
    bus: Bus
    exchange: Exchange
    clock: Clock
    registry_admin: RegistryAdmin
    relay: OutboxRelay | None = None


def _prepare(settings: Settings) -> tuple[Registry, TrustStore | None]:
    """Blocking start-up work: create the data directory, read the registry and trust files."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    registry = load_registry(settings)
    trust = TrustStore.from_pem_file(settings.trust_file) if settings.trust_file else None
    return registry, trust


def make_bus(settings: Settings) -> Bus:
    """RabbitMQ when ``amqp_url`` is set, else the in-process bus."""
    retry = RetryPolicy(delays=settings.retry_delays)
    if settings.amqp_url:
        from connectors.bus.rabbit import RabbitBus  # aio-pika only when used

        return RabbitBus(settings.amqp_url, prefix=settings.amqp_prefix, topics=TOPICS, retry=retry)
    return MemoryBus(topics=TOPICS, retry=retry)


@asynccontextmanager
async def open_store(
    settings: Settings, *, migrate_first: bool | None = None
) -> AsyncIterator[SqlStore]:
    """The store on the configured database, migrated (or checked) as the settings say."""
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        await ensure_schema(engine, settings.database_schema)
        if settings.migrate_on_start if migrate_first is None else migrate_first:
            state = await migrate(engine)
            log.info("database migrated", revision=state.current)
        else:
            await check_migrated(engine)
        yield SqlStore(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, workers: bool | None = None, clock: Clock | None = None
) -> AsyncIterator[Runtime]:
    """Open the node's resources for the duration of the ``async with`` block.

    ``workers`` None follows ``settings.workers_in_serve``. Raises what a resource raises on
    opening (a bad registry file, :class:`gateway.store.database.StoreNotMigrated`, a broker that
    cannot be reached), after closing those already open.
    """
    log.info("node starting", settings=settings.public_view())
    if settings.secret_problem() is not None:
        log.warning("secret_key is a placeholder: acceptable in dev only", env=settings.env.value)
    run_workers = settings.workers_in_serve if workers is None else workers
    clock = clock or SystemClock()
    async with AsyncExitStack() as stack:
        stack.callback(log.info, "node stopped")  # first in, so logged after everything closed
        # File I/O off the event loop: the loop may already serve other apps (tests, workers).
        registry, trust = await asyncio.to_thread(_prepare, settings)
        source = str(settings.registry_file) if settings.registry_file else "bundled"
        log.info("agency registry loaded", agencies=len(registry), source=source)

        store = await stack.enter_async_context(open_store(settings))

        bus = make_bus(settings)
        await bus.start()
        stack.push_async_callback(bus.close)

        limits = Limits(max_package_bytes=settings.max_package_bytes)
        config = ExchangeConfig(
            accept=AcceptConfig(
                node_id=settings.node_id,
                limits=limits,
                policy=Policy(limits=limits, deep=True),
                trust=trust,
            ),
            max_receiver_failures=settings.max_receiver_failures,
            receiver_retry_base=timedelta(seconds=settings.receiver_retry_seconds),
        )
        relay: OutboxRelay | None = None
        if run_workers:
            relay = OutboxRelay(store, bus, clock)
        exchange = Exchange(
            store,
            registry,
            clock,
            config,
            SecretBox(settings.secret_key.get_secret_value()),
            on_accepted=relay.wake if relay else None,
        )
        if relay is not None:
            router = Router(store, registry, clock)
            await bus.subscribe(ROUTE_TOPIC, router.handle, on_dead=router.on_dead)
            await sweep(store, bus, clock, older_than=timedelta(0))
            task = asyncio.create_task(relay.run(), name="outbox-relay")

            async def stop_relay() -> None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

            # Registered after bus.close: the relay stops first, then the bus drains.
            stack.push_async_callback(stop_relay)
            log.info("workers running", relay=True, router=True)
        yield Runtime(
            settings=settings,
            registry=registry,
            started_at=clock.now(),
            store=store,
            bus=bus,
            exchange=exchange,
            clock=clock,
            registry_admin=RegistryAdmin(registry, clock, lambda r: save_registry(settings, r)),
            relay=relay,
        )
