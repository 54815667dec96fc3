"""The clock as a port (design.md §3.12), so tests can freeze and move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from edxml import VN_TZ  # the one definition the node uses (Asia/Ho_Chi_Minh, no DST)

__all__ = ["VN_TZ", "Clock", "FrozenClock", "SystemClock"]


class Clock(Protocol):
    """Tells the current instant (timezone-aware)."""

    def now(self) -> datetime:
        """The current instant, aware."""
        ...


class SystemClock:
    """The machine's clock, in UTC (shown in +07:00 at the edges)."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to (tests, the demo)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.at = at

    def now(self) -> datetime:
        """The frozen instant."""
        return self.at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self.at += delta
