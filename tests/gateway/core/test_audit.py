"""The audit chain: canonical form, hashes, and the check that finds the first broken entry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.core.actors import Action, AuditRecord, Channel
from gateway.core.audit import GENESIS, AuditEntry, ChainCheck, canonical, chained

AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=7)))


def chain(n: int) -> list[AuditEntry]:
    """``n`` chained entries, one minute apart."""
    entries: list[AuditEntry] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        record = AuditRecord(
            actor="alice",
            action=Action.SYSTEM_ADDED,
            target=f"system:sys-{seq}",
            after={"grants": ["H14"], "n": seq},
            channel=Channel.CLI,
        )
        entry = chained(record, seq=seq, at=AT + timedelta(minutes=seq), prev_hash=prev)
        entries.append(entry)
        prev = entry.hash
    return entries


def check(entries: list[AuditEntry]) -> ChainCheck:
    """A ChainCheck fed with ``entries`` until the first broken one."""
    found = ChainCheck()
    for entry in entries:
        if not found.feed(entry):
            break
    return found


def test_canonical_form_is_sorted_compact_utf8_with_utc_times() -> None:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (not escaped), the time in UTC with Z."""
    record = AuditRecord(
        actor="bảo", action=Action.CALENDAR_OVERRIDE, target="calendar:2026-09-01",
        reason="Thông báo 1", after={"b": 1, "a": [1, 2]}, channel=Channel.TOKEN,
    )  # fmt: skip
    entry = chained(record, seq=1, at=AT, prev_hash=GENESIS)
    text = canonical(entry).decode("utf-8")
    assert text == (
        '{"action":"calendar_override","actor":"bảo","after":{"a":[1,2],"b":1},'
        '"at":"2026-03-02T02:30:00.000000Z","before":null,"channel":"token","extra":{},'
        '"reason":"Thông báo 1","seq":1,"target":"calendar:2026-09-01"}'
    )
    assert json.loads(text)["at"].endswith("Z")


def test_hash_is_sha256_of_previous_hash_and_canonical_form() -> None:
    """hash = SHA-256(prev_hash + canonical form); the first entry chains onto GENESIS."""
    first, second = chain(2)
    assert first.prev_hash == GENESIS
    assert first.hash == hashlib.sha256(GENESIS.encode() + canonical(first)).hexdigest()
    assert second.prev_hash == first.hash
    assert second.hash == hashlib.sha256(first.hash.encode() + canonical(second)).hexdigest()


def test_the_same_instant_in_any_zone_hashes_alike() -> None:
    """An instant is hashed in UTC: +07:00 and UTC spellings give one hash."""
    record = AuditRecord(actor="a", action=Action.SIGN_IN, target="user:a")
    vn = chained(record, seq=1, at=AT, prev_hash=GENESIS)
    utc = chained(record, seq=1, at=AT.astimezone(UTC), prev_hash=GENESIS)
    assert vn.hash == utc.hash


def test_values_are_made_json_ready_before_hashing() -> None:
    """Dates and tuples in before/after become strings and lists: what is stored is hashed."""
    record = AuditRecord(
        actor="a", action=Action.SYSTEM_GRANTED, target="system:x",
        before={"grants": ("H14",)}, after={"on": AT.date()},
    )  # fmt: skip
    entry = chained(record, seq=1, at=AT, prev_hash=GENESIS)
    assert entry.before == {"grants": ["H14"]}
    assert entry.after == {"on": "2026-03-02"}


def test_an_intact_chain_verifies() -> None:
    """Every entry chains onto the one before and the head matches: ok with the count."""
    entries = chain(5)
    verdict = check(entries).finish((5, entries[-1].hash))
    assert verdict.ok
    assert verdict.entries == 5


@pytest.mark.parametrize(
    ("tamper", "broken"),
    [
        (lambda e: [*e[:2], replace(e[2], reason="edited"), *e[3:]], 3),
        (lambda e: [*e[:2], replace(e[2], after={"n": 99}), *e[3:]], 3),
        (lambda e: [e[0], *e[2:]], 3),
        (lambda e: e[1:], 2),
        (lambda e: [*e[:2], replace(e[3], seq=3), *e[4:]], 3),
    ],
    ids=["reason edited", "after edited", "entry 2 removed", "first removed", "renumbered"],
)
def test_a_tampered_chain_names_the_first_broken_entry(
    tamper: Callable[[list[AuditEntry]], list[AuditEntry]], broken: int
) -> None:
    """A changed, removed or renumbered entry breaks the chain at the first entry affected."""
    entries = chain(5)
    verdict = check(tamper(entries)).finish((5, entries[-1].hash))
    assert not verdict.ok
    assert verdict.broken_seq == broken
    assert verdict.problem


def test_removing_the_newest_entries_shows_against_the_head() -> None:
    """The head records the last seq: a chain cut short is broken at the first missing entry."""
    entries = chain(5)
    verdict = check(entries[:3]).finish((5, entries[-1].hash))
    assert (verdict.ok, verdict.broken_seq) == (False, 4)


def test_an_entry_added_outside_the_log_shows_against_the_head() -> None:
    """A well-chained entry appended by SQL (head not moved) is named as the broken one."""
    entries = chain(6)
    verdict = check(entries).finish((5, entries[4].hash))
    assert (verdict.ok, verdict.broken_seq) == (False, 6)


def test_an_empty_log_verifies_with_no_entries() -> None:
    """Nothing appended, nothing stored: ok with 0 entries."""
    verdict = ChainCheck().finish(None)
    assert (verdict.ok, verdict.entries) == (True, 0)
