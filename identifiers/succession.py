"""Succession: traffic to a closed agency goes to its successor from the effective date.

Rule (domain.md §3; Tuyên Quang 51/2024 Art. 23; QĐ 09/2025/QĐ-TTg): after a merger the
successor takes over the merged agency's duties, so a closed code with a successor routes to the
successor from the effective date; before that date the code is still itself. The 1 Jul 2025
province mergers kept the code of the province whose name survived and closed the others into it.
The delivery records the original address and every redirect followed, which is what
:class:`Resolution` carries.

Chains are followed hop by hop with a cap and cycle detection: bad data gives a coded error, never
an endless loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from identifiers.agency import Agency, AgencyStatus
from identifiers.code import AgencyCode, as_code
from identifiers.errors import AgencyUnknown, SuccessionCycle, SuccessionTooLong

#: The longest succession chain followed before giving up with AGENCY_SUCCESSION_TOO_LONG.
MAX_SUCCESSION_HOPS = 16

#: Finds the record registered under a code of either form, or None.
Lookup = Callable[[str], Agency | None]


class ResolutionOutcome(StrEnum):
    """How a resolution ended; values are the strings used in JSON."""

    FOUND = "found"
    UNKNOWN = "unknown"
    CLOSED = "closed_without_successor"
    SUSPENDED = "suspended"


@dataclass(frozen=True)
class Redirect:
    """One succession hop: ``from_code`` was closed into ``to_code`` as of ``effective``."""

    from_code: str
    to_code: str
    effective: date | None

    def to_dict(self) -> dict[str, str | None]:
        """Return the hop as a JSON-ready mapping."""
        effective = self.effective.isoformat() if self.effective else None
        return {"from": self.from_code, "to": self.to_code, "effective": effective}


@dataclass(frozen=True)
class Resolution:
    """Where traffic addressed to ``requested`` goes on date ``at``.

    ``agency`` is the effective record: the requested agency itself, the last successor reached,
    or the closed/suspended record that stops the traffic; None when the code (or a successor on the
    way) is not registered. ``redirects`` lists the hops followed, in order.
    """

    requested: AgencyCode
    at: date
    outcome: ResolutionOutcome
    agency: Agency | None
    redirects: tuple[Redirect, ...] = ()

    @property
    def found(self) -> bool:
        """True when the traffic can be delivered to ``agency``."""
        return self.outcome is ResolutionOutcome.FOUND

    @property
    def redirected(self) -> bool:
        """True when at least one successor was followed."""
        return bool(self.redirects)

    @property
    def code(self) -> str | None:
        """The primary code of the effective agency, or None."""
        return self.agency.primary if self.agency is not None else None

    def to_dict(self) -> dict[str, Any]:
        """Return the resolution as a JSON-ready mapping."""
        return {
            "requested": self.requested.raw,
            "at": self.at.isoformat(),
            "outcome": self.outcome.value,
            "code": self.code,
            "agency": self.agency.to_dict() if self.agency is not None else None,
            "redirects": [redirect.to_dict() for redirect in self.redirects],
        }


def resolve(requested: AgencyCode | str, lookup: Lookup, at: date) -> Resolution:
    """Follow successors from ``requested`` as of ``at``.

    Raises :class:`SuccessionCycle` when a successor leads back to an agency already visited and
    :class:`SuccessionTooLong` after :data:`MAX_SUCCESSION_HOPS` hops.
    """
    code = as_code(requested)
    agency = lookup(code.key) if code.key else None
    if agency is None:
        return Resolution(code, at, ResolutionOutcome.UNKNOWN, None)
    visited = {agency.primary}
    redirects: list[Redirect] = []
    while agency.succeeded_at(at) and agency.successor is not None:
        if len(redirects) >= MAX_SUCCESSION_HOPS:
            raise SuccessionTooLong(
                f"more than {MAX_SUCCESSION_HOPS} successors from {code.raw!r}", field="successor"
            )
        redirects.append(
            Redirect(
                agency.primary, agency.successor, agency.successor_effective or agency.closed_on
            )
        )
        successor = lookup(agency.successor)
        if successor is None:
            return Resolution(code, at, ResolutionOutcome.UNKNOWN, None, tuple(redirects))
        if successor.primary in visited:
            raise SuccessionCycle(
                f"successors of {code.raw!r} loop back to {successor.primary!r}", field="successor"
            )
        visited.add(successor.primary)
        agency = successor
    if agency.closed_at(at):
        outcome = ResolutionOutcome.CLOSED
    elif agency.status is AgencyStatus.SUSPENDED:
        outcome = ResolutionOutcome.SUSPENDED
    else:
        outcome = ResolutionOutcome.FOUND
    return Resolution(code, at, outcome, agency, tuple(redirects))


def check_chain(start: Agency, lookup: Lookup) -> None:
    """Check the succession chain from ``start`` whatever the dates.

    Every successor must be registered (:class:`AgencyUnknown`), the chain must not loop
    (:class:`SuccessionCycle`) nor exceed :data:`MAX_SUCCESSION_HOPS` (:class:`SuccessionTooLong`).
    Closures never revert, so a loop in the static graph is a loop at every date after the last
    effective date: refusing it when the data changes is exact, not merely cautious.
    """
    visited = {start.primary}
    agency = start
    hops = 0
    while agency.successor is not None:
        hops += 1
        if hops > MAX_SUCCESSION_HOPS:
            raise SuccessionTooLong(
                f"more than {MAX_SUCCESSION_HOPS} successors from {start.primary!r}",
                field="successor",
            )
        successor = lookup(agency.successor)
        if successor is None:
            raise AgencyUnknown(
                f"successor {agency.successor!r} of {agency.primary!r} is not registered",
                field="successor",
            )
        if successor.primary in visited:
            raise SuccessionCycle(
                f"successors of {start.primary!r} loop back to {successor.primary!r}",
                field="successor",
            )
        visited.add(successor.primary)
        agency = successor
