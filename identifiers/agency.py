"""The agency record of the registry, its status and its dated history.

A record carries the agency's code in the QĐ 20/2020 form (``code``), in the QCVN 102 form
(``code102``) or both: a record with both is the only place where the two forms are tied together
(agency-codes.md §4: convert where a mapping is known, never by guessing). Records are immutable;
the registry replaces them and appends history events.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from identifiers.code import AgencyCode, CodeForm
from identifiers.errors import AgencyInvalid, SuccessionCycle


class AgencyStatus(StrEnum):
    """Whether an agency takes traffic."""

    ACTIVE = "active"
    CLOSED = "closed"
    SUSPENDED = "suspended"


class EventKind(StrEnum):
    """What a history event records."""

    CREATED = "created"
    UPDATED = "updated"
    RENAMED = "renamed"
    CLOSED = "closed"
    SUCCEEDED_BY = "succeeded_by"
    SUSPENDED = "suspended"
    REACTIVATED = "reactivated"
    DELETED = "deleted"


def _parse_date(value: object, name: str) -> date | None:
    """Accept a date, an ISO ``YYYY-MM-DD`` string, or None/empty."""
    if value is None or value == "":
        return None
    # A datetime is a date too, but its time (and zone) would not survive a round trip.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise AgencyInvalid(f"{name} must be a date YYYY-MM-DD, got {value!r}", field=name)


@dataclass(frozen=True)
class HistoryEvent:
    """One dated change of an agency (created, renamed, closed, succeeded_by, ...)."""

    on: date
    kind: EventKind
    detail: str | None = None

    def __post_init__(self) -> None:
        on = _parse_date(self.on, "history.on")
        if on is None:
            raise AgencyInvalid("a history event needs a date", field="history.on")
        try:
            kind = EventKind(self.kind)
        except ValueError:
            raise AgencyInvalid(
                f"unknown history event kind {self.kind!r}", field="history.kind"
            ) from None
        if self.detail is not None and not isinstance(self.detail, str):
            raise AgencyInvalid("history detail must be text", field="history.detail")
        object.__setattr__(self, "on", on)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "detail", self.detail or None)

    def to_dict(self) -> dict[str, str | None]:
        """Return the event as a JSON-ready mapping."""
        return {"on": self.on.isoformat(), "kind": self.kind.value, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: object) -> HistoryEvent:
        """Build an event from the mapping written by :meth:`to_dict`."""
        if not isinstance(data, dict) or set(data) - {"on", "kind", "detail"}:
            raise AgencyInvalid("a history event is an object {on, kind, detail}", field="history")
        # __post_init__ converts and checks each value (ISO date text, kind string).
        on: Any = data.get("on")
        kind: Any = data.get("kind")
        return cls(on=on, kind=kind, detail=data.get("detail"))


_TEXT_FIELDS = ("name", "parent", "email", "phone", "system_id", "successor", "evidence")


@dataclass(frozen=True, kw_only=True)
class Agency:
    """A registered agency.

    ``code`` holds any form except QCVN 102 (normally QĐ 20; tax, scheme and unknown ids such as
    ``vxp.saas.03`` go here too); ``code102`` holds the QCVN 102 form. At least one is required.
    Codes are stored by their normalised key. ``parent`` and ``successor`` name other agencies by a
    code of either form. A ``closed`` agency stops taking traffic from ``closed_on`` (or, when that
    is absent, from ``successor_effective``; with neither, at all dates) and routes to
    ``successor`` from ``successor_effective`` (or the closing date) on.
    """

    code: str | None = None
    code102: str | None = None
    name: str
    parent: str | None = None
    level: int | None = None
    email: str | None = None
    phone: str | None = None
    system_id: str | None = None
    status: AgencyStatus = AgencyStatus.ACTIVE
    successor: str | None = None
    successor_effective: date | None = None
    closed_on: date | None = None
    demo: bool = False
    evidence: str | None = None
    history: tuple[HistoryEvent, ...] = field(default=())

    def __post_init__(self) -> None:
        # Normalise first (strip text, "" -> None, ISO strings -> dates) so that a record reads
        # the same whether it came from code, CSV or JSON: this is what makes round trips exact.
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise AgencyInvalid(f"{name} must be text", field=name)
            object.__setattr__(self, name, (value or "").strip() or None)
        object.__setattr__(self, "code", self._own_code("code", self.code))
        object.__setattr__(self, "code102", self._own_code("code102", self.code102))
        for name in ("parent", "successor"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, AgencyCode.parse(value).key)
        for name in ("successor_effective", "closed_on"):
            object.__setattr__(self, name, _parse_date(getattr(self, name), name))
        try:
            object.__setattr__(self, "status", AgencyStatus(self.status))
        except ValueError:
            raise AgencyInvalid(f"unknown status {self.status!r}", field="status") from None
        if not isinstance(self.demo, bool):
            raise AgencyInvalid("demo must be true or false", field="demo")
        if self.level is not None and (
            isinstance(self.level, bool) or not isinstance(self.level, int) or self.level < 1
        ):
            raise AgencyInvalid(
                f"level must be a positive integer, got {self.level!r}", field="level"
            )
        history = tuple(self.history)
        if not all(isinstance(event, HistoryEvent) for event in history):
            raise AgencyInvalid("history holds HistoryEvent items", field="history")
        object.__setattr__(self, "history", history)
        self._check_consistency()

    @staticmethod
    def _own_code(name: str, value: str | None) -> str | None:
        if value is not None and not isinstance(value, str):
            raise AgencyInvalid(f"{name} must be text", field=name)
        if value is None or not value.strip():
            return None
        parsed = AgencyCode.parse(value)
        # code102 holds exactly the QCVN 102 form; code holds every other form, so that one
        # string never means two different slots.
        if name == "code102" and parsed.form is not CodeForm.QCVN102:
            raise AgencyInvalid(f"{value!r} is not a QCVN 102 code (000.00.00.MX1X2)", field=name)
        if name == "code" and parsed.form is CodeForm.QCVN102:
            raise AgencyInvalid(f"{value!r} is a QCVN 102 code: put it in code102", field=name)
        return parsed.key

    def _check_consistency(self) -> None:
        if self.code is None and self.code102 is None:
            raise AgencyInvalid("an agency needs code or code102", field="code")
        if self.name is None:
            raise AgencyInvalid("an agency needs a name", field="name")
        closed = self.status is AgencyStatus.CLOSED
        if self.successor is not None and not closed:
            raise AgencyInvalid("only a closed agency has a successor", field="successor")
        if self.closed_on is not None and not closed:
            raise AgencyInvalid("only a closed agency has a closing date", field="closed_on")
        if self.successor_effective is not None and self.successor is None:
            raise AgencyInvalid(
                "successor_effective needs a successor", field="successor_effective"
            )
        if self.successor is not None and self.successor in self.codes:
            raise SuccessionCycle("an agency cannot succeed itself", field="successor")
        if self.parent is not None and self.parent in self.codes:
            raise AgencyInvalid("an agency cannot be its own parent", field="parent")

    @property
    def codes(self) -> tuple[str, ...]:
        """The agency's codes (QĐ 20 or other form first, then QCVN 102)."""
        return tuple(code for code in (self.code, self.code102) if code is not None)

    @property
    def primary(self) -> str:
        """The code that names the record: ``code`` if present, else ``code102``."""
        return self.codes[0]

    def closed_at(self, at: date) -> bool:
        """True when the agency no longer takes traffic of its own on ``at``."""
        if self.status is not AgencyStatus.CLOSED:
            return False
        since = self.closed_on or self.successor_effective
        # Before the effective date a closed agency is still itself (domain.md §3, succession).
        return since is None or at >= since

    def succeeded_at(self, at: date) -> bool:
        """True when traffic addressed to the agency goes to its successor on ``at``."""
        if self.successor is None or not self.closed_at(at):
            return False
        return self.successor_effective is None or at >= self.successor_effective

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a JSON-ready mapping (every field, absent ones as null)."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, StrEnum):
                value = value.value
            elif item.name == "history":
                value = [event.to_dict() for event in value]
            data[item.name] = value
        return data

    @classmethod
    def from_dict(cls, data: object) -> Agency:
        """Build a record from the mapping written by :meth:`to_dict`; unknown keys are refused."""
        if not isinstance(data, dict):
            raise AgencyInvalid("an agency is a JSON object", field="agency")
        known = {item.name for item in fields(cls)}
        extra = sorted(str(key) for key in set(data) - known)
        if extra:
            raise AgencyInvalid(f"unknown field(s): {', '.join(extra)}", field=extra[0])
        values = dict(data)
        history = values.pop("history", None) or []
        if not isinstance(history, list):
            raise AgencyInvalid("history is a list of events", field="history")
        if "name" not in values:
            raise AgencyInvalid("an agency needs a name", field="name")
        return cls(**values, history=tuple(HistoryEvent.from_dict(item) for item in history))
