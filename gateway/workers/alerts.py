"""The alert worker: every ``alert_interval_seconds`` it looks for what operators must hear of,
and the webhook poster that tells them (docs/console.md "Alerts").

One :meth:`AlertWorker.round`:

1. finds the alerts of :mod:`gateway.core.alerts`: copies that became ``failed`` (from the
   store's watermark), stuck copies, the upstream link down (the puller's health signal in this
   process, :func:`gateway.telemetry.link_health`), trust-store certificates near expiry;
2. opens them in the store, which leaves a key already open alone (:meth:`AlertStore.open_alerts`)
   and, when a webhook is set, writes each opened alert's ``alert`` outbox row in the same
   transaction;
3. clears what is over: copies that moved on, links that answer again, certificates no longer
   near expiry or in the store;
4. logs each opened alert (``warning``) and each cleared one (``info``), counts the opened ones in
   ``gateway_alerts_total{kind}`` and sets ``gateway_alerts_open{kind}`` from the store.

**Posting.** Alerts reach the webhook through the outbox and the bus (topic ``alert``), not from
the worker directly: an alert opened is committed with its outbox row, so a crash or a restart
before the post loses nothing, and the post gets the bus's retries (``bus_retry_delays``) on top
of the connector's own short ones, then dead-letters with a log line. A redelivered message is
posted again (the receiver de-duplicates on ``kind``, ``key`` and ``at``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from connectors.bus import Message, Reject, Retry
from connectors.webhook import WebhookClient, WebhookRefused, WebhookUnavailable
from edxml.trust import TrustStore
from gateway import telemetry
from gateway.core import work
from gateway.core.alerts import (
    FAILED_MARK,
    FAILED_OVERLAP,
    Alert,
    AlertKind,
    AlertRules,
    AlertStore,
    LinkHealth,
    OutboxFor,
    certificate_alerts,
    failed_alert,
    link_alerts,
    stuck_alert,
    trusted_certificates,
    working_hours_before,
)
from gateway.core.clock import Clock
from gateway.core.errors import StoreUnavailable
from gateway.core.legal import LegalTime
from gateway.core.model import OutboxItem
from gateway.logging import get_logger

log = get_logger(__name__)


class AlertWorker:
    """Detects, opens, clears and reports alerts (module docstring)."""

    def __init__(
        self,
        store: AlertStore,
        clock: Clock,
        *,
        node_id: str,
        rules: AlertRules,
        interval: float,
        legal: LegalTime | None = None,
        trust: TrustStore | None = None,
        links: Callable[[], Sequence[LinkHealth]] = telemetry.link_health,
        webhook: bool = False,
        on_opened: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.node_id = node_id
        self.rules = rules
        self.interval = interval
        self.legal = legal
        self.certificates = trusted_certificates(trust)
        self.links = links
        self.webhook = webhook
        self._on_opened = on_opened  # wakes the relay: opened alerts leave at once

    def _outbox(self, alert: Alert, occurrence: int) -> OutboxItem:
        return work.alert(alert.body(self.node_id), occurrence)

    async def run(self) -> None:
        """Run rounds until cancelled; a failed round is logged and tried again later."""
        while True:
            try:
                await self.round()
            except StoreUnavailable as exc:
                log.warning("alert round failed; next round retries", error=str(exc))
            except Exception:  # keep watching whatever happened
                log.exception("alert round crashed; next round retries")
            await asyncio.sleep(self.interval)

    async def round(self) -> list[Alert]:
        """One detection round (module docstring); returns the alerts it opened."""
        now = self.clock.now()
        found = await self._failed(now)
        found += await self._stuck(now)
        links = list(self.links())
        found += link_alerts(links, now, self.rules.upstream_down_after)
        found += certificate_alerts(self.certificates, now, self.rules.certificate_days)
        outbox: OutboxFor | None = self._outbox if self.webhook else None
        opened = await self.store.open_alerts(found, now, outbox)
        await self.store.set_alert_mark(FAILED_MARK, now)

        cleared = await self.store.clear_copy_alerts(now)
        down = {a.key for a in found if a.kind is AlertKind.UPSTREAM_DOWN}
        # Only links this process watches get a verdict; another process may watch others.
        up = {health.link for health in links} - down
        if up:
            for key in await self.store.clear_alerts(AlertKind.UPSTREAM_DOWN, down, now, among=up):
                cleared.append((AlertKind.UPSTREAM_DOWN, key))
        expiring = {a.key for a in found if a.kind is AlertKind.CERTIFICATE_EXPIRING}
        for key in await self.store.clear_alerts(AlertKind.CERTIFICATE_EXPIRING, expiring, now):
            cleared.append((AlertKind.CERTIFICATE_EXPIRING, key))

        for alert in opened:
            log.warning(
                "alert",
                alert=alert.kind.value,
                key=alert.key,
                subject=alert.subject,
                details=dict(alert.details),
                webhook=self.webhook,
            )
        for kind, key in cleared:
            log.info("alert cleared", alert=kind.value, key=key)
        telemetry.record_alerts((a.kind for a in opened), await self.store.open_alert_counts())
        if opened and self.webhook and self._on_opened is not None:
            self._on_opened()
        return opened

    async def _failed(self, now: datetime) -> list[Alert]:
        mark = await self.store.alert_mark(FAILED_MARK)
        # First round ever: from now (no flood of alerts for history older than the feature).
        since = (mark or now) - FAILED_OVERLAP
        alerts: list[Alert] = []
        after: tuple[datetime, str] | None = None
        while True:
            batch = await self.store.failed_copies(since, after, self.rules.batch)
            alerts += [failed_alert(failed, now) for failed in batch]
            if len(batch) < self.rules.batch:
                return alerts
            last = batch[-1].copy
            after = (last.updated_at, last.delivery_id)

    async def _stuck(self, now: datetime) -> list[Alert]:
        hours = self.rules.stuck_available_working_hours
        if self.legal is not None:
            available_before = working_hours_before(self.legal.calendar, now, hours)
        else:
            available_before = now - timedelta(hours=hours)
        copies = await self.store.stuck_copies(
            available_before, now - self.rules.stuck_in_transit, self.rules.batch
        )
        return [stuck_alert(copy, now) for copy in copies]


class AlertPoster:
    """Handles ``alert`` messages: posts their body to the webhook as it is."""

    def __init__(self, client: WebhookClient) -> None:
        self.client = client
        self.posted = 0

    async def handle(self, message: Message) -> None:
        """Post the alert; a receiver that is down is retried by the bus, a refusal is final."""
        try:
            body = work.parse_alert(message.body)
        except work.WorkInvalid as exc:
            raise Reject(str(exc)) from exc
        try:
            await self.client.post(message.body)
        except WebhookUnavailable as exc:
            telemetry.ALERT_POSTS.labels("retried").inc()
            raise Retry(str(exc)) from exc
        except WebhookRefused as exc:
            telemetry.ALERT_POSTS.labels("refused").inc()
            raise Reject(str(exc)) from exc
        telemetry.ALERT_POSTS.labels("posted").inc()
        self.posted += 1
        log.info("alert posted", alert=body["kind"], key=body["key"])

    async def on_dead(self, message: Message, reason: str) -> None:
        """The webhook never took the alert: it stays logged and counted, only the post is lost."""
        with contextlib.suppress(work.WorkInvalid):
            body = work.parse_alert(message.body)
            log.error("alert webhook given up", alert=body["kind"], key=body["key"], reason=reason)
            return
        log.error("poison alert message dead-lettered", reason=reason)
