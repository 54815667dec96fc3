"""The registry: lookups by either form, ownership, mutations with history (registry.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from identifiers import (
    Agency,
    AgencyCode,
    AgencyDuplicate,
    AgencyInUse,
    AgencyInvalid,
    AgencyStatus,
    AgencyUnknown,
    EventKind,
    Registry,
    SuccessionCycle,
)
from tests.identifiers.conftest import TODAY, fixed_today, small_agencies

# -- lookups ---------------------------------------------------------------------------------


def test_get_finds_one_record_by_either_form(registry: Registry) -> None:
    """G12 and 000.00.00.G12 (any case, padded) return the same record."""
    agency = registry.get("G12")
    assert agency is not None
    assert agency.name == "Bộ Tài chính"
    assert registry.get("000.00.00.G12") is agency
    assert registry.get(" 000.00.00.g12 ") is agency
    assert registry.get(AgencyCode.parse("g12")) is agency


def test_single_form_records_are_found_by_their_only_code(registry: Registry) -> None:
    """A record with only one form is found by it and not by a guessed other form."""
    assert registry.get("000.00.18.G12") is not None
    assert registry.get("G12.18") is None  # never converted by rule
    assert registry.get("G12.18.01") is not None


def test_unknown_form_ids_are_found_by_exact_raw_key(registry: Registry) -> None:
    """An id like vxp.saas.03 is found exactly as registered, case included."""
    assert registry.get("vxp.saas.03") is not None
    assert registry.get(" vxp.saas.03 ") is not None
    assert registry.get("VXP.SAAS.03") is None


def test_missing_codes_give_none_or_agency_unknown(registry: Registry) -> None:
    """get returns None for an unregistered code; require raises AGENCY_UNKNOWN."""
    assert registry.get("H99") is None
    assert registry.get("") is None
    assert "H99" not in registry
    assert "H14" in registry
    with pytest.raises(AgencyUnknown) as caught:
        registry.require("H99")
    assert caught.value.code == "AGENCY_UNKNOWN"
    assert caught.value.field == "code"


def test_agencies_are_listed_in_insertion_order(registry: Registry) -> None:
    """agencies() and iteration keep the order records were added in."""
    assert [a.primary for a in registry.agencies()] == [a.primary for a in small_agencies()]
    assert [a.primary for a in registry] == [a.primary for a in small_agencies()]
    assert len(registry) == len(small_agencies())


def test_duplicate_codes_in_bulk_are_refused_with_their_position() -> None:
    """Two records sharing a code in either form cannot be loaded together."""
    agencies = [
        Agency(code="G12", code102="000.00.00.G12", name="a"),
        Agency(code102="000.00.00.g12", name="b"),
    ]
    with pytest.raises(AgencyDuplicate) as caught:
        Registry(agencies)
    assert caught.value.field == "code102"
    assert caught.value.location == "agencies[1]"


# -- ownership -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "code", "expected"),
    [
        ("H14", "H14", True),
        ("H14", "H14.91.05", True),  # unregistered, by structure
        ("H14", "000.07.91.H14", True),
        ("000.00.00.H14", "H14.91", True),
        ("H14", "vxp.saas.03", True),  # by registered parent link H14.91 -> H14
        ("H14.91", "vxp.saas.03", True),
        ("000.00.91.H14", "vxp.saas.03", True),  # owner found by its other form
        ("H14.91", "000.01.91.H14", True),  # owner's QCVN 102 form owns it by structure
        ("H41", "vxp.saas.03", False),
        ("H14", "vxp.saas.04", False),
        ("G12", "000.00.18.G12", True),
        ("000.00.18.G12", "G12.18.01", False),  # no parent link, no rule between forms
        ("H14", "G12", False),
    ],
)
def test_owns_by_structure_and_by_parent_links(
    registry: Registry, owner: str, code: str, expected: bool
) -> None:
    """A node owns its structural subtree in both forms and every agency linked under it."""
    assert registry.owns(owner, code) is expected


def test_owns_follows_links_from_the_nearest_registered_structural_parent() -> None:
    """An unregistered code is owned through the parent links of its nearest registered parent."""
    registry = Registry(
        [
            Agency(code="H37", name="UBND tỉnh Lạng Sơn"),
            Agency(code="Z05ORG", name="Hub", parent="H37"),
            Agency(code="0100107370", name="Tập đoàn", parent="Z05ORG"),
        ]
    )
    assert registry.owns("H37", "0100107370-001")
    assert registry.owns("Z05ORG", "0100107370-001")
    assert not registry.owns("H41", "0100107370-001")


def test_parent_link_loops_do_not_hang() -> None:
    """Parent links that loop in bad data end the walk instead of looping forever."""
    registry = Registry(
        [
            Agency(code="vxp.a", name="a", parent="vxp.b"),
            Agency(code="vxp.b", name="b", parent="vxp.a"),
        ]
    )
    assert not registry.owns("H14", "vxp.a")
    assert registry.owns("vxp.b", "vxp.a")


def test_subtree_lists_registered_agencies_under_a_code(registry: Registry) -> None:
    """subtree includes the agency itself, structural descendants and linked agencies."""
    assert [a.primary for a in registry.subtree("H14")] == ["H14", "H14.91", "vxp.saas.03"]
    assert [a.primary for a in registry.subtree("000.00.00.G12")] == [
        "G12",
        "000.00.18.G12",
        "G12.18.01",
    ]
    assert registry.subtree("H99") == []


# -- mutations -------------------------------------------------------------------------------


def test_add_registers_and_records_a_created_event(registry: Registry) -> None:
    """add stores the record under both codes with a created event dated today."""
    added = registry.add(Agency(code="H41.91", code102="000.00.91.H41", name="Sở Nội vụ"))
    assert registry.get("000.00.91.H41") is added
    assert added.history[-1].kind is EventKind.CREATED
    assert added.history[-1].on == TODAY


@pytest.mark.parametrize(
    ("agency", "field"),
    [
        (Agency(code="G12", name="again"), "code"),
        (Agency(code="G99", code102="000.00.00.G12", name="again"), "code102"),
        (Agency(code="VXP.SAAS.03", code102="000.00.18.G12", name="x"), "code102"),
    ],
)
def test_add_refuses_codes_already_registered(
    registry: Registry, agency: Agency, field: str
) -> None:
    """add names the field whose code is already taken and changes nothing."""
    before = registry.agencies()
    with pytest.raises(AgencyDuplicate) as caught:
        registry.add(agency)
    assert caught.value.code == "AGENCY_DUPLICATE"
    assert caught.value.field == field
    assert registry.agencies() == before


def test_add_refuses_an_unregistered_successor(registry: Registry) -> None:
    """A record added closed into an unknown successor is refused."""
    closed = Agency(code="H14.99", name="x", status=AgencyStatus.CLOSED, successor="H14.98")
    with pytest.raises(AgencyUnknown) as caught:
        registry.add(closed)
    assert caught.value.field == "successor"
    assert registry.get("H14.99") is None


def test_update_renames_with_a_renamed_event(registry: Registry) -> None:
    """A new name records renamed (old → new) on the given date."""
    updated = registry.update("000.00.91.H14", name="Sở Nội vụ tỉnh Cao Bằng", on=date(2025, 9, 1))
    assert registry.get("H14.91") is updated
    event = updated.history[-1]
    assert (event.on, event.kind) == (date(2025, 9, 1), EventKind.RENAMED)
    assert event.detail == "Sở Nội vụ → Sở Nội vụ tỉnh Cao Bằng"


def test_update_lists_other_changed_fields(registry: Registry) -> None:
    """Other changes record one updated event naming the fields."""
    updated = registry.update("H14.91", email="snv@caobang.gov.vn", phone="0206 3852 000")
    assert updated.email == "snv@caobang.gov.vn"
    assert updated.history[-1].kind is EventKind.UPDATED
    assert updated.history[-1].detail == "email, phone"


def test_update_without_change_records_nothing(registry: Registry) -> None:
    """Setting a field to its current value is not an event."""
    before = registry.require("H14.91")
    assert registry.update("H14.91", name="  Sở Nội vụ ") is before


def test_update_can_add_the_other_form_and_reindexes(registry: Registry) -> None:
    """Adding a QCVN 102 code to a record makes it findable by it."""
    registry.update("G12.18.01", code102="001.00.18.G12")
    assert registry.get("001.00.18.G12") is registry.get("G12.18.01")


def test_update_moves_the_index_when_a_code_changes(registry: Registry) -> None:
    """A changed code is found under the new key and no longer under the old one."""
    registry.update("vxp.saas.03", code="vxp.saas.04")
    assert registry.get("vxp.saas.03") is None
    assert registry.get("vxp.saas.04") is not None


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"status": AgencyStatus.CLOSED}, "status", AgencyInvalid),
        ({"history": ()}, "history", AgencyInvalid),
        ({"colour": "red"}, "colour", AgencyInvalid),
        ({"level": -1}, "level", AgencyInvalid),
        ({"code": "H41"}, "code", AgencyDuplicate),
        ({"code": "H14"}, "parent", AgencyInvalid),  # H14 is its parent
    ],
)
def test_update_refuses_bad_changes(
    registry: Registry, changes: dict[str, Any], field: str, error: type[Exception]
) -> None:
    """update refuses lifecycle fields, unknown fields, invalid values and taken codes."""
    before = registry.agencies()
    with pytest.raises(error) as caught:
        registry.update("H14.91", **changes)
    assert getattr(caught.value, "field", None) == field
    assert registry.agencies() == before


def test_update_of_an_unknown_code_is_agency_unknown(registry: Registry) -> None:
    """Mutating an unregistered code raises AGENCY_UNKNOWN."""
    with pytest.raises(AgencyUnknown):
        registry.update("H99", name="x")
    with pytest.raises(AgencyUnknown):
        registry.close("H99")
    with pytest.raises(AgencyUnknown):
        registry.delete("H99")


def test_close_records_status_dates_and_events(registry: Registry) -> None:
    """close sets status, closing date, successor and dated closed/succeeded_by events."""
    closed = registry.close("H14.91", successor="000.00.00.H14", effective=date(2025, 7, 1))
    assert closed.status is AgencyStatus.CLOSED
    assert (closed.closed_on, closed.successor_effective) == (date(2025, 7, 1), date(2025, 7, 1))
    assert closed.successor == "000.00.00.H14"
    assert [(e.kind, e.detail) for e in closed.history] == [
        (EventKind.CLOSED, None),
        (EventKind.SUCCEEDED_BY, "000.00.00.H14"),
    ]


def test_close_without_dates_uses_today_and_no_successor(registry: Registry) -> None:
    """close with no arguments closes today with no successor."""
    closed = registry.close("H41")
    assert closed.closed_on == TODAY
    assert closed.successor is None
    assert closed.successor_effective is None


def test_close_refuses_twice_unknown_successor_and_cycles(registry: Registry) -> None:
    """Closing again, into an unknown agency, or into a loop is refused with a coded error."""
    registry.close("H14.91", successor="H14")
    with pytest.raises(AgencyInvalid) as again:
        registry.close("H14.91")
    assert again.value.field == "status"
    with pytest.raises(AgencyUnknown) as unknown:
        registry.close("H41", successor="H99")
    assert unknown.value.field == "successor"
    with pytest.raises(SuccessionCycle) as cycle:
        registry.close("000.00.00.H14", successor="000.00.91.H14")
    assert cycle.value.code == "AGENCY_SUCCESSION_CYCLE"
    assert cycle.value.field == "successor"
    assert registry.require("H14").status is AgencyStatus.ACTIVE


def test_update_of_a_successor_is_checked_for_cycles(registry: Registry) -> None:
    """Changing a successor by update records succeeded_by and cannot create a loop."""
    registry.close("H41")
    changed = registry.update("H41", successor="H14")
    assert changed.history[-1].kind is EventKind.SUCCEEDED_BY
    registry.close("H14", successor="G12")
    with pytest.raises(SuccessionCycle):
        registry.update("H14", successor="H41")


def test_suspend_and_reactivate_record_events(registry: Registry) -> None:
    """suspend and reactivate switch status and record their events."""
    suspended = registry.suspend("H14.91", on=date(2025, 9, 2))
    assert suspended.status is AgencyStatus.SUSPENDED
    with pytest.raises(AgencyInvalid):
        registry.suspend("H14.91")
    active = registry.reactivate("H14.91")
    assert active.status is AgencyStatus.ACTIVE
    assert [e.kind for e in active.history] == [EventKind.SUSPENDED, EventKind.REACTIVATED]
    with pytest.raises(AgencyInvalid):
        registry.reactivate("H14.91")


def test_reactivate_reopens_a_closed_agency(registry: Registry) -> None:
    """Reactivating a closed agency drops its closing date and successor."""
    registry.close("H14.91", successor="H14", effective=date(2025, 1, 1))
    reopened = registry.reactivate("H14.91")
    assert (reopened.closed_on, reopened.successor, reopened.successor_effective) == (None,) * 3


def test_delete_removes_both_codes_and_returns_the_record(registry: Registry) -> None:
    """delete unregisters every code and returns the record with a deleted event."""
    removed = registry.delete("000.00.00.H41")
    assert removed.history[-1].kind is EventKind.DELETED
    assert registry.get("H41") is None
    assert registry.get("000.00.00.H41") is None
    registry.add(Agency(code="H41", name="again"))  # the codes are free again


def test_delete_refuses_a_successor_in_use(registry: Registry) -> None:
    """An agency that others route to cannot be deleted or lose that code."""
    registry.close("H14.91", successor="000.00.00.H14")
    with pytest.raises(AgencyInUse) as caught:
        registry.delete("H14")
    assert caught.value.code == "AGENCY_IN_USE"
    assert caught.value.field == "successor"
    with pytest.raises(AgencyInUse):
        registry.update("H14", code102=None)
    registry.update("H14", code=None)  # the successor code 000.00.00.H14 stays
    assert registry.get("000.00.00.H14") is not None


def test_mutations_use_the_registry_clock() -> None:
    """Without a date, events are dated by the clock given to the registry."""
    registry = Registry(today=fixed_today)
    added = registry.add(Agency(code="G17", name="Bộ Xây dựng"))
    assert added.history[0].on == TODAY


def test_revision_changes_on_every_mutation() -> None:
    """add, update, close and delete each move the revision; reads leave it alone."""
    registry = Registry([Agency(code="H37", name="UBND tỉnh Lạng Sơn")], today=fixed_today)
    seen = [registry.revision]
    registry.add(Agency(code="H37.01", name="Sở A", parent="H37"))
    seen.append(registry.revision)
    registry.update("H37.01", name="Sở A mới")
    seen.append(registry.revision)
    registry.resolve("H37.01")
    registry.owns("H37", "H37.01")
    assert registry.revision == seen[-1]
    registry.delete("H37.01")
    seen.append(registry.revision)
    assert len(set(seen)) == len(seen)
