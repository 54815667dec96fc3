"""Errors of the identifiers package.

Every error carries a stable machine ``code`` (``AGENCY_*``, ``REGISTRY_*``) and the name of the
offending ``field``, so that the gateway can map it to a VXP ``ErrorCode`` or an HTTP response in
one place (design.md §3.4). Parsing an agency code never raises: only registry operations and file
loading do.
"""

from __future__ import annotations

from typing import Self


class IdentifierError(Exception):
    """Base of every error raised by the identifiers package.

    The same shape as the other packages' errors: ``code``, ``message``, ``field``, ``as_dict()``;
    ``location`` says where in an imported file.
    """

    code = "AGENCY_ERROR"

    def __init__(self, message: str, *, field: str, location: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.location = location
        """Where in an imported file: ``line 7`` (CSV) or ``agencies[3]`` (JSON); else None."""

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location is not None else ""
        return f"{self.code}{where} (field {self.field}): {self.message}"

    def located(self, location: str) -> Self:
        """Return a copy of this error that says where in an imported file it was found."""
        return type(self)(self.message, field=self.field, location=location)

    def as_dict(self) -> dict[str, str | None]:
        """Return the error as a JSON-ready mapping (code, message, field, location)."""
        return self.to_dict()

    def to_dict(self) -> dict[str, str | None]:
        """Return the error as a JSON-ready mapping (the name the identifiers package uses)."""
        return {
            "code": self.code,
            "field": self.field,
            "location": self.location,
            "message": self.message,
        }


class AgencyUnknown(IdentifierError):
    """The code names no registered agency."""

    code = "AGENCY_UNKNOWN"


class AgencyDuplicate(IdentifierError):
    """A code (in either form) is already registered to another agency."""

    code = "AGENCY_DUPLICATE"


class AgencyInvalid(IdentifierError):
    """A record field is missing, malformed or inconsistent with the others."""

    code = "AGENCY_INVALID"


class AgencyInUse(IdentifierError):
    """The agency cannot be deleted: other agencies route to it as their successor."""

    code = "AGENCY_IN_USE"


class SuccessionCycle(IdentifierError):
    """Following successors comes back to an agency already visited."""

    code = "AGENCY_SUCCESSION_CYCLE"


class SuccessionTooLong(IdentifierError):
    """A succession chain is longer than the allowed number of hops."""

    code = "AGENCY_SUCCESSION_TOO_LONG"


class RegistryFileError(IdentifierError):
    """A registry file cannot be read or written (missing, unreadable, unsupported extension)."""

    code = "REGISTRY_FILE"


class RegistryFormatError(IdentifierError):
    """A registry file is readable but its content is not a registry (bad header, bad JSON)."""

    code = "REGISTRY_FORMAT"
