"""Errors and findings of the edXML library.

Every problem carries a stable machine ``code`` (``EDXML_*``, ``STATUS_*``, ``SIGNATURE_*``) and the
location of the offending element as its ``field``, so that the gateway can map it to a VXP
``ErrorCode`` or an HTTP response in one place (docs/errors.md lists every code).
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

    @property
    def field(self) -> str:
        """The location, under the name every error of the project uses for it."""
        return self.path

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
    """Base of every error raised by the edxml package.

    The same shape as the other packages' errors (``code``, ``message``, ``field``, ``as_dict()``):
    ``field`` is the location of the offending element (``/edXML/edXMLEnvelope``,
    ``MessageHeader``...). ``path`` is kept as a read-only alias of ``field``.
    """

    code = "EDXML_ERROR"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        # ``path=`` is the keyword of earlier releases; ``field=`` wins when both are given.
        self.field: str = field if field is not None else (path if path is not None else "/")
        if code is not None:
            self.code = code

    @property
    def path(self) -> str:
        """The former name of :attr:`field` (read-only alias)."""
        return self.field

    def __str__(self) -> str:
        return f"{self.code} at {self.field}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        """Return the error as a JSON-ready mapping (``code``, ``message``, ``field``)."""
        return {"code": self.code, "message": self.message, "field": self.field}

    def as_finding(self) -> Finding:
        """Return this error as an error-severity finding."""
        return Finding(self.code, Severity.ERROR, self.field, self.message)


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
