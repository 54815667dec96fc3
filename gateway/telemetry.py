"""The node's Prometheus metrics (prometheus-client): what the APIs, the middleware and the
workers count, and how one scrape is assembled (docs/metrics.md lists every metric).

Counters, histograms and the upstream link's gauges live in prometheus-client's default
registry of this process. Under ``serve --workers N`` the supervisor sets
``PROMETHEUS_MULTIPROC_DIR`` (:mod:`gateway.server`) before the workers start: the library then
keeps every value in memory-mapped files there, and a scrape of any worker aggregates the files
of all of them (:class:`prometheus_client.multiprocess.MultiProcessCollector`); counters add up,
the link gauges take the most recent (``up``) or the largest (last success) value. The store's
gauges are not kept anywhere: :func:`exposition` takes them from the caller, read from the
database at scrape time, the same from every process.

Label values a client chooses (error codes, system ids) are bounded: past
:data:`MAX_LABEL_VALUES` distinct values of one label in this process, new ones are counted
under ``other`` (:func:`bounded`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from gateway.core.alerts import AlertKind, LinkHealth

# The ``*_created`` samples double every counter's series and no dashboard reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

#: The content type of the exposition (the Prometheus text format 0.0.4).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
#: The environment variable prometheus-client reads, at import, to keep values in files.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Distinct values one label may take in a process before new ones become ``other``.
MAX_LABEL_VALUES = 200
OTHER = "other"
#: The link of a provincial node to its national node (the puller's ``UPSTREAM_SYSTEM``).
UPSTREAM_LINK = "upstream"

#: ``request.state`` attribute a handler may set to name its route more finely than its path
#: template (the VXP API: one route, one label per action); read by the request middleware.
ROUTE_STATE_KEY = "metrics_route"

_seen: dict[str, set[str]] = {}


def bounded(label: str, value: str) -> str:
    """``value`` while ``label`` has fewer than :data:`MAX_LABEL_VALUES` distinct values in this
    process (or already has this one), else ``other``."""
    seen = _seen.setdefault(label, set())
    if value in seen:
        return value
    if len(seen) >= MAX_LABEL_VALUES:
        return OTHER
    seen.add(value)
    return value


# ---------------------------------------------------------------- exchange (both APIs)

PACKAGES_ACCEPTED = Counter(
    "gateway_packages_accepted_total",
    "Packages accepted and stored, by kind and the API that received them.",
    ("kind", "api"),
)
PACKAGES_REPEATED = Counter(
    "gateway_packages_repeated_total",
    "Sends of an already accepted package, answered with the original id (idempotent).",
    ("kind", "api"),
)
PACKAGES_REJECTED = Counter(
    "gateway_packages_rejected_total",
    "Sends refused, by the stable error code answered (AUTH_*, EDXML_*, RECIPIENT_*, ...).",
    ("code", "api"),
)
CONFIRMATIONS = Counter(
    "gateway_confirmations_total",
    "Copies confirmed by their receiving system (updateStatus / confirm), repeats excluded, "
    "by status done or fail.",
    ("status", "api"),
)
SYSTEM_ACCEPTED = Counter(
    "gateway_system_packages_accepted_total",
    "Packages accepted (repeats included), by the sending system and kind.",
    ("system", "kind"),
)
SYSTEM_REJECTED = Counter(
    "gateway_system_packages_rejected_total",
    "Sends refused after the sending system authenticated, by system and error code.",
    ("system", "code"),
)
COPIES_OFFERED = Counter(
    "gateway_copies_offered_total",
    "Copies put in a receiving system's pull list at accept, by system (notify events "
    "consumed by the workers).",
    ("system",),
)

# ---------------------------------------------------------------- HTTP

HTTP_DURATION = Histogram(
    "gateway_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template (unmatched: no route).",
    ("method", "route"),
)
HTTP_REQUESTS = Counter(
    "gateway_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ("method", "route", "status"),
)

# ---------------------------------------------------------------- links (provincial node)

LINK_FORWARDED = Counter(
    "gateway_link_copies_forwarded_total",
    "Copies sent over a link to the next node (the national node answered a DocId).",
    ("link",),
)
LINK_FORWARD_POSTPONED = Counter(
    "gateway_link_forwards_postponed_total",
    "Forwards that found the next node unreachable (the copies stay queued and are resent).",
    ("link",),
)
LINK_REPORTS = Counter(
    "gateway_link_reports_sent_total",
    "Final states of pulled copies reported back over a link (reportDelivery), by state.",
    ("link", "state"),
)
LINK_PULLED = Counter(
    "gateway_link_items_pulled_total",
    "Items taken from a link's received list (accepted or refused), by kind.",
    ("link", "kind"),
)
LINK_UP = Gauge(
    "gateway_link_up",
    "1 when the last poll round of the link succeeded, else 0.",
    ("link",),
    multiprocess_mode="livemostrecent",
)
LINK_LAST_SUCCESS = Gauge(
    "gateway_link_last_success_timestamp_seconds",
    "Unix time of the link's last successful poll round.",
    ("link",),
    multiprocess_mode="max",
)

# ---------------------------------------------------------------- alerts (workers/alerts.py)

ALERTS_RAISED = Counter(
    "gateway_alerts_total",
    "Alerts opened (logged, and posted when a webhook is set), by kind.",
    ("kind",),
)
ALERTS_OPEN = Gauge(
    "gateway_alerts_open",
    "Alerts open (fired, not cleared yet) by kind, as the store counted them at the alert "
    "worker's last round.",
    ("kind",),
    multiprocess_mode="livemostrecent",
)
ALERT_POSTS = Counter(
    "gateway_alert_webhook_posts_total",
    "Alert webhook posts by outcome: posted (2xx), retried (left to the bus's backoff), "
    "refused (4xx, given up).",
    ("outcome",),
)

_LABELLED = (
    PACKAGES_ACCEPTED,
    PACKAGES_REPEATED,
    PACKAGES_REJECTED,
    CONFIRMATIONS,
    SYSTEM_ACCEPTED,
    SYSTEM_REJECTED,
    COPIES_OFFERED,
    HTTP_DURATION,
    HTTP_REQUESTS,
    LINK_FORWARDED,
    LINK_FORWARD_POSTPONED,
    LINK_REPORTS,
    LINK_PULLED,
    LINK_UP,
    LINK_LAST_SUCCESS,
    ALERTS_RAISED,
    ALERTS_OPEN,
    ALERT_POSTS,
)


def _known_labels() -> None:
    """The label sets a dashboard expects from the first scrape, at zero."""
    for api in ("native", "vxp"):
        for kind in ("edoc", "status"):
            PACKAGES_ACCEPTED.labels(kind, api)
        for status in ("done", "fail"):
            CONFIRMATIONS.labels(status, api)
    for kind in AlertKind:
        ALERTS_RAISED.labels(kind.value)


_known_labels()


def reset() -> None:
    """Forget every value of this process and the bounded label values (tests)."""
    for metric in _LABELLED:
        metric.clear()
    _seen.clear()
    _links.clear()
    _known_labels()


# ---------------------------------------------------------------- recording


def record_accepted(api: str, kind: str, *, created: bool, system: str | None = None) -> None:
    """Count a send the node answered with a document id (``created`` False: a repeat)."""
    family = PACKAGES_ACCEPTED if created else PACKAGES_REPEATED
    family.labels(kind, api).inc()
    if system is not None:
        SYSTEM_ACCEPTED.labels(bounded("system", system), kind).inc()


def record_rejected(api: str, code: str, *, system: str | None = None) -> None:
    """Count a send refused with ``code`` (``system``: the caller, once authenticated)."""
    code = bounded("code", code)
    PACKAGES_REJECTED.labels(code, api).inc()
    if system is not None:
        SYSTEM_REJECTED.labels(bounded("system", system), code).inc()


def record_confirmed(api: str, status: str, *, changed: bool = True) -> None:
    """Count a ``done``/``fail`` confirmation; a repeat (``changed`` False) is not counted."""
    if changed:
        CONFIRMATIONS.labels(status, api).inc()


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one HTTP request and observe its duration (``route``: the path template)."""
    method = method if method in _METHODS else OTHER
    HTTP_DURATION.labels(method, route).observe(seconds)
    HTTP_REQUESTS.labels(method, route, str(status)).inc()


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def record_offered(system: str, copies: int = 1) -> None:
    """Count copies offered to ``system``'s pull list."""
    COPIES_OFFERED.labels(bounded("system", system)).inc(copies)


