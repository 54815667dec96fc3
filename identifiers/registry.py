"""The agency registry: lookups by either code form, subtree ownership, succession, history.

One record per agency, found by its QĐ 20 code, its QCVN 102 code, or, for ids of no known form
(``vxp.saas.03``), by the exact id as registered (agency-codes.md §4). Every mutation checks the
whole change before applying it, appends a dated history event, and raises a coded
:class:`identifiers.errors.IdentifierError` naming the offending field.

A registry is an in-memory object for one thread; the gateway persists it through the CSV/JSON
forms or its own store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields, replace
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

from identifiers import io
from identifiers.agency import Agency, AgencyStatus, EventKind, HistoryEvent
from identifiers.code import AgencyCode, as_code
from identifiers.code import owns as structurally_owns
from identifiers.errors import (
    AgencyDuplicate,
    AgencyInUse,
    AgencyInvalid,
    AgencyUnknown,
    IdentifierError,
    RegistryFileError,
)
from identifiers.succession import Resolution, check_chain, resolve

#: Vietnam's time zone (Asia/Ho_Chi_Minh, UTC+7, no DST; NĐ 30/2020 App. I). A stdlib-only leaf
#: keeps its own copy of edxml.VN_TZ (same name, same value).
VN_TZ = timezone(timedelta(hours=7), "+07:00")
#: Bundled data files (package data ``identifiers/data/*.csv``).
VERIFIED_CODES = "verified-codes.csv"
DEMO_CODES = "demo-codes.csv"

# Fields that change only through close/suspend/reactivate (status) or never by hand (history).
_LIFECYCLE_FIELDS = frozenset({"status", "history"})
_FIELD_NAMES = frozenset(item.name for item in fields(Agency))


def vietnam_today() -> date:
    """Today's date in Vietnam: the default clock of a registry."""
    return datetime.now(VN_TZ).date()


