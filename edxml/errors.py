"""Errors and findings of the edXML library.

Every problem carries a stable machine ``code`` (``EDXML_*``, ``STATUS_*``, ``SIGNATURE_*``) and the
location of the offending element, so that the gateway can map it to a VXP ``ErrorCode`` or an HTTP
response in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is; policy decides which codes are errors."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One validation result: a stable code, a severity, a location path and a message."""

    code: str
    severity: Severity
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Return the finding as a JSON-ready mapping."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"{self.severity.value.upper()} {self.code} at {self.path}: {self.message}"


class EdxmlError(Exception):
    """Base of every error raised by the edxml package; carries a stable code and a location."""

    code = "EDXML_ERROR"

    def __init__(self, message: str, *, path: str = "/", code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code} at {self.path}: {self.message}"

    def as_finding(self) -> Finding:
        """Return this error as an error-severity finding."""
        return Finding(self.code, Severity.ERROR, self.path, self.message)


class PackageRejected(EdxmlError):
    """The bytes cannot be read as an edXML package at all (malformed, hostile or too large)."""

    code = "EDXML_MALFORMED"


class TooLarge(PackageRejected):
    """The package or one of its parts exceeds a configured limit."""

    code = "EDXML_TOO_LARGE"


class ForbiddenConstruct(PackageRejected):
    """The XML uses a construct the hardened reader refuses (DTD, entity, XInclude, PI...)."""

    code = "EDXML_FORBIDDEN"


class EncodingRejected(PackageRejected):
    """The bytes are not UTF-8 (TCVN 6909:2001 requires Unicode UTF-8)."""

    code = "EDXML_ENCODING"


class NotEdxml(PackageRejected):
    """Well-formed XML, but not an edXML document or status package."""

    code = "EDXML_NOT_EDXML"


class BuildError(EdxmlError):
    """A model cannot be emitted as a strict edXML package."""

    code = "EDXML_BUILD"


class SignatureError(EdxmlError):
    """Signing failed (bad key, unsupported algorithm)."""

    code = "SIGNATURE_ERROR"
