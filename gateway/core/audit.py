"""The audit log: append-only and hash-chained, so that a changed, removed or inserted entry shows.

Every entry holds ``seq`` (1, 2, 3, ... without gaps), the actor, the time, the action, the
target, the reason, ``before``/``after`` (JSON), the channel, ``prev_hash`` (the hash of entry
``seq - 1``; :data:`GENESIS` for the first) and its own ``hash``::

    hash = SHA-256(prev_hash + canonical(entry))

where :func:`canonical` is the entry's fields (all but the two hashes) as JSON with sorted keys,
no spaces, UTF-8, the time in UTC ISO 8601 with microseconds. The store also keeps the head of
the chain (last ``seq`` and ``hash``) in its own row, written with each entry, so that removing
the *last* entries shows too. Appends are serialised by the store (one at a time per database),
so two concurrent appends cannot both chain onto the same entry.

The chain proves integrity against anyone who edits rows without recomputing the hashes after
them (an operator with SQL access, a bad migration, a restored partial backup); it is no
signature: someone who can rewrite the whole table from the edited entry on can forge it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from gateway.core.actors import Action, AuditRecord, Channel
from gateway.core.clock import VN_TZ, Clock

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64
#: Entries read per query while verifying.
VERIFY_BATCH = 1000


def json_ready(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``value`` as plain JSON types (what the store keeps and the hash covers): dates become
    ISO strings, enums their values, tuples lists."""
    if value is None:
        return None
    result: dict[str, Any] = json.loads(json.dumps(dict(value), default=str, ensure_ascii=False))
    return result


