"""The error body every rejection of the native API carries.

``{"error": {"code": "AGENCY_UNKNOWN", "message": "...", "field": "code", "request_id": "..."}}``:
a stable machine code, a human message, the offending field when there is one, and the
correlation id of the request (also in the ``X-Request-ID`` header) to quote to an operator.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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


class ErrorBody(BaseModel):
    """The JSON body of every error response."""

    model_config = ConfigDict(frozen=True)

    error: ErrorDetail
