"""The error body every rejection of the native API carries.

``{"error": {"code": "AGENCY_UNKNOWN", "message": "...", "field": "code", "request_id": "..."}}``:
a stable machine code, a human message, the offending field when there is one, and the
correlation id of the request (also in the ``X-Request-ID`` header) to quote to an operator.
A refused package adds ``findings`` (every validation error, not just the first) and a refused
recipient list adds ``codes`` (every recipient that cannot receive); both are omitted otherwise.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


def _absent(value: object) -> bool:
    # The optional lists are left out of the body rather than shown as null.
    return value is None


class PackageFinding(BaseModel):
    """One problem validation found in a package."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(examples=["EDXML_REQUIRED"])
    severity: str = Field(examples=["error"])
    path: str = Field(description="Where in the package.", examples=["To/OrganId"])
    message: str


class ErrorDetail(BaseModel):
    """What went wrong, in a form both machines and people can read."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(
        description="Stable machine code, e.g. REQUEST_INVALID, NOT_FOUND, AGENCY_UNKNOWN.",
        examples=["AGENCY_UNKNOWN"],
    )
    message: str = Field(description="Human-readable explanation; never internal details.")
    field: str | None = Field(
        default=None,
        description="The offending field or parameter (e.g. 'limit', 'code'), if any.",
        examples=["code"],
    )
    request_id: str | None = Field(
        default=None, description="Correlation id of the request (X-Request-ID)."
    )
    findings: list[PackageFinding] | None = Field(
        default=None,
        exclude_if=_absent,
        description="A refused package: every validation error found (omitted otherwise).",
    )
    codes: list[str] | None = Field(
        default=None,
        exclude_if=_absent,
        description="Refused recipients: every agency code that cannot receive (omitted "
        "otherwise).",
        examples=[["000.00.00.X99"]],
    )


class ErrorBody(BaseModel):
    """The JSON body of every error response."""

    model_config = ConfigDict(frozen=True)

    error: ErrorDetail
