"""Fixtures of the identifiers tests: a fixed clock and a small registry in both code forms."""

from __future__ import annotations

from datetime import date

import pytest

from identifiers import Agency, Registry

#: The date every test registry believes is today.
TODAY = date(2025, 8, 1)


def fixed_today() -> date:
    """The frozen clock of the test registries."""
    return TODAY


def small_agencies() -> list[Agency]:
    """A few agencies: one ministry and one province with units, in either or both forms."""
    return [
        Agency(code="G12", code102="000.00.00.G12", name="Bộ Tài chính", level=1),
        Agency(code102="000.00.18.G12", name="Tổng cục Thuế", parent="G12", level=2),
        Agency(code="G12.18.01", name="Chi cục Thuế khu vực I", parent="G12", level=3),
        Agency(code="H14", code102="000.00.00.H14", name="UBND tỉnh Cao Bằng", level=1),
        Agency(code="H14.91", code102="000.00.91.H14", name="Sở Nội vụ", parent="H14", level=2),
        Agency(code="vxp.saas.03", name="Hệ thống SaaS thử", parent="H14.91"),
        Agency(code="H41", code102="000.00.00.H41", name="UBND tỉnh Nghệ An", level=1),
    ]


@pytest.fixture
def registry() -> Registry:
    """A fresh small registry whose clock is frozen at :data:`TODAY`."""
    return Registry(small_agencies(), today=fixed_today)
