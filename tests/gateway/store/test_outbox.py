"""The outbox shared by several relays: claims, their end, release on a failed publish, rows
handed to this process's relay at commit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from gateway.core import work
from gateway.store.outbox import CLAIM_SECONDS
from gateway.store.repository import SqlStore
from tests.gateway.store.conftest import NOW, plan


async def _queue(store: SqlStore, count: int) -> None:
    await store.add_outbox([work.route(f"d{i}", i % 3) for i in range(count)], NOW)


async def test_a_claimed_row_goes_to_one_relay_only(store: SqlStore) -> None:
    """Two relays claiming in turn get disjoint rows, urgent first; nothing is left over."""
    await _queue(store, 5)
    first = await store.claim_outbox(3, NOW)
    second = await store.claim_outbox(10, NOW)
    assert [i.priority for i in first] == sorted((i.priority for i in first), reverse=True)
    ids = [i.outbox_id for i in first] + [i.outbox_id for i in second]
    assert len(ids) == len(set(ids)) == 5
    assert await store.claim_outbox(10, NOW) == []


async def test_a_claimed_row_is_the_row_queued(store: SqlStore) -> None:
    """What a claim returns is what was queued: topic, id, body, priority, headers."""
    queued = work.notify("doc-1", [("dl-1", "sys-b")], 2, headers={"x-trace": "tầng 1"})
    await store.add_outbox([queued], NOW)
    (claimed,) = await store.claim_outbox(10, NOW)
    assert (claimed.topic, claimed.message_id, claimed.body, claimed.priority) == (
        queued.topic,
        queued.message_id,
        queued.body,
        queued.priority,
    )
    assert dict(claimed.headers) == {"x-trace": "tầng 1"}
    assert claimed.attempts == 0


async def test_a_claim_ends_and_a_failed_publish_releases_its_rows(store: SqlStore) -> None:
    """A dead relay's rows return when its claim ends; a failed publish returns them at once."""
    await _queue(store, 2)
    claimed = await store.claim_outbox(10, NOW)
    later = NOW + timedelta(seconds=CLAIM_SECONDS + 1)
    again = await store.claim_outbox(10, later)
    assert {i.outbox_id for i in again} == {i.outbox_id for i in claimed}
    await store.note_publish_failure([again[0].outbox_id], "broker refused")
    (retried,) = await store.claim_outbox(10, later)
    assert (retried.outbox_id, retried.attempts) == (again[0].outbox_id, 1)
    await store.mark_published([i.outbox_id for i in again], later)
    assert (await store.stats())["outbox_pending"] == 0


async def test_concurrent_claims_never_share_a_row(store: SqlStore) -> None:
    """Claims racing each other (SKIP LOCKED on PostgreSQL) still split the rows."""
    await _queue(store, 40)
    batches = await asyncio.gather(*(store.claim_outbox(7, NOW) for _ in range(8)))
    ids = [i.outbox_id for batch in batches for i in batch]
    assert len(ids) == len(set(ids)) == 40


async def test_an_accept_hands_its_rows_claimed_after_the_commit(store: SqlStore) -> None:
    """With a relay attached, an accept's outbox rows reach it after the commit, claimed: no
    other relay claims them; a failed accept hands nothing."""
    handed: list[list[int]] = []
    store.hand_outbox_to(lambda items: handed.append([i.outbox_id for i in items]))
    items = [work.route("d1", 0), work.route("d2", 1)]
    async with store.accepting() as unit:
        await unit.store(plan(), items)
        assert handed == []  # not before the commit
    assert len(handed) == 1
    assert len(set(handed[0])) == 2
    assert await store.claim_outbox(10, NOW) == []
    assert (await store.stats())["outbox_pending"] == 2
    with pytest.raises(RuntimeError):
        await _fail_after_writing(store)
    assert len(handed) == 1
    store.hand_outbox_to(None)
    async with store.accepting() as unit:
        await unit.store(plan(), [work.route("d4", 0)])
    assert len(handed) == 1
    assert [i.message_id for i in await store.claim_outbox(10, NOW)] == ["route:d4"]
    later = NOW + timedelta(seconds=CLAIM_SECONDS + 1)
    # The claim of a relay that died with handed rows ends like any other claim.
    assert set(handed[0]) < {i.outbox_id for i in await store.claim_outbox(10, later)}


async def _fail_after_writing(store: SqlStore) -> None:
    async with store.accepting() as unit:
        await unit.store(plan(), [work.route("d3", 0)])
        raise RuntimeError("the accept failed after writing")


async def test_pruning_deletes_only_rows_published_before_the_cutoff(store: SqlStore) -> None:
    """Old published rows go, oldest first and at most ``limit`` per call; rows published since
    the cutoff and unpublished rows stay, however old."""
    await _queue(store, 6)
    claimed = await store.claim_outbox(10, NOW)
    ids = [i.outbox_id for i in claimed]
    for day, outbox_id in enumerate(ids[:4]):  # published 1, 2, 3 and 4 days after NOW
        await store.mark_published([outbox_id], NOW + timedelta(days=day + 1))
    cutoff = NOW + timedelta(days=3, hours=12)  # rows of days 1-3 are older
    assert await store.prune_outbox(cutoff, 2) == 2
    assert await store.prune_outbox(cutoff, 2) == 1
    assert await store.prune_outbox(cutoff, 2) == 0
    later = NOW + timedelta(days=400)  # the two unpublished rows are still due
    again = await store.claim_outbox(10, later)
    assert sorted(i.outbox_id for i in again) == sorted(ids[4:])
    assert (await store.stats())["outbox_pending"] == 2
    assert await store.prune_outbox(later, 100) == 1  # the row of day 4; none unpublished


async def test_a_pruned_message_id_can_be_queued_again(store: SqlStore) -> None:
    """The unique message id is held only while the row lives: work queued again after its
    row was pruned is a new row (nothing relies on an old id being refused)."""
    await store.add_outbox([work.route("d1", 0)], NOW)
    (claimed,) = await store.claim_outbox(10, NOW)
    await store.mark_published([claimed.outbox_id], NOW)
    assert await store.prune_outbox(NOW + timedelta(seconds=1), 10) == 1
    await store.add_outbox([work.route("d1", 0)], NOW)
    (queued,) = await store.claim_outbox(10, NOW)
    assert queued.message_id == claimed.message_id
