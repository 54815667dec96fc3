"""The coded error hierarchy (errors.py)."""

from __future__ import annotations

import pytest

from identifiers import (
    AgencyDuplicate,
    AgencyInUse,
    AgencyInvalid,
    AgencyUnknown,
    IdentifierError,
    RegistryFileError,
    RegistryFormatError,
    SuccessionCycle,
    SuccessionTooLong,
)


def test_errors_share_a_base_with_code_field_and_dict_form() -> None:
    """Every error is an IdentifierError with code, field, location and a dict form."""
    error = AgencyInvalid("bad", field="level").located("line 3")
    assert isinstance(error, IdentifierError)
    assert error.to_dict() == {
        "code": "AGENCY_INVALID",
        "field": "level",
        "location": "line 3",
        "message": "bad",
    }
    assert str(error) == "AGENCY_INVALID at line 3 (field level): bad"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AgencyUnknown, "AGENCY_UNKNOWN"),
        (AgencyDuplicate, "AGENCY_DUPLICATE"),
        (AgencyInvalid, "AGENCY_INVALID"),
        (AgencyInUse, "AGENCY_IN_USE"),
        (SuccessionCycle, "AGENCY_SUCCESSION_CYCLE"),
        (SuccessionTooLong, "AGENCY_SUCCESSION_TOO_LONG"),
        (RegistryFileError, "REGISTRY_FILE"),
        (RegistryFormatError, "REGISTRY_FORMAT"),
    ],
)
def test_each_error_class_has_its_stable_code(error: type[IdentifierError], code: str) -> None:
    """Machine codes are fixed per class and survive located()."""
    instance = error("message", field="code")
    assert instance.code == code
    assert instance.located("line 9").code == code
    assert type(instance.located("line 9")) is error
