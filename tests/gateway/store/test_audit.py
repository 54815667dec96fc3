"""The hash-chained audit log in the store, on both backends: appends, pages, concurrent
appends, and tampering with rows by SQL (changed, removed, inserted) found by ``verify``."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from gateway.core.actors import Action, AuditRecord, Channel
from gateway.core.audit import AuditLog, chained
from gateway.core.clock import FrozenClock
from gateway.store.audit import SqlAudit
from gateway.store.repository import SqlStore
from tests.gateway.store.conftest import NOW


@pytest.fixture
def audit(store: SqlStore) -> AuditLog:
    """The audit log of a fresh store, its clock frozen."""
    return AuditLog(SqlAudit(store.engine), FrozenClock(NOW))


def record(n: int, actor: str = "alice", action: Action = Action.SYSTEM_ADDED) -> AuditRecord:
    """A record about system ``sys-n``."""
    return AuditRecord(
        actor=actor,
        action=action,
        target=f"system:sys-{n}",
        reason=f"ticket {n}",
        before={"enabled": False},
        after={"enabled": True, "grants": ["H14", "Cao Bằng"]},
        channel=Channel.CLI,
    )


async def filled(audit: AuditLog, n: int = 5) -> AuditLog:
    """``audit`` with ``n`` entries appended."""
    for i in range(1, n + 1):
        await audit.append(record(i))
    return audit


async def sql(store: SqlStore, statement: str, **params: object) -> None:
    """Run one statement in its own transaction."""
    async with store.engine.begin() as connection:
        await connection.execute(text(statement), params)


async def test_entries_are_chained_and_read_back_intact(audit: AuditLog) -> None:
    """Appended entries get seq 1..n, chain onto each other and verify."""
    await filled(audit)
    entries = [e async for e in audit.entries()]
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[0].after == {"enabled": True, "grants": ["H14", "Cao Bằng"]}
    assert entries[0].at == NOW
    verdict = await audit.verify()
    assert (verdict.ok, verdict.entries) == (True, 5)


async def test_pages_newest_first_with_filters(audit: AuditLog) -> None:
    """A page is newest first below a seq; action, actor and since filter it."""
    await filled(audit, 4)
    await audit.append(record(9, actor="bob", action=Action.SYSTEM_DISABLED))
    assert [e.seq for e in await audit.page(limit=2)] == [5, 4]
    assert [e.seq for e in await audit.page(limit=2, before_seq=4)] == [3, 2]
    assert [e.seq for e in await audit.page(action="system_disabled")] == [5]
    assert [e.seq for e in await audit.page(actor="alice")] == [4, 3, 2, 1]
    assert await audit.page(since=NOW + timedelta(seconds=1)) == []
    with pytest.raises(ValueError, match="not_an_action"):
        await audit.page(action="not_an_action")


async def test_concurrent_appends_never_fork_the_chain(store: SqlStore) -> None:
    """Appends from two sinks at once (as two processes would) queue up: one chain, no gaps."""
    clock = FrozenClock(NOW)
    one, two = AuditLog(SqlAudit(store.engine), clock), AuditLog(SqlAudit(store.engine), clock)
    await asyncio.gather(*(sink.append(record(i)) for i in range(15) for sink in (one, two)))
    verdict = await one.verify()
    assert (verdict.ok, verdict.entries) == (True, 30)


async def test_a_changed_reason_is_found(store: SqlStore, audit: AuditLog) -> None:
    """UPDATE of one entry's reason: verify names that entry."""
    await filled(audit)
    await sql(store, "UPDATE audit_log SET reason = 'nothing happened' WHERE seq = 3")
    verdict = await audit.verify()
    assert (verdict.ok, verdict.broken_seq) == (False, 3)
    assert "changed" in (verdict.problem or "")


async def test_a_changed_json_value_is_found(store: SqlStore, audit: AuditLog) -> None:
    """UPDATE of an entry's after JSON: verify names that entry."""
    await filled(audit)
    after = json.dumps({"enabled": False, "grants": ["H14"]})
    await sql(store, "UPDATE audit_log SET after = :after WHERE seq = 2", after=after)
    assert (await audit.verify()).broken_seq == 2


async def test_a_changed_actor_and_recomputed_own_hash_is_found(
    store: SqlStore, audit: AuditLog
) -> None:
    """Even with its own hash recomputed, a changed entry breaks the link of the next one."""
    await filled(audit)
    (third,) = [e async for e in audit.entries() if e.seq == 3]
    forged = chained(
        AuditRecord(actor="mallory", action=Action.SYSTEM_ADDED, target=third.target),
        seq=3,
        at=third.at,
        prev_hash=third.prev_hash,
    )
    await sql(
        store,
        "UPDATE audit_log SET actor = 'mallory', reason = NULL, before = NULL, after = NULL, "
        "channel = NULL, hash = :hash WHERE seq = 3",
        hash=forged.hash,
    )
    verdict = await audit.verify()
    assert (verdict.ok, verdict.broken_seq) == (False, 4)


@pytest.mark.parametrize(("removed", "broken"), [(3, 4), (1, 2), (5, 5)])
async def test_a_removed_entry_is_found(
    store: SqlStore, audit: AuditLog, removed: int, broken: int
) -> None:
    """DELETE of an entry (the first, a middle one, the newest) breaks the chain there."""
    await filled(audit)
    await sql(store, "DELETE FROM audit_log WHERE seq = :seq", seq=removed)
    verdict = await audit.verify()
    assert (verdict.ok, verdict.broken_seq) == (False, broken)


async def test_an_entry_inserted_by_sql_is_found(store: SqlStore, audit: AuditLog) -> None:
    """INSERT of a well-formed, correctly hashed next entry (head not moved) is found."""
    await filled(audit)
    head = await SqlAudit(store.engine).audit_head()
    assert head is not None
    forged = chained(record(6, actor="mallory"), seq=6, at=NOW, prev_hash=head[1])
    await sql(
        store,
        "INSERT INTO audit_log (seq, at, actor, action, target, reason, before, after, channel, "
        "extra, prev_hash, hash) VALUES (:seq, :at, :actor, :action, :target, :reason, :before, "
        ":after, :channel, :extra, :prev, :hash)",
        seq=6, at=NOW, actor=forged.actor, action=forged.action, target=forged.target,
        reason=forged.reason, before=json.dumps(forged.before), after=json.dumps(forged.after),
        channel=forged.channel, extra="{}", prev=forged.prev_hash, hash=forged.hash,
    )  # fmt: skip
    verdict = await audit.verify()
    assert (verdict.ok, verdict.broken_seq) == (False, 6)


async def test_entries_swapped_out_of_order_are_found(store: SqlStore, audit: AuditLog) -> None:
    """Swapping the seq of two entries (reordering history) breaks the chain at the first."""
    await filled(audit)
    await sql(store, "UPDATE audit_log SET seq = 100 WHERE seq = 2")
    await sql(store, "UPDATE audit_log SET seq = 2 WHERE seq = 4")
    await sql(store, "UPDATE audit_log SET seq = 4 WHERE seq = 100")
    verdict = await audit.verify()
    assert (verdict.ok, verdict.broken_seq) == (False, 2)
