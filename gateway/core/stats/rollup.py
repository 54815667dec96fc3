"""The rollup worker's decisions: which cells a batch's subjects count in, and how far the
watermark may move.

The worker consumes ``delivery_events`` in ``event_id`` order. Ids are taken when a transaction
inserts its entries, and transactions commit in any order, so an id below the newest one seen may
still be missing: a transaction in flight (it will show soon) or one rolled back (never). The
watermark stops below such a gap until the first entry after it is :data:`GAP_SECONDS` old (no
accept or confirm runs that long); what lies past the gap is applied at once and remembered, so
nothing is counted late or twice (applying a subject again changes nothing anyway: cells are kept
by difference).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from business_calendar.calendar import BusinessCalendar
from gateway.core.stats.facts import Cell, CopyFact, DocumentFact, copy_cells, document_cells

#: Seconds after which a gap in the entry ids is taken for a rolled-back transaction.
GAP_SECONDS = 30.0
#: The document subjects' prefix (a copy's subject is its delivery id).
DOCUMENT = "d:"


def subject_cells(
    documents: Sequence[DocumentFact], copies: Sequence[CopyFact], calendar: BusinessCalendar
) -> dict[str, Counter[Cell]]:
    """Every loaded subject's cells now."""
    out: dict[str, Counter[Cell]] = {DOCUMENT + d.document_id: document_cells(d) for d in documents}
    for copy in copies:
        out[copy.delivery_id] = copy_cells(copy, calendar)
    return out


@dataclass(frozen=True, slots=True)
class Seen:
    """One history entry after the watermark: its id, its copy and when it was written."""

    event_id: int
    delivery_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Batch:
    """What one tick loaded: the entries read, and the current facts of what they concern."""

    events: tuple[Seen, ...]
    documents: tuple[DocumentFact, ...]
    copies: tuple[CopyFact, ...]
    watermark: int


@dataclass(frozen=True, slots=True)
class TickPlan:
    """What the caller computed of a batch: each subject's cells now, and the new watermark."""

    cells: Mapping[str, Counter[Cell]]
    watermark: int


@dataclass(frozen=True, slots=True)
class TickResult:
    """What one tick did."""

    events: int
    subjects: int
    changed: int  # subjects whose cells changed
    cells: int  # cell rows written
    watermark: int
    marks: int = 0  # copies marked by ``calendar recompute`` counted again
    #: Calendar versions of marked copies left for a later tick (the worker's calendar differs).
    deferred: frozenset[str] = frozenset()


#: Most missing ids a tick asks for by id; beyond, it reads on from the watermark.
MAX_MISSING = 1000


@dataclass
class Watermark:
    """The watermark and the entries applied past it (held at a gap), with their write times."""

    value: int = 0
    applied: dict[int, datetime] = field(default_factory=dict)

    def skip(self, event_id: int) -> bool:
        """True when the entry was applied already."""
        return event_id in self.applied

    def reading(self) -> tuple[int, tuple[int, ...]]:
        """What the next tick reads: the entries after this id, and these missing ids."""
        if not self.applied:
            return self.value, ()
        top = max(self.applied)
        missing = tuple(i for i in range(self.value + 1, top) if i not in self.applied)
        if len(missing) > MAX_MISSING:
            return self.value, ()
        return top, missing

    def forget(self) -> None:
        """Start afresh from the stored watermark (after a failed tick)."""
        self.value, self.applied = -1, {}

    def advance(
        self,
        stored: int,
        seen: Sequence[tuple[int, datetime]],
        now: datetime,
        gap: float = GAP_SECONDS,
    ) -> int:
        """The new watermark after applying the entries ``seen`` (id, written at) past
        ``stored``: up to the first gap before an entry younger than ``gap`` seconds."""
        if stored != self.value:  # another worker moved it, or a restart: start afresh
            self.value, self.applied = stored, {}
        self.applied.update(seen)
        mark = stored
        recent = now - timedelta(seconds=gap)
        for event_id in sorted(self.applied):
            if event_id != mark + 1 and self.applied[event_id] > recent:
                break  # a gap just before a recent entry: a transaction may still commit
            mark = event_id
        self.applied = {i: at for i, at in self.applied.items() if i > mark}
        self.value = mark
        return mark
