"""The agency record: normalisation, validation, dict form, closing semantics."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from identifiers import (
    Agency,
    AgencyInvalid,
    AgencyStatus,
    EventKind,
    HistoryEvent,
    SuccessionCycle,
)


def test_codes_are_stored_by_normalised_key() -> None:
    """Codes, parent and successor are stored as keys; empty text becomes None."""
    agency = Agency(
        code=" g12.18 ",
        code102="000.00.18.g12",
        name="  Tổng cục Thuế ",
        parent="g12",
        email="",
        phone="  ",
    )
    assert (agency.code, agency.code102, agency.parent) == ("G12.18", "000.00.18.G12", "G12")
    assert agency.name == "Tổng cục Thuế"
    assert agency.email is None
    assert agency.phone is None
    assert agency.codes == ("G12.18", "000.00.18.G12")
    assert agency.primary == "G12.18"


def test_unknown_form_ids_are_kept_exactly() -> None:
    """An id of no known form is a valid registry code, kept with its case."""
    agency = Agency(code="vxp.saas.03", name="SaaS")
    assert agency.code == "vxp.saas.03"
    assert agency.primary == "vxp.saas.03"


def test_code102_only_record_has_code102_as_primary() -> None:
    """Without a QĐ 20 code the QCVN 102 code names the record."""
    assert Agency(code102="000.00.18.G12", name="x").primary == "000.00.18.G12"


def test_dates_are_read_from_iso_text() -> None:
    """ISO date strings become dates."""
    agency = Agency(
        code="H14.94",
        name="x",
        status="closed",  # type: ignore[arg-type]
        successor="H14.95",
        successor_effective="2025-03-01",  # type: ignore[arg-type]
        closed_on="2025-03-01",  # type: ignore[arg-type]
    )
    assert agency.successor_effective == date(2025, 3, 1)
    assert agency.status is AgencyStatus.CLOSED


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "x"}, "code"),
        ({"code": "G12", "name": "  "}, "name"),
        ({"code": "000.00.00.G12", "name": "x"}, "code"),
        ({"code102": "G12", "name": "x"}, "code102"),
        ({"code102": "vxp.saas.03", "name": "x"}, "code102"),
        ({"code": "G12", "name": "x", "level": 0}, "level"),
        ({"code": "G12", "name": "x", "level": True}, "level"),
        ({"code": "G12", "name": "x", "level": "1"}, "level"),
        ({"code": "G12", "name": "x", "status": "gone"}, "status"),
        ({"code": "G12", "name": "x", "successor": "G17"}, "successor"),
        ({"code": "G12", "name": "x", "closed_on": "2025-01-01"}, "closed_on"),
        ({"code": "G12", "name": "x", "status": "closed", "successor_effective": "2025-01-01"},
         "successor_effective"),
        ({"code": "G12", "name": "x", "status": "closed", "closed_on": "1/7/2025"}, "closed_on"),
        ({"code": "G12", "name": "x", "status": "closed",
          "closed_on": datetime(2025, 1, 1, tzinfo=UTC)}, "closed_on"),
        ({"code": "G12", "name": "x", "demo": "yes"}, "demo"),
        ({"code": "G12", "name": 12}, "name"),
        ({"code": 12, "name": "x"}, "code"),
        ({"code": "G12", "name": "x", "parent": "g12"}, "parent"),
        ({"code": "G12", "name": "x", "history": ["created"]}, "history"),
    ],
)  # fmt: skip
def test_invalid_records_raise_agency_invalid_naming_the_field(
    values: dict[str, Any], field: str
) -> None:
    """Every inconsistent record is refused with AGENCY_INVALID and the offending field."""
    with pytest.raises(AgencyInvalid) as caught:
        Agency(**values)
    assert caught.value.code == "AGENCY_INVALID"
    assert caught.value.field == field
    assert str(caught.value).startswith(f"AGENCY_INVALID (field {field})")


def test_self_succession_is_a_cycle() -> None:
    """An agency naming one of its own codes as successor is a succession cycle."""
    with pytest.raises(SuccessionCycle) as caught:
        Agency(code="G12", code102="000.00.00.G12", name="x", status=AgencyStatus.CLOSED,
               successor="000.00.00.g12")  # fmt: skip
    assert caught.value.code == "AGENCY_SUCCESSION_CYCLE"
    assert caught.value.field == "successor"


def test_history_events_validate_kind_and_date() -> None:
    """History events need a known kind and a date."""
    assert HistoryEvent("2025-01-02", "renamed").kind is EventKind.RENAMED  # type: ignore[arg-type]
    with pytest.raises(AgencyInvalid, match="kind"):
        HistoryEvent(date(2025, 1, 2), "exploded")  # type: ignore[arg-type]
    with pytest.raises(AgencyInvalid) as caught:
        HistoryEvent(None, EventKind.CREATED)  # type: ignore[arg-type]
    assert caught.value.field == "history.on"
    with pytest.raises(AgencyInvalid):
        HistoryEvent.from_dict({"on": "2025-01-02", "kind": "created", "extra": 1})


def test_to_dict_is_json_ready_and_from_dict_inverts_it() -> None:
    """to_dict gives every field as JSON values; from_dict rebuilds an equal record."""
    agency = Agency(
        code="H14.94",
        code102="000.00.94.H14",
        name="Sở Thông tin và Truyền thông",
        parent="H14",
        level=2,
        status=AgencyStatus.CLOSED,
        successor="H14.95",
        successor_effective=date(2025, 3, 1),
        closed_on=date(2025, 3, 1),
        demo=True,
        history=(HistoryEvent(date(2025, 3, 1), EventKind.CLOSED, "merger"),),
    )
    data = agency.to_dict()
    assert data["status"] == "closed"
    assert data["successor_effective"] == "2025-03-01"
    assert data["history"] == [{"on": "2025-03-01", "kind": "closed", "detail": "merger"}]
    assert data["email"] is None
    assert list(data)[:3] == ["code", "code102", "name"]
    assert Agency.from_dict(data) == agency


def test_from_dict_refuses_unknown_fields_and_non_objects() -> None:
    """from_dict names an unknown key and refuses anything but an object."""
    with pytest.raises(AgencyInvalid) as caught:
        Agency.from_dict({"code": "G12", "name": "x", "colour": "red"})
    assert caught.value.field == "colour"
    with pytest.raises(AgencyInvalid):
        Agency.from_dict(["G12"])
    with pytest.raises(AgencyInvalid) as missing:
        Agency.from_dict({"code": "G12"})
    assert missing.value.field == "name"


def _closed(**extra: Any) -> Agency:
    return Agency(code="H14.94", name="x", status=AgencyStatus.CLOSED, **extra)


def test_closed_agency_is_itself_before_its_closing_date() -> None:
    """A closure takes effect on closed_on; before it the agency still takes traffic."""
    agency = _closed(closed_on=date(2025, 7, 1))
    assert not agency.closed_at(date(2025, 6, 30))
    assert agency.closed_at(date(2025, 7, 1))


def test_successor_effective_stands_in_for_a_missing_closing_date() -> None:
    """Without closed_on the closure starts at successor_effective; with neither it always holds."""
    agency = _closed(successor="H14.95", successor_effective=date(2025, 7, 1))
    assert not agency.closed_at(date(2025, 6, 30))
    assert agency.succeeded_at(date(2025, 7, 1))
    assert _closed().closed_at(date(1990, 1, 1))


def test_successor_may_take_over_after_the_closing_date() -> None:
    """Between closing and successor dates the agency is closed but not yet redirected."""
    agency = _closed(
        closed_on=date(2025, 1, 1), successor="H14.95", successor_effective=date(2025, 7, 1)
    )
    assert agency.closed_at(date(2025, 3, 1))
    assert not agency.succeeded_at(date(2025, 3, 1))
    assert agency.succeeded_at(date(2025, 7, 1))


def test_active_and_suspended_agencies_are_never_closed() -> None:
    """Only status closed closes an agency."""
    assert not Agency(code="G12", name="x").closed_at(date(2099, 1, 1))
    suspended = Agency(code="G12", name="x", status=AgencyStatus.SUSPENDED)
    assert not suspended.closed_at(date(2099, 1, 1))
