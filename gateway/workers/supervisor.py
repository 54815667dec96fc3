"""The workers of one node process: what consumes each topic, the background loops, and their
orderly stop.

:func:`start_workers` subscribes the handlers (router, notifier, replay runner; on a provincial
node with an upstream also the forwarder and the reporter), publishes the start-up sweep (and
resumes the approved replay runs), starts the relay's loop (and the puller's) and registers
their stop on the runtime's exit stack, after the bus's close: the loops stop first, then the bus
drains its in-flight handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import timedelta

from connectors.bus import Bus
from connectors.vxp.client import VxpClient
from edxml import Limits
from gateway.core import work
from gateway.core.clock import Clock
from gateway.core.exchange import Exchange
from gateway.core.legal import LegalTime
from gateway.core.ports import Store
from gateway.core.replay import Replays
from gateway.logging import get_logger
from gateway.settings import Settings
from gateway.workers.forwarder import Forwarder
from gateway.workers.notifier import Notifier
from gateway.workers.puller import Puller
from gateway.workers.relay import OutboxRelay
from gateway.workers.replayer import ReplayRunner, resume
from gateway.workers.reporter import Reporter
from gateway.workers.router import Router, sweep
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
) -> Notifier:
    """Start this process's workers (module docstring); returns the notifier (for /metrics).

    ``upstream`` opens the client of the link to the national node; it is called only on a
    provincial node with an upstream, and closed with the stack.
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
    await sweep(store, bus, clock, older_than=timedelta(0), forwarding=forwarding)
    if replays is not None:
        await resume(replays, bus)  # approved runs the bus lost when the node stopped
    tasks = [asyncio.create_task(relay.run(), name="outbox-relay")]
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
    )
    return notifier
