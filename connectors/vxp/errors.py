"""Errors of the VXP protocol package, each with a stable machine ``code``.

Two families share the base :class:`VxpError`:

* :class:`VxpRequestError` and its subclasses describe a malformed request (bad sign header, bad
  timestamp, bad parameter, wrong ``hash-file``). The node raises them while it checks SDK traffic
  and maps them to a VXP ``ErrorCode`` in one place (spec §0 error table); the client raises them
  before sending a request that the wire cannot carry.
* :class:`VxpFailure`, :class:`VxpTransportError` and :class:`VxpResponseError` are what a call of
  :class:`connectors.vxp.client.VxpClient` can end with.
"""

from __future__ import annotations

import re

# Spec §0: every FAIL of this project starts ErrorDesc with our own stable code, e.g.
# "EDXML_SCHEMA: To/OrganId missing". Other axes send free text.
_REASON = re.compile(r"([A-Z][A-Z0-9_]*[A-Z0-9])(?: \[[^\]]*\])?:")


class VxpError(Exception):
    """Base of every error of the VXP package; carries a stable ``code`` and the offending field.

    The same shape as the other packages' errors: ``code``, ``message``, ``field``, ``as_dict()``.
    """

    code = "VXP_ERROR"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        where = f" ({self.field})" if self.field else ""
        return f"{self.code}{where}: {self.message}"

    def as_dict(self) -> dict[str, str | None]:
        """Return the error as a JSON-ready mapping (``code``, ``message``, ``field``)."""
        return {"code": self.code, "message": self.message, "field": self.field}


class VxpRequestError(VxpError):
    """A request (as built by a client or as received by the node) breaks the protocol."""

    code = "VXP_REQUEST"


class VxpHeaderError(VxpRequestError):
    """The signed header set is missing, not UTF-8, not a JSON object of strings, or ambiguous."""

    code = "VXP_HEADER"


class VxpTimestampError(VxpRequestError):
    """A ``timestamp`` is not ``ddMMyyyy'T'HHmmss+SSSS`` or not a real date (spec §4.1 step 7)."""

    code = "VXP_TIMESTAMP"


class VxpParamError(VxpRequestError):
    """A request parameter is malformed (e.g. ``to``) or cannot travel in an HTTP header."""

    code = "VXP_PARAM"


class VxpHashFileError(VxpRequestError):
    """The ``sendEdoc`` body does not match ``hash-file`` in either hex form (spec §4.3)."""

    code = "VXP_HASH_FILE"


class VxpFailure(VxpError):
    """The server answered a complete envelope that is not a success (``status`` FAIL, spec §6).

    ``error_code`` is the envelope's ``ErrorCode`` as a string, ``error_desc`` its ``ErrorDesc``;
    ``reason`` is the stable code at the start of ``ErrorDesc`` when the server is one of our
    nodes (``EDXML_SCHEMA``...), else ``None``.
    """

    code = "VXP_FAIL"

    def __init__(
        self,
        error_code: str,
        error_desc: str,
        *,
        action: str = "",
        status: str = "FAIL",
        http_status: int | None = None,
    ) -> None:
        super().__init__(f"{action or 'call'} failed: ErrorCode {error_code}: {error_desc}")
        self.error_code = error_code
        self.error_desc = error_desc
        self.action = action
        self.status = status
        self.http_status = http_status
        match = _REASON.match(error_desc)
        self.reason: str | None = match.group(1) if match else None


class VxpTransportError(VxpError):
    """The server could not be reached or the connection broke, after every allowed retry."""

    code = "VXP_TRANSPORT"

    def __init__(self, message: str, *, action: str = "", attempts: int = 1) -> None:
        super().__init__(message, field=action or None)
        self.action = action
        self.attempts = attempts


class VxpResponseError(VxpError):
    """The server's answer is not a usable VXP response (not JSON, incomplete envelope, bad data).

    Never read as success: the SDK turns such answers into empty lists (spec §5.2, §6); this
    client refuses them. ``http_status`` is the HTTP status of the last answer.
    """

    code = "VXP_RESPONSE"

    def __init__(
        self,
        message: str,
        *,
        action: str = "",
        http_status: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.action = action
        self.http_status = http_status
