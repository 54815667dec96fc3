"""The resources of a running node, opened together and closed in reverse order.

:func:`open_runtime` is what the app's lifespan and the ``worker`` command enter. It opens, on one
:class:`contextlib.AsyncExitStack` (design.md §3.3): the agency registry, the database engine
(refusing an un-migrated schema unless migrations run at start), the store, the bus (RabbitMQ when
``GATEWAY_AMQP_URL`` is set, else in-process), the exchange use cases, and, when asked, the
workers: the outbox relay, the router and the notifier, and on a provincial node the forwarder,
the reporter and the puller, plus a start-up sweep. Whatever opened is closed in reverse order,
even when a later resource fails to open.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from business_calendar.table import load_spec
from gateway.core import work
from gateway.core.actors import AuditSink
from gateway.core.agencies import RegistryAdmin
from gateway.core.audit import AuditLog
from gateway.core.calendar_admin import CalendarAdmin
from gateway.core.clock import Clock, SystemClock
from gateway.core.deliveries_admin import DeliveriesAdmin, StuckLimits
from gateway.core.legal import LegalTime
from gateway.core.people import People, PeopleConfig
from gateway.core.replay import ReplayConfig, Replays
from gateway.core.routing import Routes
from gateway.directory import load_registry, save_registry
from gateway.logging import get_logger
from gateway.settings import NodeRole, Settings, env_var, redact_url
from gateway.store.audit import SqlAudit
from gateway.store.database import (
    StoreMissing,
    check_migrated,
    create_engine,
    ensure_schema,
    migrate,
    schema_state,
    sqlite_file,
)
from gateway.store.people import SqlPeople
from gateway.store.repository import SqlStore
from identifiers import Registry

if TYPE_CHECKING:
    # What only the node itself (open_runtime) needs is imported there: the CLI's store and
    # people commands import this module and should not pay for HTTP clients, the bus, the
    # accept path and the workers (about 0.4 s per command).
    import httpx

    from connectors.bus import Bus
    from connectors.vxp.client import VxpClient
    from edxml import Limits
    from edxml.trust import TrustStore
    from gateway.core.exchange import Exchange
    from gateway.core.stats.service import Statistics
    from gateway.workers.notifier import Notifier
    from gateway.workers.relay import OutboxRelay

log = get_logger(__name__)

#: Work kinds the node declares on the bus.
TOPICS = tuple(topic.value for topic in work.Topic)


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
    calendar: CalendarAdmin  # the business calendar (``calendar.legal``) and its override rows
    deliveries_admin: DeliveriesAdmin  # the operators' node-wide view of copies
    replays: Replays  # replay copies, replay requests (four eyes) and their background runs
    people: People  # users, sign-in, personal tokens (gateway/core/people.py)
    audit: AuditLog  # the hash-chained audit log, the node's AuditSink (gateway/core/audit.py)
    relay: OutboxRelay | None = None
    notifier: Notifier | None = None  # when this process runs the workers


def statistics(runtime: Runtime) -> Statistics:
    """The statistics use case over the running node's store, registry and calendar (the API's
    ``/api/v1/stats`` and the console's statistics page both read through it)."""
    from gateway.core.stats.service import Statistics

    return Statistics(
        runtime.store,
        runtime.registry,
        lambda: runtime.calendar.legal.calendar,
        runtime.clock,
        node_id=runtime.settings.node_id,
    )


def admin_use_cases(
    settings: Settings,
    store: SqlStore,
    registry: Registry,
    clock: Clock,
    legal: LegalTime,
    audit: AuditSink,
    relay: OutboxRelay | None,
    limits: Limits,
) -> tuple[DeliveriesAdmin, Replays]:
    """The operators' deliveries view and the replay use cases (also built by the CLI)."""
    deliveries = DeliveriesAdmin(
        store,
        registry,
        clock,
        legal,
        stuck=StuckLimits(settings.stuck_available_hours, settings.stuck_moving_minutes),
        limits=limits,
    )
    replays = Replays(
        store,
        Routes(registry, store),
        deliveries,
        clock,
        audit,
        ReplayConfig(threshold=settings.replay_approval_threshold),
        on_work=relay.wake if relay is not None else None,
    )
    return deliveries, replays


