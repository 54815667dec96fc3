"""Bodies of the statistics API (``/api/v1/stats``, docs/statistics.md).

Counts are integers, shares are fractions in [0, 1] rounded to 4 places (null when there is
nothing to judge), delays are whole minutes; periods are closed ranges of local (+07:00) dates.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from schemas.timestamps import VnDateTime


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class StatsPeriod(_Body):
    """The period the figures cover."""

    label: str = Field(examples=["2026-H1"])
    kind: str = Field(description="day, week, month, quarter, half, year or range")
    start: dt.date
    end: dt.date = Field(description="Included.")


class StatsRedirect(_Body):
    """A merged agency counted under its successor."""

    source: str = Field(examples=["H99"])
    target: str = Field(examples=["H14"])


class StatsScope(_Body):
    """Which agencies the figures count."""

    code: str | None = Field(description="The agency asked for; null: the whole node.")
    name: str | None = None
    whole: bool = Field(description="Every agency of the node is counted.")
    agencies: list[str] = Field(description="The agency codes counted (its registry subtree).")
    redirects: list[StatsRedirect] = Field(
        description="Merged agencies whose history follows their successor in this scope."
    )


class StatsFreshness(_Body):
    """How far the rollups are: every history entry up to ``watermark`` is counted."""

    watermark: int
    newest: int = Field(description="The newest history entry's id.")
    updated_at: VnDateTime | None = None
    recount: int = Field(
        0,
        description="Copies whose legal measures `calendar recompute` rewrote and that the "
        "worker has not counted again yet (0 when every figure follows the current calendar).",
    )


class StatsDelay(_Body):
    """p50/p95 of a delay in minutes (nearest rank over delays floored to their step: exact
    below 64 minutes, within 3.1 % above; docs/statistics.md "Percentiles")."""

    count: int
    p50: int | None
    p95: int | None


class StatsNotice(_Body):
    """Same-day receipt notices (01/03) of received copies (NĐ 30/2020 Art. 21(2)(b))."""

    on_time: int
    late: int
    missing: int = Field(description="No notice, and the deadline passed.")
    pending: int = Field(description="No notice yet, the deadline not passed.")
    share_on_time: float | None


class StatsProcessing(_Body):
    """Processing finished (06) by the document's DueDate."""

    on_time: int
    late: int
    overdue_open: int
    open: int
    share_on_time: float | None


class StatsCopies(_Body):
    """The copies of one side: the agency as sender, or as recipient."""

    copies: int
    urgent: int
    by_scope: dict[str, int]
    outcomes: dict[str, int] = Field(description="received, failed, pending, removed")
    failed_by_code: dict[str, int]
    replayed: int = Field(description="Copies that failed and then arrived or were offered again.")
    technical_delay: StatsDelay = Field(description="Accept → confirmation, minutes.")
    legal_delay: StatsDelay = Field(description="Working minutes from sending to receipt.")
    out_of_hours: int
    out_of_hours_share: float | None
    notice: StatsNotice
    statuses: dict[str, int] = Field(description="Copies with a 02, 13, 15, 16 recorded.")
    rejection_reasons: dict[str, int]
    processing: StatsProcessing
    backlog: dict[str, int] = Field(description="Copies waiting, by age in working hours.")
    receipts_by_hour: dict[str, int] = Field(
        description="Received copies by `W-HH`: ISO weekday (Monday 1) and local hour (+07:00)."
    )


class StatsDocuments(_Body):
    """The documents sent (once each)."""

    sent: int
    urgent: int
    urgent_share: float | None
    by_priority: dict[str, int]
    by_operation: dict[str, int]
    by_type: dict[str, int]
    by_scope: dict[str, int]
    send_on_time: int
    send_late: int
    send_unknown: int
    send_on_time_share: float | None
    signatures: dict[str, int]


class StatsFigures(_Body):
    """Every figure of a scope and period."""

    documents: StatsDocuments
    as_sender: StatsCopies
    as_recipient: StatsCopies


class StatsSummary(_Body):
    """``GET /api/v1/stats/summary``."""

    period: StatsPeriod
    scope: StatsScope
    generated_at: VnDateTime
    freshness: StatsFreshness
    figures: StatsFigures


class StatsColumn(_Body):
    """A column of a table: its key and its Vietnamese heading."""

    key: str
    heading: str


class StatsTable(_Body):
    """``GET /api/v1/stats/tables/{name}``: one table of figures."""

    name: str
    title: str
    period: StatsPeriod
    scope: StatsScope
    generated_at: VnDateTime
    columns: list[StatsColumn]
    rows: list[list[str | int | float | None]]
