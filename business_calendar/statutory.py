"""Vietnam's statutory days off, from the ``holidays`` package (domain.md §4).

The package knows the Labour Code holidays (2019 Art. 112: 1 Jan, Tết, Hùng Kings, 30 Apr, 1 May,
2 Sep and an adjacent day, and since 2026 the 24 Nov Culture Day), the next-working-day rule for a
holiday on a weekend (Art. 111(3)), and the day swaps the Government announced by the year it was
released. It does not mark the make-up Saturday of a swap as a working day, so that date is read
back from the swap's label ("Ngày nghỉ (thay cho ngày 04/05/2024)": a day off in exchange for
working on 4 May 2024). The override table of :mod:`~business_calendar.calendar` wins over it all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache

#: The label of a swapped day off in the package's Vietnamese names; its date is the make-up day.
_SWAP = re.compile(r"thay cho ngày (\d{1,2})/(\d{1,2})/(\d{4})")
#: The package's years are computed in blocks: one call for ten years costs about one for two.
_BLOCK = 10


@dataclass(frozen=True)
class StatutoryDays:
    """The statutory days off of one year, and the make-up working days of the swaps it knows."""

    days_off: dict[date, str] = field(default_factory=dict)
    make_up: dict[date, str] = field(default_factory=dict)
    source: str = ""


@cache
def _block(first: int) -> dict[int, tuple[tuple[date, str], ...]]:
    """The package's Vietnamese holidays of the years ``first - 1 .. first + _BLOCK``, by year."""
    import holidays

    years = range(first - 1, first + _BLOCK + 1)
    found = holidays.country_holidays("VN", years=years, language="vi")
    by_year: dict[int, list[tuple[date, str]]] = {year: [] for year in years}
    for day, name in sorted(found.items()):
        by_year.setdefault(day.year, []).append((day, name))
    return {year: tuple(days) for year, days in by_year.items()}


def _year(year: int) -> tuple[tuple[date, str], ...]:
    first = year // _BLOCK * _BLOCK
    return _block(first)[year]


@cache
def package_source() -> str:
    """Where the statutory days come from, as shown beside each day: ``holidays 0.109``."""
    from importlib.metadata import version

    return f"holidays {version('holidays')}"


def vietnam_statutory(year: int) -> StatutoryDays:
    """Vietnam's statutory days off in ``year`` and the make-up days of the package's swaps.

    A swap's make-up day can fall in the year before or after its day off (31 Dec 2018 was given
    for Sat 5 Jan 2019), so the neighbouring years' swaps are read as well.
    """
    days_off = dict(_year(year))
    make_up: dict[date, str] = {}
    for neighbour in (year - 1, year, year + 1):
        for day, name in _year(neighbour):
            match = _SWAP.search(name)
            if match is None:
                continue
            dd, mm, yyyy = (int(part) for part in match.groups())
            try:
                worked = date(yyyy, mm, dd)
            except ValueError:  # a label the package got wrong: keep the day off only
                continue
            if worked.year == year:
                make_up[worked] = f"làm bù cho ngày {day:%d/%m/%Y}"
    return StatutoryDays(days_off, make_up, package_source())
