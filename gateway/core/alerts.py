"""Alerts operators expect: a copy failed, a copy stuck, the upstream link down, a trusted
certificate about to expire (docs/console.md "Alerts").

An :class:`Alert` is identified by its kind and a **key** (the copy's id, the link's name, the
certificate's SHA-256 fingerprint). It *opens* once per key and stays open, silent, until it
*clears*: the failed copy is no longer failed (a late ``done``, a replay), the stuck copy is
settled, the link answers again, the certificate left the trust store. Only then can the same
key fire again. The open/cleared state is kept by the store (:class:`AlertStore`), so several
processes running the alert worker, and restarts, fire each alert once.

Detection is written here against ports; :mod:`gateway.workers.alerts` runs it every
``alert_interval_seconds``:

- **copy_failed**: copies whose state is ``failed``, read by their ``updated_at`` from a
  watermark kept in the store (minus :data:`FAILED_OVERLAP`, which absorbs transactions that
  commit late; re-reading a copy whose alert is open is harmless);
- **copy_stuck**: ``available`` copies not confirmed after ``stuck_available_hours`` (settings)
  working hours of the node's business calendar (the instant that many working hours ago is
  computed once per round, :func:`working_hours_before`), or ``queued``/``forwarded`` for longer
  than ``stuck_moving_minutes`` (settings);
- **upstream_down**: the puller's health signal of the link (the one behind ``gateway_link_up``)
  says its rounds have failed for ``alert_upstream_down_seconds``;
- **certificate_expiring**: a trust-store certificate's ``notAfter`` is within
  ``alert_certificate_days`` (an expired one too).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from business_calendar.calendar import BusinessCalendar, CalendarError
from edxml.trust import TrustStore, fingerprint, name_string
from gateway.core.clock import VN_TZ
from gateway.core.model import DeliveryState, DeliveryView, OutboxItem


class AlertKind(StrEnum):
    """What an alert is about (the values are the ``kind`` label and the webhook's ``kind``)."""

    COPY_FAILED = "copy_failed"
    COPY_STUCK = "copy_stuck"
    UPSTREAM_DOWN = "upstream_down"
    CERTIFICATE_EXPIRING = "certificate_expiring"


#: States of a copy still on its way: a stuck alert clears when the copy leaves them.
WAITING_STATES = frozenset({DeliveryState.QUEUED, DeliveryState.AVAILABLE, DeliveryState.FORWARDED})
#: How far before the watermark each round reads failed copies again (late commits).
FAILED_OVERLAP = timedelta(minutes=5)
#: The store's watermark of the failed-copy scan.
FAILED_MARK = "copy_failed"


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert: ``key`` de-duplicates it within its kind; ``details`` is JSON-ready."""

    kind: AlertKind
    key: str
    subject: str
    details: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None

    def body(self, node: str) -> dict[str, Any]:
        """The webhook's JSON object; ``at`` in Vietnam time (+07:00)."""
        at = self.at.astimezone(VN_TZ).isoformat(timespec="seconds") if self.at else ""
        return {
            "kind": self.kind.value,
            "key": self.key,
            "subject": self.subject,
            "details": dict(self.details),
            "at": at,
            "node": node,
        }

    def body_bytes(self, node: str) -> bytes:
        """:meth:`body` as the compact UTF-8 JSON that is posted and signed."""
        return json.dumps(self.body(node), ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class FailedCopy:
    """A failed copy and the code of its last failure (from its history), if recorded."""

    copy: DeliveryView
    code: str | None = None


@dataclass(frozen=True, slots=True)
class LinkHealth:
    """A link's last poll outcome: ``up``, since when it has been so, its last success."""

    link: str
    up: bool
    since: datetime
    last_success: datetime | None = None


@dataclass(frozen=True, slots=True)
class TrustedCertificate:
    """What an expiry alert needs of a trust-store certificate."""

    fingerprint: str
    subject: str
    not_after: datetime


@dataclass(frozen=True, slots=True)
class AlertRules:
    """The thresholds of the detections (settings ``stuck_*``, ``alert_*``)."""

    stuck_available_working_hours: float = 8.0
    stuck_in_transit: timedelta = timedelta(minutes=30)
    upstream_down_after: timedelta = timedelta(seconds=60)
    certificate_days: int = 60
    batch: int = 500


#: Builds the outbox row posting an opened alert: (alert, how many times its key opened).
OutboxFor = Callable[[Alert, int], OutboxItem]


class AlertStore(Protocol):
    """Open/cleared alerts, the failed-copy watermark, and the two copy scans."""

    async def failed_copies(
        self, since: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[FailedCopy]:
        """Copies now ``failed`` whose ``updated_at`` is at or after ``since``, by
        (updated_at, delivery_id), strictly after the position ``after``."""
        ...

    async def stuck_copies(
        self, available_before: datetime, in_transit_before: datetime, limit: int
    ) -> list[DeliveryView]:
        """Copies ``available`` since before ``available_before`` or ``queued``/``forwarded``
        since before ``in_transit_before``, without an open stuck alert, oldest first."""
        ...

    async def alert_mark(self, name: str) -> datetime | None:
        """The watermark ``name``, or None before the first round."""
        ...

    async def set_alert_mark(self, name: str, at: datetime) -> None:
        """Move the watermark ``name`` to ``at`` (never back)."""
        ...

    async def open_alerts(
        self, alerts: Sequence[Alert], now: datetime, outbox: OutboxFor | None = None
    ) -> list[Alert]:
        """Open each alert whose (kind, key) is not open already, with ``outbox``'s row in the
        same transaction; returns those it opened (a key already open is left as it is)."""
        ...

    async def clear_alerts(
        self,
        kind: AlertKind,
        keep: Collection[str],
        now: datetime,
        among: Collection[str] | None = None,
    ) -> list[str]:
        """Clear the open alerts of ``kind`` whose key is not in ``keep`` (and, with ``among``,
        is in it: the keys this process can judge); returns their keys."""
        ...

    async def clear_copy_alerts(self, now: datetime) -> list[tuple[AlertKind, str]]:
        """Clear the open copy alerts whose copy moved on: a failed alert when the copy is no
        longer ``failed``, a stuck one when it left :data:`WAITING_STATES`."""
        ...

    async def open_alert_counts(self) -> dict[AlertKind, int]:
        """How many alerts of each kind are open."""
        ...


# ---------------------------------------------------------------- detections


def working_hours_before(calendar: BusinessCalendar, now: datetime, hours: float) -> datetime:
    """The latest instant from which ``hours`` of office time have passed by ``now``.

    A copy available since then or earlier has waited that many working hours. Found by
    bisection on whole seconds (office time since an instant only shrinks as the instant moves
    on). When the calendar cannot answer (``CALENDAR_RANGE``) or finds that much office time
    nowhere in the past year, it falls back to wall-clock hours.
    """
    wanted = timedelta(hours=hours)
    try:
        span = wanted
        while calendar.business_time(now - span, now) < wanted:
            span *= 2
            if span > timedelta(days=366):
                return now - wanted
        early = now - span  # business_time(early, now) >= wanted > business_time(now, now)
        low, high = 0, int(span.total_seconds())
        while high - low > 1:
            middle = (low + high) // 2
            if calendar.business_time(early + timedelta(seconds=middle), now) >= wanted:
                low = middle
            else:
                high = middle
        return early + timedelta(seconds=low)
    except CalendarError:
        return now - wanted


def failed_alert(failed: FailedCopy, now: datetime) -> Alert:
    """The alert of a copy that became ``failed``."""
    copy = failed.copy
    where = copy.system_id or copy.link or "no system"
    return Alert(
        AlertKind.COPY_FAILED,
        copy.delivery_id,
        f"copy {copy.delivery_id} to {copy.code} ({where}) failed"
        + (f": {failed.code}" if failed.code else ""),
        {
            **_copy_details(copy),
            "failure_code": failed.code,
            "reason": copy.last_error,
            "failed_at": _local(copy.updated_at),
        },
        now,
    )


def stuck_alert(copy: DeliveryView, now: datetime) -> Alert:
    """The alert of a copy waiting too long in its state."""
    since = copy.available_at if copy.state is DeliveryState.AVAILABLE else copy.updated_at
    since = since or copy.updated_at
    minutes = int((now - since).total_seconds() // 60)
    waiting = (
        f"not confirmed by {copy.system_id}"
        if copy.state is DeliveryState.AVAILABLE
        else f"{copy.state.value}"
    )
    return Alert(
        AlertKind.COPY_STUCK,
        copy.delivery_id,
        f"copy {copy.delivery_id} to {copy.code} stuck: {waiting} for {minutes} min",
        {**_copy_details(copy), "since": _local(since), "minutes": minutes},
        now,
    )


def link_alerts(links: Iterable[LinkHealth], now: datetime, after: timedelta) -> list[Alert]:
    """An alert for each link whose rounds have failed for ``after`` or longer."""
    return [
        Alert(
            AlertKind.UPSTREAM_DOWN,
            health.link,
            f"link {health.link} down since {_local(health.since)}",
            {
                "link": health.link,
                "down_since": _local(health.since),
                "last_success": _local(health.last_success) if health.last_success else None,
            },
            now,
        )
        for health in links
        if not health.up and now - health.since >= after
    ]


def trusted_certificates(trust: TrustStore | None) -> list[TrustedCertificate]:
    """The trust store's certificates as the expiry check reads them (none without a store)."""
    if trust is None:
        return []
    return [
        TrustedCertificate(fingerprint(cert), name_string(cert.subject), cert.not_valid_after_utc)
        for cert in trust.certificates
    ]


def certificate_alerts(
    certificates: Iterable[TrustedCertificate], now: datetime, days: int
) -> list[Alert]:
    """An alert for each certificate whose ``notAfter`` is within ``days`` (or past)."""
    alerts = []
    for cert in certificates:
        left = cert.not_after - now
        if left > timedelta(days=days):
            continue
        when = "expired" if left <= timedelta(0) else f"expires in {left.days} days"
        alerts.append(
            Alert(
                AlertKind.CERTIFICATE_EXPIRING,
                cert.fingerprint,
                f"trusted certificate {cert.subject} {when} ({_local(cert.not_after)})",
                {
                    "fingerprint": cert.fingerprint,
                    "certificate_subject": cert.subject,
                    "not_after": _local(cert.not_after),
                    "days_left": left.days,
                },
                now,
            )
        )
    return alerts


def _copy_details(copy: DeliveryView) -> dict[str, Any]:
    return {
        "delivery_id": copy.delivery_id,
        "document_id": copy.document_id,
        "state": copy.state.value,
        "recipient_code": copy.code,
        "system_id": copy.system_id,
        "link": copy.link,
        "sender_system": copy.sender_system,
        "sender_code": copy.sender_code,
        "priority": copy.priority,
    }


def _local(at: datetime) -> str:
    return at.astimezone(VN_TZ).isoformat(timespec="seconds")
