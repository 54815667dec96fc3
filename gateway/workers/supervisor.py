"""The workers of one node process: what consumes each topic, the background loops, and their
orderly stop.

:func:`start_workers` subscribes the handlers (router, notifier, replay runner; on a provincial
node with an upstream also the forwarder and the reporter; with a webhook the alert poster),
publishes the start-up sweep (and resumes the approved replay runs), starts the relay's loop, the
alert worker's, the statistics rollup's (and the puller's) and registers their stop on the
runtime's exit stack, after the bus's close: the loops stop first, then the bus drains its
in-flight handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta

from connectors.bus import Bus
from connectors.vxp.client import VxpClient
from connectors.webhook import WebhookClient
from edxml import Limits
from gateway.core import work
from gateway.core.alerts import AlertRules
from gateway.core.clock import Clock
from gateway.core.exchange import Exchange
from gateway.core.legal import LegalTime
from gateway.core.ports import Store
from gateway.core.replay import Replays
from gateway.core.stats.ports import StatsStore
from gateway.logging import get_logger
from gateway.settings import Settings
from gateway.workers.alerts import AlertPoster, AlertWorker
from gateway.workers.forwarder import Forwarder
from gateway.workers.notifier import Notifier
from gateway.workers.puller import Puller
from gateway.workers.relay import OutboxRelay
from gateway.workers.replayer import ReplayRunner, resume
from gateway.workers.reporter import Reporter
from gateway.workers.router import Router, sweep
from gateway.workers.stats import StatsWorker
from identifiers import Registry

log = get_logger(__name__)


async def start_workers(
    stack: AsyncExitStack,
    settings: Settings,
    *,
    store: Store,
    bus: Bus,
    clock: Clock,
    registry: Registry,
    exchange: Exchange,
    relay: OutboxRelay,
    legal: LegalTime,
    limits: Limits,
    upstream: Callable[[], VxpClient],
    replays: Replays | None = None,
    stats: StatsStore | None = None,
    calendar_reload: Callable[[], Awaitable[object]] | None = None,
) -> Notifier:
    """Start this process's workers (module docstring); returns the notifier (for /metrics).

    ``upstream`` opens the client of the link to the national node; it is called only on a
    provincial node with an upstream, and closed with the stack. ``calendar_reload`` reloads the
    operators' calendar rows (the statistics worker calls it before counting again copies a
    ``calendar recompute`` wrote with another calendar version).
    """
    router = Router(store, registry, clock)
    await bus.subscribe(work.Topic.ROUTE, router.handle, on_dead=router.on_dead)
    notifier = Notifier()
    await bus.subscribe(work.Topic.NOTIFY, notifier.handle, on_dead=notifier.on_dead)
    if replays is not None:
        runner = ReplayRunner(replays)
        await bus.subscribe(work.Topic.REPLAY, runner.handle, on_dead=runner.on_dead)
    forwarding = settings.upstream_url is not None
    puller: Puller | None = None
    if forwarding:
        client = upstream()
        stack.push_async_callback(client.aclose)
        forwarder = Forwarder(store, client, clock, node_id=settings.node_id, limits=limits)
        await bus.subscribe(work.Topic.FORWARD, forwarder.handle, on_dead=forwarder.on_dead)
        reporter = Reporter(store, client, clock)
        await bus.subscribe(work.Topic.REPORT, reporter.handle, on_dead=reporter.on_dead)
        puller = Puller(
            exchange,
            store,
            client,
            clock,
            interval=settings.upstream_poll_seconds,
            legal=legal,
            bus=bus,
            resend_after=timedelta(seconds=settings.upstream_resend_seconds),
        )
    url, secret = settings.webhook_url, settings.webhook_secret  # both or neither (settings)
    webhook = url is not None and secret is not None
    if url is not None and secret is not None:
        poster_client = WebhookClient(
            url, secret.get_secret_value(), timeout=settings.webhook_timeout_seconds
        )
        stack.push_async_callback(poster_client.aclose)
        poster = AlertPoster(poster_client)
        await bus.subscribe(work.Topic.ALERT, poster.handle, on_dead=poster.on_dead)
    alerts = AlertWorker(
        store,
        clock,
        node_id=settings.node_id,
        rules=AlertRules(
            stuck_available_working_hours=settings.stuck_available_hours,
            stuck_in_transit=timedelta(minutes=settings.stuck_moving_minutes),
            upstream_down_after=timedelta(seconds=settings.alert_upstream_down_seconds),
            certificate_days=settings.alert_certificate_days,
        ),
        interval=settings.alert_interval_seconds,
        legal=legal,
        trust=exchange.config.accept.trust,
        webhook=webhook,
        on_opened=relay.wake,
    )
    await sweep(store, bus, clock, older_than=timedelta(0), forwarding=forwarding)
    if replays is not None:
        await resume(replays, bus)  # approved runs the bus lost when the node stopped
    tasks = [
        asyncio.create_task(relay.run(), name="outbox-relay"),
        asyncio.create_task(alerts.run(), name="alerts"),
    ]
    if stats is not None:
        # The statistics rollups, from the copies' history (docs/statistics.md "Freshness").
        rollup = StatsWorker(stats, clock, lambda: legal.calendar, refresh=calendar_reload)
        tasks.append(asyncio.create_task(rollup.run(), name="stats-rollup"))
    if puller is not None:
        tasks.append(asyncio.create_task(puller.run(), name="upstream-puller"))

    async def stop_workers() -> None:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # Registered after bus.close: the relay and the puller stop first, then the bus drains.
    stack.push_async_callback(stop_workers)
    log.info(
        "workers running",
        relay=True,
        router=True,
        notifier=True,
        replay_runner=replays is not None,
        forwarder=forwarding,
        puller=forwarding,
        alerts=True,
        webhook=webhook,
        stats=stats is not None,
    )
    return notifier