_links: dict[str, LinkHealth] = {}


def record_link_round(link: str, *, ok: bool, at: datetime) -> None:
    """The outcome of one poll round of ``link`` at ``at`` (also the alert worker's signal of
    the link's health in this process: :func:`link_health`)."""
    LINK_UP.labels(link).set(1 if ok else 0)
    if ok:
        LINK_LAST_SUCCESS.labels(link).set(at.timestamp())
    before = _links.get(link)
    since = before.since if before is not None and before.up == ok else at
    last = at if ok else (before.last_success if before is not None else None)
    _links[link] = LinkHealth(link, ok, since, last)


def link_health() -> list[LinkHealth]:
    """Each link's last round in this process: up or not, since when, its last success."""
    return list(_links.values())


def record_alerts(opened: Iterable[AlertKind], open_counts: dict[AlertKind, int]) -> None:
    """Count the alerts a round opened, and set the open alerts per kind."""
    for kind in opened:
        ALERTS_RAISED.labels(kind.value).inc()
    for kind, count in open_counts.items():
        ALERTS_OPEN.labels(kind.value).set(count)


# ---------------------------------------------------------------- scrape


def multiproc_dir() -> str | None:
    """The multiprocess directory prometheus-client uses in this process, if any.

    Read from the environment, like the library itself does at import: it is the library's
    interface, set by the ``serve`` supervisor for its workers (not a node setting).
    """
    return os.environ.get(MULTIPROC_ENV) or None


class _Joined:
    """The metrics of several collectors (and ready families) as one collector."""

    def __init__(self, base: Collector, extra: Iterable[Metric]) -> None:
        self.base = base
        self.extra = list(extra)

    def collect(self) -> Iterator[Metric]:
        yield from self.base.collect()
        yield from self.extra


def exposition(extra: Iterable[Metric] = (), *, directory: str | None = None) -> bytes:
    """One scrape in the text format: this process's registry, or with ``directory`` the
    aggregate of every process's files there, then the ``extra`` families (store gauges)."""
    base: Collector = REGISTRY
    if directory is not None:
        base = CollectorRegistry()
        MultiProcessCollector(base, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(_Joined(base, extra))