async def open_calendar(
    settings: Settings, store: SqlStore, clock: Clock, audit: AuditSink | None = None
) -> CalendarAdmin:
    """The node's business calendar: the override table (shipped, or ``calendar_file``), the
    office hours and the operators' rows in the database, built off the event loop.

    Raises :class:`business_calendar.calendar.CalendarError` for a bad table or hours.
    """
    spec = await asyncio.to_thread(load_spec, settings.calendar_file, settings.office_hours)
    stored = await store.calendar_overrides()
    legal = await asyncio.to_thread(LegalTime, spec, stored, warm=clock.now())
    log.info(
        "business calendar loaded",
        version=legal.version,
        table=str(settings.calendar_file) if settings.calendar_file else "shipped",
        operator_rows=len(stored),
    )
    return CalendarAdmin(
        store,
        legal,
        clock,
        on_change=lambda calendar: log.info("business calendar rebuilt", version=calendar.version),
        audit=audit,
    )


def open_people(settings: Settings, store: SqlStore, clock: Clock) -> tuple[People, AuditLog]:
    """The people use case and the audit log on the store's engine (opens nothing itself)."""
    audit = AuditLog(SqlAudit(store.engine), clock)
    config = PeopleConfig(
        max_failures=settings.sign_in_max_failures,
        lockout=timedelta(minutes=settings.sign_in_lockout_minutes),
    )
    return People(SqlPeople(store.engine), clock, audit, config=config), audit