def utc_text(at: datetime) -> str:
    """An instant as the canonical form writes it: UTC, microseconds, ``Z``."""
    if at.tzinfo is None:
        raise ValueError("audit times are aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class AuditEntry:
    """One chained entry of the audit log, as stored."""

    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    channel: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, as the CLI and the API show it: the time in +07:00."""
        return {
            "seq": self.seq,
            "at": self.at.astimezone(VN_TZ).isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "reason": self.reason,
            "before": self.before,
            "after": self.after,
            "channel": self.channel,
            "extra": self.extra,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    def canonical(self) -> bytes:
        """The entry's fields but the hashes, canonical JSON (sorted keys, no spaces, UTF-8)."""
        return canonical(self)

    def computed_hash(self) -> str:
        """What :attr:`hash` must be: SHA-256(prev_hash + canonical form), hex."""
        return chain_hash(self.prev_hash, self.canonical())


def canonical(entry: AuditEntry) -> bytes:
    """The canonical form of ``entry`` (see the module's docstring)."""
    body = {
        "seq": entry.seq,
        "at": utc_text(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "reason": entry.reason,
        "before": entry.before,
        "after": entry.after,
        "channel": entry.channel,
        "extra": entry.extra,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, canonical_form: bytes) -> str:
    """SHA-256 of the previous entry's hash (hex, as ASCII) followed by the canonical form."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_form).hexdigest()


def chained(record: AuditRecord, *, seq: int, at: datetime, prev_hash: str) -> AuditEntry:
    """The entry that appends ``record`` after an entry of hash ``prev_hash``."""
    entry = AuditEntry(
        seq=seq,
        at=at.astimezone(UTC),
        actor=record.actor[:100],
        action=Action(record.action).value,
        target=record.target[:200],
        reason=record.reason,
        before=json_ready(record.before),
        after=json_ready(record.after),
        channel=Channel(record.channel).value if record.channel is not None else None,
        extra=json_ready(record.extra) or {},
        prev_hash=prev_hash,
    )
    return AuditEntry(**{**entry.__dict__, "hash": entry.computed_hash()})


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found: ``ok`` and the number of entries, or the first broken one."""

    ok: bool
    entries: int
    broken_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "ok": self.ok,
            "entries": self.entries,
            "broken_seq": self.broken_seq,
            "problem": self.problem,
        }


class ChainCheck:
    """Walks entries in ``seq`` order and stops at the first that breaks the chain."""

    def __init__(self) -> None:
        self.count = 0
        self.last_seq = 0
        self.last_hash = GENESIS
        self.broken: Verdict | None = None

    def feed(self, entry: AuditEntry) -> bool:
        """Check the next entry; False (and :attr:`broken` set) when it breaks the chain."""
        expected = self.last_seq + 1
        problem = None
        if entry.seq != expected:
            problem = f"entry {entry.seq} follows entry {self.last_seq}: " + (
                f"entry {expected} is missing" if entry.seq > expected else "out of order"
            )
        elif entry.prev_hash != self.last_hash:
            problem = f"entry {entry.seq} does not chain onto entry {self.last_seq}"
        elif entry.hash != entry.computed_hash():
            problem = f"entry {entry.seq} was changed (its hash does not match its content)"
        if problem is not None:
            self.broken = Verdict(False, self.count, entry.seq, problem)
            return False
        self.count += 1
        self.last_seq, self.last_hash = entry.seq, entry.hash
        return True

    def finish(self, head: tuple[int, str] | None) -> Verdict:
        """The verdict once every entry was fed; ``head`` is the stored (seq, hash) of the
        last entry appended, None when nothing was ever appended."""
        if self.broken is not None:
            return self.broken
        head_seq, head_hash = head or (0, GENESIS)
        if head_seq > self.last_seq:
            missing = self.last_seq + 1
            return Verdict(
                False,
                self.count,
                missing,
                f"entries {missing}..{head_seq} are missing (the head records {head_seq})",
            )
        if head_seq < self.last_seq:
            return Verdict(
                False,
                self.count,
                head_seq + 1,
                f"entry {head_seq + 1} was added outside the log (the head records {head_seq})",
            )
        if head_hash != self.last_hash:
            return Verdict(
                False, self.count, head_seq, f"entry {head_seq} differs from the recorded head"
            )
        return Verdict(True, self.count)


class AuditStore(Protocol):
    """Where the chained entries live (:class:`gateway.store.audit.SqlAudit`)."""

    async def append_audit(self, record: AuditRecord, at: datetime) -> AuditEntry:
        """Chain ``record`` onto the last entry and store it with the new head, serialised
        against concurrent appends (one transaction)."""
        ...

    async def audit_entries(
        self,
        *,
        limit: int,
        after_seq: int | None = None,
        before_seq: int | None = None,
        action: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> list[AuditEntry]:
        """Entries matching the filters: ascending from ``after_seq``, or (with
        ``before_seq``, or neither) newest first below it."""
        ...

    async def audit_head(self) -> tuple[int, str] | None:
        """(seq, hash) of the last appended entry as recorded, or None for an empty log."""
        ...


class AuditLog:
    """The node's audit sink (:class:`gateway.core.actors.AuditSink`), its pages and its check."""

    def __init__(self, store: AuditStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def append(self, record: AuditRecord) -> None:
        """Append ``record`` at the clock's current time."""
        await self.store.append_audit(record, self.clock.now())

    async def page(
        self,
        *,
        limit: int = 50,
        before_seq: int | None = None,
        action: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> list[AuditEntry]:
        """One page, newest first, strictly below ``before_seq`` (the last seq of the previous
        page) when given."""
        if action is not None:
            action = Action(action).value  # ValueError for an unknown action: the caller's fault
        return await self.store.audit_entries(
            limit=limit, before_seq=before_seq, action=action, actor=actor, since=since
        )

    async def entries(self, after_seq: int = 0) -> AsyncIterator[AuditEntry]:
        """Every entry after ``after_seq``, oldest first, read in batches."""
        after = after_seq
        while True:
            batch = await self.store.audit_entries(limit=VERIFY_BATCH, after_seq=after)
            for entry in batch:
                yield entry
            if len(batch) < VERIFY_BATCH:
                return
            after = batch[-1].seq

    async def verify(self) -> Verdict:
        """Walk the whole chain: ok with the number of entries, or the first broken entry."""
        check = ChainCheck()
        async for entry in self.entries():
            if not check.feed(entry):
                return check.finish(None)
        # The head is read after the walk (rows added outside the log then show as entries
        # past it); entries appended meanwhile by the node are walked too before comparing.
        for _ in range(5):
            head = await self.store.audit_head()
            if head is None or head[0] <= check.last_seq:
                break
            fed = 0
            async for entry in self.entries(check.last_seq):
                fed += 1
                if not check.feed(entry):
                    return check.finish(head)
            if not fed:
                break
        return check.finish(head)
