"""Succession: routing closed codes to successors from the effective date (succession.py)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from identifiers import (
    MAX_SUCCESSION_HOPS,
    Agency,
    AgencyStatus,
    AgencyUnknown,
    Redirect,
    Registry,
    ResolutionOutcome,
    SuccessionCycle,
    SuccessionTooLong,
)
from identifiers.succession import check_chain, resolve
from tests.identifiers.conftest import TODAY, fixed_today

MERGER = date(2025, 7, 1)


@pytest.fixture
def merged() -> Registry:
    """Lạng Sơn-like merger: H90 closed into H91 on 1 Jul 2025, H91 itself active."""
    registry = Registry(
        [
            Agency(code="H90", code102="000.00.00.H90", name="UBND tỉnh cũ"),
            Agency(code="H91", code102="000.00.00.H91", name="UBND tỉnh mới"),
        ],
        today=fixed_today,
    )
    registry.close("H90", successor="H91", effective=MERGER)
    return registry


def test_before_the_effective_date_a_closed_code_is_still_itself(merged: Registry) -> None:
    """The day before the merger traffic to H90 stays with H90."""
    resolution = merged.resolve("H90", at=date(2025, 6, 30))
    assert resolution.outcome is ResolutionOutcome.FOUND
    assert resolution.code == "H90"
    assert resolution.redirects == ()
    assert not resolution.redirected


@pytest.mark.parametrize("requested", ["H90", "000.00.00.H90", "h90"])
@pytest.mark.parametrize("at", [MERGER, date(2026, 1, 1)])
def test_from_the_effective_date_traffic_goes_to_the_successor(
    merged: Registry, requested: str, at: date
) -> None:
    """From the merger date on, either form of H90 resolves to H91 with the redirect recorded."""
    resolution = merged.resolve(requested, at=at)
    assert resolution.found
    assert resolution.code == "H91"
    assert resolution.requested.raw == requested
    assert resolution.redirects == (Redirect("H90", "H91", MERGER),)


def test_resolve_without_a_date_uses_the_registry_clock(merged: Registry) -> None:
    """at=None means today by the registry's clock (after the merger here)."""
    resolution = merged.resolve("H90")
    assert resolution.at == TODAY
    assert resolution.code == "H91"


def test_chains_are_followed_in_order() -> None:
    """A → B → C: both hops are recorded, each from its own effective date."""
    registry = Registry(
        [Agency(code=code, name=code) for code in ("H81", "H82", "H83")], today=fixed_today
    )
    registry.close("H82", successor="H83", effective=date(2025, 7, 1))
    registry.close("H81", successor="H82", effective=date(2024, 1, 1))
    mid = registry.resolve("H81", at=date(2024, 6, 1))
    assert mid.code == "H82"
    assert len(mid.redirects) == 1
    end = registry.resolve("H81", at=date(2025, 7, 1))
    assert end.code == "H83"
    assert [(r.from_code, r.to_code) for r in end.redirects] == [("H81", "H82"), ("H82", "H83")]


def test_closed_without_successor_is_its_own_outcome(registry: Registry) -> None:
    """After closing with no successor the outcome is closed_without_successor, not found."""
    registry.close("H41", effective=date(2025, 7, 1))
    before = registry.resolve("H41", at=date(2025, 6, 1))
    assert before.found
    after = registry.resolve("H41", at=date(2025, 7, 1))
    assert after.outcome is ResolutionOutcome.CLOSED
    assert after.outcome.value == "closed_without_successor"
    assert after.agency is not None
    assert after.agency.status is AgencyStatus.CLOSED
    assert not after.found


def test_suspended_agency_is_not_deliverable(registry: Registry) -> None:
    """A suspended agency resolves to itself with outcome suspended."""
    registry.suspend("H41")
    resolution = registry.resolve("000.00.00.H41", at=TODAY)
    assert resolution.outcome is ResolutionOutcome.SUSPENDED
    assert resolution.code == "H41"


def test_chain_ending_in_a_suspended_successor_is_suspended(merged: Registry) -> None:
    """Redirects are kept when the successor reached is suspended."""
    merged.suspend("H91")
    resolution = merged.resolve("H90", at=TODAY)
    assert resolution.outcome is ResolutionOutcome.SUSPENDED
    assert len(resolution.redirects) == 1


