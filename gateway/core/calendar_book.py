"""Which business calendar applies to an agency: the node's, or its province's or subtree's.

Office hours are set by each province (domain.md §4), so a national node may keep one calendar
per province and a provincial node one per agency subtree. The most specific entry wins: the
agency's own code first, then the deepest subtree that owns it (``H14`` owns ``H14.*`` and
``*.H14``, :func:`identifiers.code.owns`; with a registry also by either code form of a record
and by registered parent links, :meth:`identifiers.Registry.owns`); the node's calendar otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

from gateway.core.calendar import BusinessCalendar
from identifiers import AgencyCode, Registry
from identifiers.code import owns


def _key(code: str) -> str:
    """The normalised key of ``code`` (as :func:`gateway.core.routing.code_key`)."""
    return AgencyCode.parse(code).key or code.strip()


class CalendarBook:
    """The node's calendar and the calendars of some provinces or agency subtrees."""

    def __init__(
        self,
        default: BusinessCalendar,
        subtrees: Mapping[str, BusinessCalendar] | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.default = default
        self._owns = registry.owns if registry is not None else owns
        self._subtrees = [
            (code, _key(code), AgencyCode.parse(code).level or 0, calendar)
            for code, calendar in (subtrees or {}).items()
        ]

    def for_agency(self, code: str) -> BusinessCalendar:
        """The calendar that decides legal times for ``code``'s documents."""
        key = _key(code)
        best: tuple[tuple[int, int], BusinessCalendar] | None = None
        for owner, owner_key, depth, calendar in self._subtrees:
            if owner_key == key:
                rank = (2, depth)
            elif self._owns(owner, code):
                rank = (1, depth)
            else:
                continue
            if best is None or rank > best[0]:
                best = (rank, calendar)
        return self.default if best is None else best[1]

    def calendars(self) -> list[BusinessCalendar]:
        """Every calendar of the book, the node's first."""
        return [self.default, *(entry[3] for entry in self._subtrees)]
