"""Authenticating a VXP request exactly as the SDK signs it (vxp-api.md §4).

The HMAC is checked over the **raw bytes** of ``XroadVnpt-sign-header`` as they arrived (never a
re-serialised JSON), keyed by the system's secret, compared in constant time; header names are
matched case-insensitively; the parameters are read from the verified JSON only (Q4), never from
unsigned headers. The frozen SDK timestamp is not checked for freshness (Q5) unless the node sets
a window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.vxp.errors import VxpError
from connectors.vxp.protocol import (
    HASH_HEADER,
    HEADER_PREFIX,
    SIGN_HEADER,
    parse_signed_params,
    parse_timestamp,
    verify_signed_headers,
)
from gateway.core.errors import AuthError
from gateway.core.exchange import Exchange
from gateway.core.model import System

_SYSTEMID = (HEADER_PREFIX + "systemid").lower().encode("ascii")
_SIGN = SIGN_HEADER.lower().encode("ascii")
_HASH = HASH_HEADER.lower().encode("ascii")
_PREFIX = HEADER_PREFIX.lower().encode("ascii")


_ENCODING_HINT = (
    "a header value holds non-ASCII characters that did not arrive as signed: the SDK truncates "
    "such characters when the endpoint has an explicit port; send ASCII-only parameter values"
)


@dataclass(frozen=True)
class VxpCall:
    """An authenticated VXP request: the calling system and its signed parameters."""

    system: System
    params: dict[str, str]

    def get(self, key: str) -> str | None:
        """A parameter by its key (case-insensitive), stripped; None when absent or blank."""
        value = self.params.get(key.lower())
        if value is None:
            return None
        value = value.strip()
        return value or None


def _header(raw: Sequence[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in raw:
        if key.lower() == name:
            return value
    return None


def _non_ascii(raw: Sequence[tuple[bytes, bytes]]) -> bool:
    return any(k.lower().startswith(_PREFIX) and not v.isascii() for k, v in raw)


async def authenticate(
    exchange: Exchange,
    raw_headers: Sequence[tuple[bytes, bytes]],
    *,
    timestamp_window: timedelta | None = None,
    now: datetime | None = None,
) -> VxpCall:
    """Verify the signed headers of one request; raises :class:`AuthError` (ErrorCode 15)."""
    sign_header = _header(raw_headers, _SIGN)
    hash_header = _header(raw_headers, _HASH)
    system_header = _header(raw_headers, _SYSTEMID)
    if sign_header is None or hash_header is None or system_header is None:
        missing = [
            name
            for name, value in (
                ("XroadVnpt-systemid", system_header),
                (SIGN_HEADER, sign_header),
                (HASH_HEADER, hash_header),
            )
            if value is None
        ]
        raise AuthError(
            "missing header(s): " + ", ".join(missing), code="AUTH_HEADER_MISSING", field=missing[0]
        )
    try:
        params = parse_signed_params(sign_header)
    except VxpError as exc:
        if not sign_header.isascii():
            raise AuthError(_ENCODING_HINT, code="AUTH_HEADER_ENCODING", field=SIGN_HEADER) from exc
        raise AuthError(exc.message, code="AUTH_HEADER_INVALID", field=SIGN_HEADER) from exc
    system_id = params.get("systemid", "")
    header_id = system_header.decode("latin-1").strip()
    if not system_id or system_id != header_id:
        raise AuthError(
            "XroadVnpt-systemid differs from the systemid inside XroadVnpt-sign-header",
            code="AUTH_SYSTEM_MISMATCH",
            field="systemid",
        )
    system, secret = await exchange.vxp_secret(system_id)
    if not verify_signed_headers(sign_header, hash_header.decode("latin-1"), secret):
        if _non_ascii(raw_headers):
            # Q12: the SDK truncates non-ASCII characters to one byte on explicit-port endpoints.
            raise AuthError(_ENCODING_HINT, code="AUTH_HEADER_ENCODING", field=SIGN_HEADER)
        raise AuthError(
            "XroadVnpt-hash-header does not match", code="AUTH_SIGNATURE", field=HASH_HEADER
        )
    if timestamp_window is not None and now is not None:
        stamp = params.get("timestamp")
        try:
            sent = parse_timestamp(stamp or "")
        except VxpError as exc:
            raise AuthError(exc.message, code="AUTH_TIMESTAMP", field="timestamp") from exc
        if abs(now - sent) > timestamp_window:
            raise AuthError(
                "timestamp outside the accepted window", code="AUTH_TIMESTAMP", field="timestamp"
            )
    return VxpCall(system=system, params=params)
