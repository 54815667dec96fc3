"""Every package's errors have the same shape: code, message, field and as_dict() (issue 12 §3)."""

from __future__ import annotations

import pytest

from business_calendar.model import CalendarError
from connectors.bus.errors import BusError, PublishRefused
from connectors.vxp.errors import VxpError, VxpParamError
from edxml.errors import EdxmlError, NotEdxml
from gateway.core.errors import ExchangeError, PackageRefused
from identifiers.errors import AgencyUnknown, IdentifierError

SAMPLES: list[Exception] = [
    NotEdxml("root element is 'html'", field="/"),
    AgencyUnknown("no agency 000.00.00.H99", field="code"),
    PublishRefused("the broker refused m-1", field="forward"),
    VxpParamError("to is malformed", field="to"),
    PackageRefused("Subject is required", code="EDXML_REQUIRED", field="MessageHeader/Subject"),
    CalendarError("bad session", code="CALENDAR_FORMAT", field="hours"),
]
BASES = (EdxmlError, IdentifierError, BusError, VxpError, ExchangeError, CalendarError)


@pytest.mark.parametrize("error", SAMPLES, ids=lambda error: type(error).__name__)
def test_every_error_names_code_message_and_field(error: Exception) -> None:
    """Each package's error carries code, message and field, and as_dict() says the same."""
    assert isinstance(error, BASES)
    data = error.as_dict()
    assert data["code"] == error.code
    assert error.code.isupper()
    assert data["message"] == error.message
    assert data["field"] == error.field is not None


def test_edxml_path_is_a_read_only_alias_of_field() -> None:
    """An edxml error's former ``path`` attribute reads its ``field`` and cannot be set."""
    error = NotEdxml("edXMLEnvelope is missing", field="/edXML/edXMLEnvelope")
    assert error.path == error.field == "/edXML/edXMLEnvelope"
    with pytest.raises(AttributeError):
        error.path = "/"  # type: ignore[misc]


def test_edxml_errors_still_accept_the_path_keyword() -> None:
    """``path=`` of earlier releases still sets the field; the default field is the root."""
    assert NotEdxml("x", path="MessageHeader").field == "MessageHeader"
    assert NotEdxml("x").field == "/"
    assert NotEdxml("x").as_finding().field == "/"
