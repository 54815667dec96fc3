"""Coded errors of the exchange use cases.

Every rejection names a stable ``code`` and, where one is to blame, the offending ``field``; the API
maps codes to HTTP statuses and VXP ``ErrorCode`` values in one place each
(:mod:`gateway.api.vxp.errors`, :mod:`gateway.api.errors`). Raising one of these before the store's
transaction commits guarantees that nothing of the request was stored.
"""

from __future__ import annotations


class ExchangeError(Exception):
    """Base class: a request the node refuses, with a stable machine code.

    The same shape as the libraries' errors: ``code``, ``message``, ``field``, ``as_dict()``.
    """

    code = "EXCHANGE"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_dict(self) -> dict[str, str | None]:
        """Return the error as a JSON-ready mapping (``code``, ``message``, ``field``)."""
        return {"code": self.code, "message": self.message, "field": self.field}


class AuthError(ExchangeError):
    """The caller is not who it claims, or not allowed (AUTH_*)."""

    code = "AUTH_SIGNATURE"


class NotAllowed(ExchangeError):
    """An authenticated system asked for something outside its grants (AUTH_FORBIDDEN, ...)."""

    code = "AUTH_FORBIDDEN"


class PackageRefused(ExchangeError):
    """The package itself is refused: unreadable, too large, invalid (EDXML_*, PACKAGE_*)."""

    code = "PACKAGE_INVALID"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        findings: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message, code=code, field=field)
        self.findings = findings or []


class RecipientRefused(ExchangeError):
    """A recipient cannot receive: unknown, closed without successor, suspended (RECIPIENT_*)."""

    code = "RECIPIENT_UNKNOWN"

    def __init__(self, message: str, *, code: str, codes: list[str]) -> None:
        super().__init__(message, code=code, field="to")
        self.codes = codes


class NotFound(ExchangeError):
    """An id the caller named does not exist or is not the caller's (DOCUMENT_UNKNOWN, ...)."""

    code = "DOCUMENT_UNKNOWN"


class BadRequest(ExchangeError):
    """A request parameter is missing or malformed (REQUEST_PARAMETER)."""

    code = "REQUEST_PARAMETER"


class StoreUnavailable(ExchangeError):
    """The database failed; nothing was stored (STORE_UNAVAILABLE)."""

    code = "STORE_UNAVAILABLE"


class Conflict(ExchangeError):
    """A concurrent request stored the same thing first (a unique constraint settled the race).

    Internal: the use case that gets it looks again and answers what the winner stored.
    """

    code = "STORE_CONFLICT"
