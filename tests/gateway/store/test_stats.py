"""Statistics rollups on SQLite and PostgreSQL: random histories (documents, copies, statuses,
failures, late receipts after a failure, at random instants across holidays and make-up
Saturdays), applied by the worker in random batches, give every figure the brute-force recount
from the raw tables gives."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.core.clock import VN_TZ, FrozenClock
from gateway.core.stats.figures import Figures
from gateway.core.stats.periods import Period, date_range, parse_period
from gateway.core.stats.recount import recount
from gateway.core.stats.scope import Scope, successor_of
from gateway.core.stats.service import Statistics
from gateway.core.stats.tables import agency_row
from gateway.store.repository import SqlStore
from gateway.workers.stats import StatsWorker
from tests.conftest import TEST_DATABASE_URL, require_service
from tests.gateway.store.conftest import open_store
from tests.gateway.store.stats_history import (
    DAYS,
    STATUS_CODES,
    CopySpec,
    DocSpec,
    History,
    legal_time,
    registry,
)

ACTIONS = st.tuples(
    st.sampled_from(["route", "confirm", "confirm", "receiver_fail", "fail", "status", "status"]),
    st.integers(0, 3 * 24 * 60),
    st.sampled_from(STATUS_CODES),
)
COPIES = st.builds(
    CopySpec,
    agency=st.integers(0, 7),
    mode=st.sampled_from(["local", "local", "local", "upstream", "unrouted"]),
    actions=st.lists(ACTIONS, max_size=4),
)
DOCUMENTS = st.builds(
    DocSpec,
    sender=st.integers(0, 7),
    day=st.integers(0, len(DAYS) - 1),
    minute=st.integers(0, 24 * 60 - 1),
    priority=st.integers(0, 3),
    business_type=st.integers(0, 3),
    notation=st.integers(0, 5),
    signature=st.integers(0, 4),
    promulgated=st.none() | st.integers(0, 4),
    due=st.none() | st.integers(0, 6),
    copies=st.lists(COPIES, min_size=1, max_size=3),
)
HISTORIES = st.lists(st.tuples(DOCUMENTS, st.booleans()), min_size=1, max_size=8)
AGENCY_SCOPES = (None, "H14", "H14.91", "000.00.91.H14", "G22", "vxp.saas.03", "H99", "H37")


def periods() -> list[Period]:
    """The periods compared: every day of the histories, a week, a month, quarters, the halves,
    a year, a range across a year's end."""
    found = [date_range(day, day) for day in DAYS]
    found += [parse_period(p) for p in ("2026-W10", "2026-03", "2026-Q1", "2026-H1", "2026-H2")]
    found += [parse_period("2025"), date_range(date(2025, 4, 1), date(2026, 3, 3))]
    return found


def daily_view(figures: Figures) -> tuple[object, ...]:
    """What the daily series holds of a day's figures."""
    sides = (figures.as_sender, figures.as_recipient)
    return figures.documents.sent, *((c.copies, c.outcomes) for c in sides)


async def check_history(backend: str, history: list[tuple[DocSpec, bool]], now_offset: int) -> None:
    """Write the history, ticking the worker where it says, and compare every figure."""
    with tempfile.TemporaryDirectory() as tmp:
        async with open_store(backend, Path(tmp)) as store:
            legal = legal_time()
            writer = History(store, legal)
            clock = FrozenClock(datetime(2026, 7, 2, 9, 0, tzinfo=VN_TZ))
            worker = StatsWorker(store, clock, lambda: legal.calendar, batch=7)
            for spec, tick in history:
                document_id, copy_ids, at = await writer.document(spec)
                if tick:
                    await worker.tick()
                for copy, copy_id in zip(spec.copies, copy_ids, strict=True):
                    when = at
                    for action, later, code in copy.actions:
                        when += timedelta(minutes=later)
                        await writer.act(document_id, copy_id, action, when, code)
                        if tick and later % 2:
                            await worker.tick()
            clock.at = writer.latest + timedelta(minutes=now_offset)
            await worker.catch_up()
            stats = Statistics(store, registry(), lambda: legal.calendar, clock)
            raw = await store.stats_raw()  # the raw tables, read once for every recount below
            counted: dict[tuple[date, date, Scope], Figures] = {}  # days recur in check_daily
            for agency in AGENCY_SCOPES:
                scope = await stats.scope(agency)

                def count(period: Period, scope: Scope = scope) -> Figures:
                    key = (period.start, period.end, scope)
                    if key not in counted:
                        counted[key] = recount(*raw, period, scope, clock.now(), legal.calendar)
                    return counted[key]

                for period in periods():
                    rolled = (await stats.summary(period, agency)).figures
                    assert asdict(rolled) == asdict(count(period)), (agency, period.label)
                assert count(periods()[0]) == await stats.recount(periods()[0], agency)
                await check_daily(stats, agency, count)
                for period in AGENCY_PERIODS:
                    await check_agencies(stats, store, scope, period, agency, count)