class Registry:
    """Registered agencies, in insertion order.

    ``today`` is the clock used when a date is not given (mutations, :meth:`resolve` without
    ``at``); tests pass a fixed one.
    """

    def __init__(
        self, agencies: Iterable[Agency] = (), *, today: Callable[[], date] = vietnam_today
    ) -> None:
        self._today = today
        self._records: dict[int, Agency] = {}
        self._index: dict[str, int] = {}  # normalised key of every code -> record id
        self._next_id = 0
        self._revision = 0
        self._load((f"agencies[{n}]", agency) for n, agency in enumerate(agencies))

    def _load(self, located: Iterable[tuple[str, Agency]]) -> None:
        """Insert records read in bulk, then check every succession chain once."""
        where: dict[int, str] = {}
        for location, agency in located:
            try:
                where[self._insert(agency)] = location
            except IdentifierError as error:
                raise error.located(location) from error
        for record_id, agency in self._records.items():
            if agency.successor is not None:
                try:
                    check_chain(agency, self.get)
                except IdentifierError as error:
                    raise error.located(where[record_id]) from error

    # -- construction and files -------------------------------------------------------------

    @classmethod
    def load_default(
        cls, *, demo: bool = True, today: Callable[[], date] = vietnam_today
    ) -> Registry:
        """The bundled registry: the verified codes, plus the demo set unless ``demo=False``.

        Every demo record has ``demo=True`` and a name ending in ``[DEMO]``.
        """
        data = resources.files("identifiers") / "data"
        located: list[tuple[str, Agency]] = []
        for name in (VERIFIED_CODES, DEMO_CODES) if demo else (VERIFIED_CODES,):
            text = (data / name).read_text(encoding="utf-8")
            located.extend((f"{name} {where}", agency) for where, agency in io.read_csv(text))
        registry = cls(today=today)
        registry._load(located)
        return registry

    @classmethod
    def from_csv_text(cls, text: str, *, today: Callable[[], date] = vietnam_today) -> Registry:
        """Build a registry from CSV text (registry format or seed format)."""
        registry = cls(today=today)
        registry._load(io.read_csv(text))
        return registry

    @classmethod
    def from_json_text(cls, text: str, *, today: Callable[[], date] = vietnam_today) -> Registry:
        """Build a registry from JSON text."""
        registry = cls(today=today)
        registry._load(io.read_json(text))
        return registry

    @classmethod
    def from_csv(cls, path: str | Path, *, today: Callable[[], date] = vietnam_today) -> Registry:
        """Read a registry CSV file (UTF-8, optional BOM)."""
        return cls.from_csv_text(io.read_text_file(path), today=today)

    @classmethod
    def from_json(cls, path: str | Path, *, today: Callable[[], date] = vietnam_today) -> Registry:
        """Read a registry JSON file (UTF-8)."""
        return cls.from_json_text(io.read_text_file(path), today=today)

    @classmethod
    def load(cls, path: str | Path, *, today: Callable[[], date] = vietnam_today) -> Registry:
        """Read a registry file, CSV or JSON by its extension."""
        suffix = Path(path).suffix.lower()
        if suffix == ".csv":
            return cls.from_csv(path, today=today)
        if suffix == ".json":
            return cls.from_json(path, today=today)
        raise RegistryFileError(f"{str(path)!r}: expected a .csv or .json file", field="path")

    def to_csv_text(self) -> str:
        """The registry as CSV text."""
        return io.write_csv(self._records.values())

    def to_json_text(self) -> str:
        """The registry as JSON text."""
        return io.write_json(self._records.values())

    def to_csv(self, path: str | Path) -> None:
        """Write the registry to a CSV file (UTF-8, no BOM)."""
        io.write_text_file(path, self.to_csv_text())

    def to_json(self, path: str | Path) -> None:
        """Write the registry to a JSON file (UTF-8)."""
        io.write_text_file(path, self.to_json_text())

    # -- queries ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Agency]:
        return iter(list(self._records.values()))

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str | AgencyCode) and self.get(code) is not None

    def agencies(self) -> list[Agency]:
        """Every registered agency, in insertion order."""
        return list(self._records.values())

    def get(self, code: AgencyCode | str) -> Agency | None:
        """The agency registered under ``code`` in either form (``G12`` or ``000.00.00.G12``)."""
        record_id = self._index.get(as_code(code).key)
        return None if record_id is None else self._records[record_id]

    def require(self, code: AgencyCode | str) -> Agency:
        """Like :meth:`get`, but raise :class:`AgencyUnknown` when nothing is registered."""
        agency = self.get(code)
        if agency is None:
            raise AgencyUnknown(f"no agency is registered as {str(code)!r}", field="code")
        return agency

    @property
    def revision(self) -> int:
        """A number that changes on every mutation (for caches of answers derived from it)."""
        return self._revision

    def resolve(self, code: AgencyCode | str, at: date | None = None) -> Resolution:
        """Where traffic to ``code`` goes on ``at`` (default today), following successors."""
        return resolve(code, self.get, self._today() if at is None else at)

    def owns(self, owner: AgencyCode | str, code: AgencyCode | str) -> bool:
        """Tell whether ``code`` lies in ``owner``'s subtree.

        True by structure (see :func:`identifiers.code.owns`) for any code of the owner's record
        in either form, or by registered parent links: the record of ``code`` (or of its nearest
        registered structural parent) has an ancestor owned by ``owner``.
        """
        return self._owner_test(owner)(as_code(code))

    def subtree(self, code: AgencyCode | str) -> list[Agency]:
        """The registered agencies in ``code``'s subtree, the agency itself included."""
        test = self._owner_test(code)
        return [a for a in self._records.values() if any(test(as_code(c)) for c in a.codes)]

    def _owner_test(self, owner: AgencyCode | str) -> Callable[[AgencyCode], bool]:
        owner_code = as_code(owner)
        owner_record = self.get(owner_code)
        owner_codes = [owner_code]
        if owner_record is not None:
            owner_codes.extend(as_code(code) for code in owner_record.codes)

        def by_structure(code: AgencyCode | str) -> bool:
            return any(structurally_owns(candidate, code) for candidate in owner_codes)

        def test(code: AgencyCode) -> bool:
            if by_structure(code):
                return True
            record = self.get(code)
            if record is None:
                record = next(filter(None, map(self.get, code.parents)), None)
            seen: set[str] = set()
            # Parent links may loop in bad data: stop at a repeat or after a bounded walk.
            while record is not None and record.primary not in seen and len(seen) < 64:
                if record is owner_record or any(map(by_structure, record.codes)):
                    return True
                seen.add(record.primary)
                record = self.get(record.parent) if record.parent is not None else None
            return False

        return test

    # -- mutations ----------------------------------------------------------------------------

    def add(self, agency: Agency, *, on: date | None = None) -> Agency:
        """Register a new agency; records a ``created`` event dated ``on`` (default today)."""
        record = self._with_event(agency, on, EventKind.CREATED)
        self._check_codes_free(record, None)
        self._check_succession(record)
        self._insert(record)
        return record

    def update(
        self, code: AgencyCode | str, /, *, on: date | None = None, **changes: object
    ) -> Agency:
        """Change fields of a registered agency (not ``status``/``history``).

        ``code`` is positional, so ``update("G12.18.01", code102="001.00.18.G12")`` and
        ``update("vxp.a", code="vxp.b")`` change the record's codes (re-indexed at once).

        A new name records ``renamed`` (old → new), a new successor ``succeeded_by``, anything else
        ``updated`` with the changed field names. Changing nothing records nothing.
        """
        record_id, record = self._find(code)
        for name in changes:
            if name not in _FIELD_NAMES:
                raise AgencyInvalid(f"agencies have no field {name!r}", field=name)
            if name in _LIFECYCLE_FIELDS:
                raise AgencyInvalid(
                    f"{name} changes through close/suspend/reactivate only", field=name
                )
        changed = replace(record, **changes)  # type: ignore[arg-type]
        names = [n for n in sorted(_FIELD_NAMES) if getattr(changed, n) != getattr(record, n)]
        if not names:
            return record
        day = self._day(on)
        events: list[HistoryEvent] = []
        if "name" in names:
            events.append(HistoryEvent(day, EventKind.RENAMED, f"{record.name} → {changed.name}"))
        if "successor" in names and changed.successor is not None:
            events.append(HistoryEvent(day, EventKind.SUCCEEDED_BY, changed.successor))
        others = [n for n in names if n not in {"name", "successor"}]
        if others:
            events.append(HistoryEvent(day, EventKind.UPDATED, ", ".join(others)))
        changed = replace(changed, history=(*record.history, *events))
        self._check_codes_free(changed, record_id)
        self._check_no_successor_lost(record, changed)
        self._check_succession(changed)
        self._replace(record_id, changed)
        return changed

    def close(
        self,
        code: AgencyCode | str,
        successor: AgencyCode | str | None = None,
        effective: date | None = None,
    ) -> Agency:
        """Close an agency as of ``effective`` (default today), optionally into ``successor``.

        From ``effective`` on, traffic to the code goes to the successor (or stops with
        ``closed_without_successor``); before it the agency is still itself. The successor must be
        registered and must not lead back to this agency.
        """
        record_id, record = self._find(code)
        if record.status is AgencyStatus.CLOSED:
            raise AgencyInvalid(f"{record.primary!r} is already closed", field="status")
        day = self._day(effective)
        successor_key = None if successor is None else as_code(successor).key
        events = [HistoryEvent(day, EventKind.CLOSED)]
        if successor_key is not None:
            events.append(HistoryEvent(day, EventKind.SUCCEEDED_BY, successor_key))
        closed = replace(
            record,
            status=AgencyStatus.CLOSED,
            closed_on=day,
            successor=successor_key,
            successor_effective=day if successor_key is not None else None,
            history=(*record.history, *events),
        )
        self._check_succession(closed)
        self._replace(record_id, closed)
        return closed

    def suspend(self, code: AgencyCode | str, *, on: date | None = None) -> Agency:
        """Suspend an active agency: it keeps its codes but takes no traffic."""
        record_id, record = self._find(code)
        if record.status is not AgencyStatus.ACTIVE:
            raise AgencyInvalid(f"{record.primary!r} is {record.status.value}", field="status")
        event = HistoryEvent(self._day(on), EventKind.SUSPENDED)
        suspended = replace(record, status=AgencyStatus.SUSPENDED, history=(*record.history, event))
        self._replace(record_id, suspended)
        return suspended

    def reactivate(self, code: AgencyCode | str, *, on: date | None = None) -> Agency:
        """Make a suspended or closed agency active again (drops closing date and successor)."""
        record_id, record = self._find(code)
        if record.status is AgencyStatus.ACTIVE:
            raise AgencyInvalid(f"{record.primary!r} is already active", field="status")
        event = HistoryEvent(self._day(on), EventKind.REACTIVATED)
        active = replace(
            record,
            status=AgencyStatus.ACTIVE,
            closed_on=None,
            successor=None,
            successor_effective=None,
            history=(*record.history, event),
        )
        self._replace(record_id, active)
        return active

    def delete(self, code: AgencyCode | str, *, on: date | None = None) -> Agency:
        """Remove an agency; returns the removed record with a final ``deleted`` event.

        Refused with :class:`AgencyInUse` while another agency names it as successor.
        """
        record_id, record = self._find(code)
        self._check_no_successor_lost(record, None)
        for key in record.codes:
            del self._index[key]
        del self._records[record_id]
        self._revision += 1
        event = HistoryEvent(self._day(on), EventKind.DELETED)
        return replace(record, history=(*record.history, event))

    # -- internals ----------------------------------------------------------------------------

    def _day(self, on: date | None) -> date:
        return self._today() if on is None else on

    def _with_event(self, agency: Agency, on: date | None, kind: EventKind) -> Agency:
        return replace(agency, history=(*agency.history, HistoryEvent(self._day(on), kind)))

    def _find(self, code: AgencyCode | str) -> tuple[int, Agency]:
        agency = self.require(code)
        return self._index[agency.primary], agency

    def _check_codes_free(self, agency: Agency, own_id: int | None) -> None:
        for name, key in (("code", agency.code), ("code102", agency.code102)):
            if key is not None and self._index.get(key, own_id) != own_id:
                owner = self._records[self._index[key]]
                raise AgencyDuplicate(
                    f"{key!r} is already registered to {owner.primary!r}", field=name
                )

    def _check_succession(self, candidate: Agency) -> None:
        """Check the chain from ``candidate`` as if it were already stored."""
        if candidate.successor is None:
            return
        own = set(candidate.codes)

        def lookup(code: str) -> Agency | None:
            return candidate if as_code(code).key in own else self.get(code)

        check_chain(candidate, lookup)

    def _check_no_successor_lost(self, old: Agency, new: Agency | None) -> None:
        """Refuse to drop a code that another agency names as its successor."""
        lost = set(old.codes) - set(new.codes if new is not None else ())
        for other in self._records.values():
            if other.successor in lost and other.primary not in old.codes:
                raise AgencyInUse(
                    f"{other.primary!r} names {other.successor!r} as its successor",
                    field="successor",
                )

    def _insert(self, agency: Agency) -> int:
        self._check_codes_free(agency, None)
        record_id = self._next_id
        self._next_id += 1
        self._records[record_id] = agency
        for key in agency.codes:
            self._index[key] = record_id
        self._revision += 1
        return record_id

    def _replace(self, record_id: int, agency: Agency) -> None:
        for key in self._records[record_id].codes:
            del self._index[key]
        self._records[record_id] = agency
        for key in agency.codes:
            self._index[key] = record_id
        self._revision += 1
