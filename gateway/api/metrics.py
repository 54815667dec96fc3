"""``GET /metrics``: the node's counters and gauges in the Prometheus text format (0.0.4).

Counters are kept in this process (:data:`COUNTERS`); both APIs feed them through
:func:`record_accepted`, :func:`record_rejected` and :func:`record_confirmed`. Gauges are read
from the store at scrape time (:meth:`gateway.core.ports.DocumentStore.stats`): copies by state
and the outbox rows not yet published (the relay's lag). Run with several server processes, each
process counts its own requests (as Prometheus client libraries do without a multiprocess mode);
the gauges are the same from every process.

The exposition is written by hand (a few families do not need a client library): one ``# HELP``
and one ``# TYPE`` line per family, then ``name{label="value"} number`` samples, label values
escaped as the format requires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter, Request, Response

from gateway.api.dependencies import current_runtime
from gateway.core.errors import StoreUnavailable
from gateway.core.model import DeliveryState
from gateway.logging import get_logger

log = get_logger(__name__)
router = APIRouter(tags=["probes"])

#: The content type of the Prometheus text format.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Longest wait for the store's statistics during a scrape (seconds).
STATS_TIMEOUT = 5.0
#: Distinct values one label may take before new ones are folded into ``other`` (cardinality).
MAX_LABEL_VALUES = 200


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass
class Family:
    """One metric family: its name, help text, type, label names and samples."""

    name: str
    help: str
    kind: str  # "counter" or "gauge"
    labels: tuple[str, ...] = ()
    values: dict[tuple[str, ...], float] = field(default_factory=dict)

    def inc(self, *label_values: str, amount: float = 1) -> None:
        """Add ``amount`` to the sample with these label values."""
        key = tuple(label_values)
        if key not in self.values and len(self.values) >= MAX_LABEL_VALUES:
            key = tuple("other" for _ in label_values)
        self.values[key] = self.values.get(key, 0) + amount

    def set(self, *label_values: str, value: float) -> None:
        """Set the sample with these label values."""
        self.values[tuple(label_values)] = value

    def lines(self) -> list[str]:
        """The family in the text format."""
        out = [f"# HELP {self.name} {_escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]
        for key in sorted(self.values):
            value = _number(self.values[key])
            if self.labels:
                pairs = ",".join(
                    f'{label}="{_escape_label(item)}"'
                    for label, item in zip(self.labels, key, strict=True)
                )
                out.append(f"{self.name}{{{pairs}}} {value}")
            else:
                out.append(f"{self.name} {value}")
        return out


def render(families: Iterable[Family]) -> str:
    """The text exposition of ``families`` (ends with a newline)."""
    return "".join(line + "\n" for family in families for line in family.lines())


class ExchangeCounters:
    """The in-process counters of the exchange, fed by both APIs."""

    def __init__(self) -> None:
        self.accepted = Family(
            "gateway_packages_accepted_total",
            "Packages accepted and stored, by kind and the API that received them.",
            "counter",
            ("kind", "api"),
        )
        self.repeated = Family(
            "gateway_packages_repeated_total",
            "Sends of an already accepted package, answered with the original id (idempotent).",
            "counter",
            ("kind", "api"),
        )
        self.rejected = Family(
            "gateway_packages_rejected_total",
            "Sends refused, by the stable error code answered (AUTH_*, EDXML_*, RECIPIENT_*, ...).",
            "counter",
            ("code", "api"),
        )
        self.confirmed = Family(
            "gateway_confirmations_total",
            "Copies confirmed by their receiving system (updateStatus / confirm), repeats "
            "excluded, by status done or fail.",
            "counter",
            ("status", "api"),
        )
        self.reset()

    def reset(self) -> None:
        """Forget every count (tests); the known label sets start at zero."""
        for family in self.families():
            family.values.clear()
        for api in ("native", "vxp"):
            for kind in ("edoc", "status"):
                self.accepted.set(kind, api, value=0)
            for status in ("done", "fail"):
                self.confirmed.set(status, api, value=0)

    def families(self) -> Sequence[Family]:
        """Every counter family."""
        return (self.accepted, self.repeated, self.rejected, self.confirmed)


#: The process's counters.
COUNTERS = ExchangeCounters()


def record_accepted(api: str, kind: str, *, created: bool) -> None:
    """Count a send the node answered with a document id (``created`` False: a repeat)."""
    family = COUNTERS.accepted if created else COUNTERS.repeated
    family.inc(kind, api)


def record_rejected(api: str, code: str) -> None:
    """Count a send refused with ``code``."""
    COUNTERS.rejected.inc(code, api)


def record_confirmed(api: str, status: str, *, changed: bool = True) -> None:
    """Count a ``done``/``fail`` confirmation; a repeat (``changed`` False) is not counted."""
    if changed:
        COUNTERS.confirmed.inc(status, api)


def store_gauges(stats: dict[str, int] | None) -> list[Family]:
    """Gauges from the store's statistics; ``stats`` None means the store did not answer."""
    up = Family("gateway_store_up", "1 when the store answered this scrape, else 0.", "gauge")
    up.set(value=0 if stats is None else 1)
    if stats is None:
        return [up]
    deliveries = Family(
        "gateway_deliveries",
        "Recipient copies by state (" + ", ".join(s.value for s in DeliveryState) + ").",
        "gauge",
        ("state",),
    )
    outbox = Family(
        "gateway_outbox_pending",
        "Outbox rows committed but not yet published to the bus (queue lag).",
        "gauge",
    )
    documents = Family("gateway_documents", "Packages stored.", "gauge")
    for key, value in stats.items():
        if key.startswith("deliveries_"):
            deliveries.set(key.removeprefix("deliveries_"), value=value)
        elif key == "outbox_pending":
            outbox.set(value=value)
        elif key == "documents":
            documents.set(value=value)
    return [up, deliveries, outbox, documents]


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format."}},
)
async def metrics(request: Request) -> Response:
    """Counters of this process and gauges read from the store, in the Prometheus text format."""
    runtime = current_runtime(request)
    stats: dict[str, int] | None = None
    if runtime is not None:
        try:
            stats = await asyncio.wait_for(runtime.store.stats(), STATS_TIMEOUT)
        except (StoreUnavailable, TimeoutError) as exc:
            log.warning("metrics: store statistics unavailable", error=str(exc))
    families = [*COUNTERS.families(), *store_gauges(stats)]
    if runtime is not None and runtime.notifier is not None:
        offered = Family(
            "gateway_copies_offered_total",
            "Copies put in a receiving system's pull list at accept, by system (notify events "
            "consumed by this process's workers).",
            "counter",
            ("system",),
        )
        for system_id, count in runtime.notifier.offered.items():
            offered.inc(system_id, amount=count)
        families.append(offered)
    return Response(render(families), media_type=CONTENT_TYPE)