#: The daily series is read a year at a time; these two spans cover every day of the histories.
DAILY_SPANS = (
    date_range(date(2025, 4, 1), date(2026, 3, 31)),
    date_range(date(2026, 4, 1), date(2026, 12, 31)),
)
#: A day with no traffic, as the daily series reads it.
EMPTY_DAY = (0, (0, {}), (0, {}))


async def check_daily(
    stats: Statistics, agency: str | None, count: Callable[[Period], Figures]
) -> None:
    """Each day of the series with traffic (and each day of the histories) equals that day's
    recount; the days left unchecked are empty, and the span's volumes add up to its recount."""
    for span in DAILY_SPANS:
        series = await stats.daily(span, agency)
        assert [day for day, _ in series] == [
            span.start + timedelta(days=i) for i in range(span.days)
        ]
        sent = copies = 0
        for day, figures in series:
            view = daily_view(figures)
            if day in DAYS or view != EMPTY_DAY:
                assert view == daily_view(count(date_range(day, day))), (agency, day)
            sent += figures.documents.sent
            copies += figures.as_sender.copies + figures.as_recipient.copies
        whole = count(span)
        assert sent == whole.documents.sent, (agency, span.label)
        assert copies == whole.as_sender.copies + whole.as_recipient.copies, (agency, span.label)


#: The periods the per-agency table is compared over: a half year, a day, a range.
AGENCY_PERIODS = (
    parse_period("2026-H1"),
    date_range(date(2026, 3, 2), date(2026, 3, 2)),
    date_range(date(2025, 4, 1), date(2026, 3, 3)),
)


async def check_agencies(
    stats: Statistics,
    store: SqlStore,
    scope: Scope,
    period: Period,
    agency: str | None,
    count: Callable[..., Figures],
) -> None:
    """Each line of the per-agency table equals the recount of the agency's own codes (with the
    agencies merged into it); an agency without a line has nothing to count."""
    lines = {line.code: line for line in await stats.agencies(period, agency)}
    groups: dict[str, set[str]] = {}
    for key in await store.stats_agencies():
        if scope.whole or key in scope.keys:
            target, _ = successor_of(stats.registry, key)
            groups.setdefault(target, set()).add(key)
    seen = set()
    for target, keys in groups.items():
        record = stats.registry.get(target)
        code = record.primary if record is not None else target
        counted = count(period, Scope(code, None, frozenset(keys)))
        expected = agency_row(code, None, None, "", counted)[4:]
        line = lines.get(code)
        got = agency_row(code, None, None, "", line.figures)[4:] if line else (0,) * len(expected)
        assert got == expected, (agency, period.label, code)
        seen.add(code)
    assert set(lines) <= seen, (agency, period.label)


PROPERTY = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.slow
@pytest.mark.timeout(600)  # 12 histories, each on a fresh database, every scope and period
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
)
def test_rollups_equal_the_recount(backend: str) -> None:
    """Every figure of every scope and period equals the recount, for random histories."""
    if backend == "postgresql":
        require_service("PostgreSQL", TEST_DATABASE_URL, 5432)

    @PROPERTY
    @given(HISTORIES, st.integers(-600, 20 * 24 * 60))
    def run(history: list[tuple[DocSpec, bool]], now_offset: int) -> None:
        asyncio.run(check_history(backend, history, now_offset))

    run()


async def test_a_new_document_counts_after_one_tick(store: SqlStore) -> None:
    """A document accepted just now is in the figures once the worker ticked (freshness)."""
    legal = legal_time()
    writer = History(store, legal)
    spec = DocSpec(0, 4, 9 * 60, 1, 0, 0, 0, 0, 2, [CopySpec(1, "local")])
    _, _, at = await writer.document(spec)
    clock = FrozenClock(at + timedelta(seconds=5))
    worker = StatsWorker(store, clock, lambda: legal.calendar)
    stats = Statistics(store, registry(), lambda: legal.calendar, clock)
    day = date_range(at.date(), at.date())
    assert (await stats.summary(day)).figures.documents.sent == 0
    await worker.tick()
    summary = await stats.summary(day)
    assert summary.figures.documents.sent == 1
    assert summary.figures.documents.urgent == 1
    assert summary.figures.as_recipient.backlog["under_4h"] == 1
    assert summary.freshness.watermark == summary.freshness.newest