async def _refresh_calendar(calendar: CalendarAdmin, seconds: float) -> None:
    """Pick up override rows another process changed (the CLI, another ``serve``)."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await calendar.reload()
        except Exception:  # the next round tries again; the current calendar stays in use
            log.exception("business calendar refresh failed")


def _prepare(settings: Settings, create: bool) -> tuple[Registry, TrustStore | None]:
    """Blocking start-up work: create the data directory (when ``create``), read the registry
    and trust files."""
    from edxml.trust import TrustStore

    if create:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    registry = load_registry(settings)
    trust = TrustStore.from_pem_file(settings.trust_file) if settings.trust_file else None
    return registry, trust


def upstream_client(settings: Settings, http: httpx.AsyncClient | None = None) -> VxpClient:
    """The VXP client of a provincial node's link to its national node.

    Signs like the SDK; a timeout on every call; bounded retries with jitter on transport errors
    and 5xx only (a FAIL answer is never retried: connectors.vxp.retry).
    """
    from connectors.vxp.client import VxpClient

    if settings.upstream_url is None or settings.upstream_system_id is None:
        raise ValueError("no upstream link configured")
    secret = settings.upstream_secret.get_secret_value() if settings.upstream_secret else ""
    return VxpClient(
        settings.upstream_url,
        settings.upstream_system_id,
        secret,
        http=http,
        timeout=settings.upstream_timeout_seconds,
        refresh_timestamp=True,
    )


def make_bus(settings: Settings) -> Bus:
    """RabbitMQ when ``amqp_url`` is set, else the in-process bus."""
    from connectors.bus import MemoryBus, RetryPolicy

    retry = RetryPolicy(delays=settings.retry_delays)
    if settings.amqp_url:
        from connectors.bus.rabbit import RabbitBus  # aio-pika only when used

        return RabbitBus(settings.amqp_url, prefix=settings.amqp_prefix, topics=TOPICS, retry=retry)
    return MemoryBus(topics=TOPICS, retry=retry)


def database_location(settings: Settings) -> str:
    """Where the node's database is, for people: the SQLite file, or the URL (password hidden)
    and schema."""
    file = sqlite_file(settings.database_url)
    if file is not None:
        return str(file.resolve())
    where = redact_url(settings.database_url)
    return f"{where} (schema {settings.database_schema})" if settings.database_schema else where


def _missing(settings: Settings, what: str) -> StoreMissing:
    return StoreMissing(
        f"{what} at {database_location(settings)} (data directory "
        f"{settings.data_dir.resolve()}); run `python -m gateway migrate` to create it, or set "
        f"{env_var('data_dir')} (or {env_var('database_url')}) to the node's own"
    )


@asynccontextmanager
async def open_store(
    settings: Settings, *, migrate_first: bool | None = None, create: bool = True
) -> AsyncIterator[SqlStore]:
    """The store on the configured database, migrated (or checked) as the settings say.

    ``create`` False (every command but ``serve`` and ``migrate``) refuses, with
    :class:`StoreMissing`, a database that does not exist or holds no node schema, and creates
    nothing: neither the SQLite file and its directory nor the PostgreSQL schema. A database that
    exists is still migrated when the settings say so.
    """
    file = sqlite_file(settings.database_url)
    # An empty file is an empty SQLite database: refused before a connection writes to it.
    if not create and file is not None and (not file.is_file() or file.stat().st_size == 0):
        raise _missing(settings, "no node database")
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        if create:
            await ensure_schema(engine, settings.database_schema)
        elif (await schema_state(engine)).current is None:
            raise _missing(settings, "no node schema in the database")
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
    settings: Settings,
    *,
    workers: bool | None = None,
    clock: Clock | None = None,
    upstream_http: httpx.AsyncClient | None = None,
    create: bool = True,
) -> AsyncIterator[Runtime]:
    """Open the node's resources for the duration of the ``async with`` block.

    ``workers`` None follows ``settings.workers_in_serve``. ``upstream_http`` replaces the HTTP
    client of the link to the national node (tests run several nodes in one process). ``create``
    False refuses to create the data directory and the database (:func:`open_store`). Raises
    what a resource raises on opening (a bad registry file,
    :class:`gateway.store.database.StoreNotMigrated` or ``StoreMissing``, a broker that cannot
    be reached), after closing those already open.
    """
    from edxml import Limits, Policy
    from gateway.core.accept import AcceptConfig
    from gateway.core.exchange import Exchange, ExchangeConfig
    from gateway.core.secrets import SecretBox
    from gateway.workers.relay import OutboxRelay
    from gateway.workers.supervisor import start_workers

    log.info("node starting", settings=settings.public_view())
    if settings.secret_problem() is not None:
        log.warning("secret_key is a placeholder: acceptable in dev only", env=settings.env.value)
    run_workers = settings.workers_in_serve if workers is None else workers
    clock = clock or SystemClock()
    async with AsyncExitStack() as stack:
        stack.callback(log.info, "node stopped")  # first in, so logged after everything closed
        # File I/O off the event loop: the loop may already serve other apps (tests, workers).
        registry, trust = await asyncio.to_thread(_prepare, settings, create)
        source = str(settings.registry_file) if settings.registry_file else "bundled"
        log.info("agency registry loaded", agencies=len(registry), source=source)

        store = await stack.enter_async_context(open_store(settings, create=create))
        people, audit = open_people(settings, store, clock)
        calendar = await open_calendar(settings, store, clock, audit)
        if settings.calendar_refresh_seconds > 0:
            refresh = asyncio.create_task(
                _refresh_calendar(calendar, settings.calendar_refresh_seconds),
                name="calendar-refresh",
            )

            async def stop_refresh() -> None:
                refresh.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresh

            stack.push_async_callback(stop_refresh)

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
                province=settings.province,
                upstream=settings.upstream_url is not None,
                national=settings.role is NodeRole.NATIONAL,
            ),
            max_receiver_failures=settings.max_receiver_failures,
            receiver_retry_base=timedelta(seconds=settings.receiver_retry_seconds),
        )
        relay: OutboxRelay | None = None
        notifier: Notifier | None = None
        if run_workers:
            kept = settings.outbox_retention_days
            relay = OutboxRelay(
                store, bus, clock, retention=timedelta(days=kept) if kept > 0 else None
            )
        exchange = Exchange(
            store,
            registry,
            clock,
            config,
            SecretBox(settings.secret_key.get_secret_value()),
            on_accepted=relay.wake if relay else None,
            legal=calendar.legal,
        )
        deliveries_admin, replays = admin_use_cases(
            settings, store, registry, clock, calendar.legal, audit, relay, limits
        )
        if relay is not None:
            notifier = await start_workers(
                stack,
                settings,
                store=store,
                bus=bus,
                clock=clock,
                registry=registry,
                exchange=exchange,
                relay=relay,
                legal=calendar.legal,
                limits=limits,
                upstream=lambda: upstream_client(settings, upstream_http),
                replays=replays,
                stats=store,
                calendar_reload=calendar.reload,
            )
        yield Runtime(
            settings=settings,
            registry=registry,
            started_at=clock.now(),
            store=store,
            bus=bus,
            exchange=exchange,
            clock=clock,
            registry_admin=RegistryAdmin(
                registry, clock, lambda r: save_registry(settings, r), audit
            ),
            calendar=calendar,
            deliveries_admin=deliveries_admin,
            replays=replays,
            people=people,
            audit=audit,
            relay=relay,
            notifier=notifier,
        )
