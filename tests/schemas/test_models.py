"""REST models: error body shape and the wire names of redirects."""

from __future__ import annotations

from schemas.agencies import Redirect
from schemas.errors import ErrorBody, ErrorDetail


def test_error_body_shape() -> None:
    """The error body nests code, message, field and request id under "error"."""
    body = ErrorBody(error=ErrorDetail(code="AGENCY_UNKNOWN", message="no agency", field="code"))
    assert body.model_dump(mode="json") == {
        "error": {
            "code": "AGENCY_UNKNOWN",
            "message": "no agency",
            "field": "code",
            "request_id": None,
        }
    }


def test_redirect_uses_from_and_to_on_the_wire() -> None:
    """A redirect reads and writes the keys from/to/effective."""
    wire = {"from": "H14.94", "to": "H14.95", "effective": "2025-03-01"}
    redirect = Redirect.model_validate(wire)
    assert (redirect.from_code, redirect.to_code) == ("H14.94", "H14.95")
    assert redirect.model_dump(mode="json") == wire