def test_unregistered_code_is_unknown(registry: Registry) -> None:
    """A code nobody registered resolves to unknown with no agency."""
    resolution = registry.resolve("vxp.saas.99", at=TODAY)
    assert resolution.outcome is ResolutionOutcome.UNKNOWN
    assert resolution.agency is None
    assert resolution.code is None


def _lookup(*agencies: Agency) -> dict[str, Agency]:
    return {code: agency for agency in agencies for code in agency.codes}


def _closed(code: str, successor: str) -> Agency:
    return Agency(code=code, name=code, status=AgencyStatus.CLOSED, successor=successor)


def test_dangling_successor_resolves_unknown_with_the_redirect() -> None:
    """A successor missing from the data gives unknown, keeping the redirect that led there."""
    table = _lookup(_closed("H81", "H82"))
    resolution = resolve("H81", table.get, TODAY)
    assert resolution.outcome is ResolutionOutcome.UNKNOWN
    assert resolution.redirects == (Redirect("H81", "H82", None),)


def test_cycles_in_data_are_a_coded_error_not_a_loop() -> None:
    """A → B → A in raw data raises AGENCY_SUCCESSION_CYCLE."""
    table = _lookup(_closed("H81", "H82"), _closed("H82", "H81"))
    with pytest.raises(SuccessionCycle) as caught:
        resolve("H81", table.get, TODAY)
    assert caught.value.code == "AGENCY_SUCCESSION_CYCLE"
    with pytest.raises(SuccessionCycle):
        check_chain(table["H81"], table.get)


def _chain(length: int) -> dict[str, Agency]:
    codes = [f"H{n:02d}" for n in range(length + 1)]
    agencies = [_closed(a, b) for a, b in itertools.pairwise(codes)]
    return _lookup(*agencies, Agency(code=codes[-1], name="end"))


def test_chains_are_capped() -> None:
    """A chain of MAX_SUCCESSION_HOPS resolves; one hop more is AGENCY_SUCCESSION_TOO_LONG."""
    assert resolve("H00", _chain(MAX_SUCCESSION_HOPS).get, TODAY).code == f"H{MAX_SUCCESSION_HOPS}"
    too_long = _chain(MAX_SUCCESSION_HOPS + 1)
    with pytest.raises(SuccessionTooLong) as caught:
        resolve("H00", too_long.get, TODAY)
    assert caught.value.code == "AGENCY_SUCCESSION_TOO_LONG"
    with pytest.raises(SuccessionTooLong):
        check_chain(too_long["H00"], too_long.get)


def test_dangling_successor_fails_the_static_check() -> None:
    """check_chain requires every successor to be registered."""
    table = _lookup(_closed("H81", "H82"))
    with pytest.raises(AgencyUnknown) as caught:
        check_chain(table["H81"], table.get)
    assert caught.value.field == "successor"


def test_imported_cycles_are_refused_with_their_location() -> None:
    """Loading records whose successors loop raises the cycle error located at the record."""
    with pytest.raises(SuccessionCycle) as caught:
        Registry([_closed("H81", "H82"), _closed("H82", "H81")])
    assert caught.value.location == "agencies[0]"


def test_resolution_to_dict_carries_request_outcome_agency_and_redirects(
    merged: Registry,
) -> None:
    """to_dict is the JSON shape the CLI prints."""
    data = merged.resolve("000.00.00.H90", at=MERGER).to_dict()
    assert data["requested"] == "000.00.00.H90"
    assert data["at"] == "2025-07-01"
    assert data["outcome"] == "found"
    assert data["code"] == "H91"
    assert data["agency"]["name"] == "UBND tỉnh mới"
    assert data["redirects"] == [{"from": "H90", "to": "H91", "effective": "2025-07-01"}]


def test_registry_refuses_to_grow_a_chain_past_the_cap() -> None:
    """Closing into a chain that already has MAX_SUCCESSION_HOPS hops is refused."""
    codes = [f"H{n:02d}" for n in range(MAX_SUCCESSION_HOPS + 2)]
    registry = Registry([Agency(code=code, name=code) for code in codes], today=fixed_today)
    for before, after in reversed(list(itertools.pairwise(codes[1:]))):
        registry.close(before, successor=after)
    with pytest.raises(SuccessionTooLong):
        registry.close(codes[0], successor=codes[1])
    assert registry.require(codes[0]).status is AgencyStatus.ACTIVE
