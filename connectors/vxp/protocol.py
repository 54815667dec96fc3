"""Wire primitives of the VXP-compatible API (spec/vxp-api.md), shared by the node and the client.

The node uses them to check what an unmodified SDK sends (HMAC over the raw sign header, parameters
from the verified JSON, unpadded ``hash-file``, the frozen millisecond timestamp); the client uses
the same functions to produce byte-identical traffic. Section numbers (§) refer to that spec.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from enum import StrEnum

from connectors.vxp.errors import (
    VxpHashFileError,
    VxpHeaderError,
    VxpParamError,
    VxpTimestampError,
)
from edxml import VN_TZ

HEADER_PREFIX = "XroadVnpt-"
SIGN_HEADER_KEY = "XroadVnpt-sign-header-key"
SIGN_HEADER = "XroadVnpt-sign-header"
HASH_HEADER = "XroadVnpt-hash-header"
VERSION_HEADER = "XroadVnpt-version"
SDK_VERSION = "3.0.201608"
USER_AGENT = "JAVASDKAgent/1.0.0 XRoad/VPCP"
SERVICE_TYPE = "eDoc"
CONTENT_TYPE_JSON = "application/json"
CONTENT_TYPE_FILE = "application/octet-stream"

#: Vietnam's offset. The SDK stamps JVM-local time without an offset (§3.1); the node reads it as
#: +07:00 because the integrators are in Vietnam (INF).
# Vietnam's time zone is edXML's (edxml.VN_TZ): one definition for every room that may import it.


class Action(StrEnum):
    """The 13 SDK operations, plus ``reportDelivery`` between nodes; values are the
    case-sensitive last path segment (§2)."""

    SEND_EDOC = "sendEdoc"
    GET_RECEIVED_EDOC_LIST = "getReceivedEdocList"
    GET_SENT_EDOC_LIST = "getSentEdocList"
    GET_EDOC = "getEdoc"
    DOWNLOAD_EDOC = "downloadEdoc"
    UPDATE_STATUS = "updateStatus"
    COUNT_RECEIVE_EDOC = "countReceiveEdoc"
    COUNT_RECEIVE_STATUS = "countReceiveStatus"
    GET_AGENCIES_LIST = "getAgenciesList"
    GET_AGENCIES_LIST_QD20 = "getAgenciesListQD20"
    GET_SYNCHRONIZE_UNIT = "getSynchronizeUnit"
    REGISTER_AGENCY = "registerAgency"
    DELETE_AGENCY = "deleteAgency"
    #: Not an SDK operation: the node-to-node extension by which a downstream node reports what
    #: became of a copy it pulled (received by its final recipient, or failed).
    REPORT_DELIVERY = "reportDelivery"

    @property
    def method(self) -> str:
        """The HTTP method the SDK uses: GET for ``downloadEdoc``, POST for the rest (§0.2, Q1)."""
        return "GET" if self is Action.DOWNLOAD_EDOC else "POST"


class MessageType(StrEnum):
    """Values of the ``messagetype`` parameter (§5.1)."""

    EDOC = "edoc"
    STATUS = "status"


class AckStatus(StrEnum):
    """Values of the ``status`` parameter of ``updateStatus`` (§5.6)."""

    DONE = "done"
    FAIL = "fail"


#: The spelling the spec uses for each parameter, by lower-cased key. Used to settle a key sent
#: twice in different case (``docId`` and ``docid``, §3.1); PVN's extras are listed too (§5.2).
CANONICAL_KEYS: dict[str, str] = {
    key.lower(): key
    for key in (
        "systemid",
        "timestamp",
        "Content-Type",
        "servicetype",
        "messagetype",
        "docId",
        "filePath",
        "status",
        "hash-file",
        "from",
        "to",
        "level",
        "AgencyCode",
        "fromDate",
        "toDate",
        "pageSize",
        "pageIndex",
    )
}


# --- hash-file (§4.3) -------------------------------------------------------------------------


def sdk_hex(digest: bytes) -> str:
    """Hex the way the SDK does: each byte as ``%x``, leading zeros dropped (§4.3).

    The result is ambiguous by nature (``0a`` and ``a0`` both map to one or two characters), so
    only ever compare it with a value computed here. For a SHA-256 digest it is 32 to 64
    characters long, in practice 57 to 64.
    """
    return "".join(f"{byte:x}" for byte in digest)


def hash_file(data: bytes) -> str:
    """``XroadVnpt-hash-file`` as the SDK sends it: unpadded hex of SHA-256 over the file (§4.3)."""
    return sdk_hex(hashlib.sha256(data).digest())


def hash_file_matches(value: str, data: bytes) -> bool:
    """True if ``value`` is the SHA-256 of ``data`` in the SDK's unpadded or the standard form (Q3).

    Case and surrounding blanks are ignored; the comparison is constant-time per candidate.
    """
    return _matching_digest(value, data) is not None


def _matching_digest(value: str, data: bytes) -> bytes | None:
    digest = hashlib.sha256(data).digest()
    given = value.strip().lower().encode("utf-8", "replace")
    sdk_ok = hmac.compare_digest(given, sdk_hex(digest).encode("ascii"))
    std_ok = hmac.compare_digest(given, digest.hex().encode("ascii"))
    return digest if sdk_ok or std_ok else None


def extract_document(body: bytes, hash_value: str) -> bytes:
    """Return the file a ``sendEdoc`` body carries, checked against ``hash-file`` (§4.3, Q2).

    The SDK appends ``\\r\\n`` to the file and hashes the file alone: strip exactly that CRLF and
    check; if that fails and the body ended with CRLF, try the whole body (a non-SDK client that
    appended nothing). Raises :class:`VxpHashFileError` when neither matches.
    """
    return extract_hashed_document(body, hash_value)[0]


def extract_hashed_document(body: bytes, hash_value: str) -> tuple[bytes, bytes]:
    """:func:`extract_document` and the file's SHA-256 digest, computed on the way (a receiver
    that keys the file by it need not hash it a second time)."""
    if body.endswith(b"\r\n"):
        file = body[:-2]
        digest = _matching_digest(hash_value, file)
        if digest is not None:
            return file, digest
    digest = _matching_digest(hash_value, body)
    if digest is not None:
        return body, digest
    raise VxpHashFileError("body does not match hash-file", field="hash-file")


# --- timestamp (§3.1, §4.1 step 7) ------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"([0-9]{2})([0-9]{2})([0-9]{4})T([0-9]{2})([0-9]{2})([0-9]{2})\+([0-9]{4})"
)


def format_timestamp(dt: datetime, tz: timezone = VN_TZ) -> str:
    """Format ``dt`` as ``ddMMyyyy'T'HHmmss+SSSS`` in ``tz`` (``+SSSS`` = milliseconds, §3.1).

    ``dt`` must be timezone-aware; it is converted to ``tz`` (default +07:00), the wall clock the
    SDK would print, and truncated to milliseconds like ``SimpleDateFormat``.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise VxpTimestampError("naive datetime: pass an aware one", field="timestamp")
    try:
        local = dt.astimezone(tz)
    except OverflowError as exc:
        raise VxpTimestampError(f"out of range: {dt!r}", field="timestamp") from exc
    return (
        f"{local.day:02d}{local.month:02d}{local.year:04d}T"
        f"{local.hour:02d}{local.minute:02d}{local.second:02d}+{local.microsecond // 1000:04d}"
    )


def parse_timestamp(value: str, tz: timezone = VN_TZ) -> datetime:
    """Parse an SDK timestamp into an aware datetime in ``tz`` (default +07:00, §4.1 step 7).

    The wire value is the sender's local wall clock with no offset; the node assumes Vietnam time.
    ``+SSSS`` is milliseconds (0000-0999), not an offset. Raises :class:`VxpTimestampError`.
    """
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        raise VxpTimestampError(f"not ddMMyyyyTHHmmss+SSSS: {value!r}", field="timestamp")
    day, month, year, hour, minute, second, millis = (int(part) for part in match.groups())
    if millis > 999:
        raise VxpTimestampError(f"milliseconds out of range: {value!r}", field="timestamp")
    try:
        return datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=tz)
    except ValueError as exc:
        raise VxpTimestampError(f"not a valid date: {value!r}", field="timestamp") from exc


# --- sign header and HMAC (§3.1, §4) ----------------------------------------------------------

# Gson JsonWriter (not HTML-safe, the JsonElement.toString() default): `"` and `\` escaped,
# \t \b \n \r \f short, other C0 controls as lowercase \u00xx, U+2028/U+2029 escaped (they break
# JavaScript), everything else (DEL and all non-ASCII included) left literal.
_GSON_ESCAPES: dict[int, str] = {code: f"\\u{code:04x}" for code in range(0x20)}
_GSON_ESCAPES.update(
    {
        ord("\t"): "\\t",
        ord("\b"): "\\b",
        ord("\n"): "\\n",
        ord("\r"): "\\r",
        ord("\f"): "\\f",
        ord('"'): '\\"',
        ord("\\"): "\\\\",
        0x2028: "\\u2028",
        0x2029: "\\u2029",
    }
)


def gson_quote(text: str) -> str:
    """``text`` as a JSON string literal exactly as Gson's ``JsonWriter`` writes it (§3.1)."""
    return '"' + text.translate(_GSON_ESCAPES) + '"'


def gson_string_array(items: Iterable[str]) -> str:
    """A JSON array of strings as Gson writes it (``["a","b"]``, no spaces; §3.3)."""
    return "[" + ",".join(gson_quote(item) for item in items) + "]"


def build_sign_header(params: Sequence[tuple[str, str]]) -> bytes:
    """Build ``XroadVnpt-sign-header``: Gson ``JsonObject.toString()`` of the prefixed params.

    ``params`` are ``(key, value)`` pairs without the ``XroadVnpt-`` prefix, in the order they are
    sent (the SDK's map order, §3.1). The result is UTF-8 with non-ASCII left literal; a lone
    surrogate becomes ``?`` as Java's UTF-8 encoder writes it. A key given twice is refused (a
    map cannot hold it).
    """
    seen: set[str] = set()
    members: list[str] = []
    for key, value in params:
        if key in seen:
            raise VxpParamError(f"parameter given twice: {key!r}", field=key)
        seen.add(key)
        members.append(f"{gson_quote(HEADER_PREFIX + key)}:{gson_quote(value)}")
    return ("{" + ",".join(members) + "}").encode("utf-8", "replace")


def sign(secret: str, raw: bytes) -> str:
    """``XroadVnpt-hash-header``: lowercase hex HMAC-SHA256 of ``raw`` keyed by UTF-8 ``secret``."""
    return hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def verify_signed_headers(raw_sign_header: bytes, hash_header: str, secret: str) -> bool:
    """Check ``hash_header`` against the HMAC of the raw sign-header bytes, in constant time (§4.1).

    ``raw_sign_header`` must be the bytes as received (``.encode("latin-1")`` of a header a
    framework decoded as ISO-8859-1), never re-serialised JSON. Case and blanks around the hex
    are ignored.
    """
    expected = sign(secret, raw_sign_header).encode("ascii")
    given = hash_header.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _pairs(raw: bytes, what: str) -> list[tuple[str, object]]:
    """Decode ``raw`` as one UTF-8 JSON object and return its members in order."""
    try:
        text = raw.decode("utf-8")
        parsed = json.loads(
            text,
            object_pairs_hook=lambda pairs: ("object", pairs),
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise VxpHeaderError(f"{what} is not UTF-8 JSON: {exc}", field=SIGN_HEADER) from exc
    if not (isinstance(parsed, tuple) and parsed[0] == "object"):
        raise VxpHeaderError(f"{what} is not a JSON object", field=SIGN_HEADER)
    pairs: list[tuple[str, object]] = parsed[1]
    return pairs


def parse_signed_params(raw: bytes) -> dict[str, str]:
    """Read the request parameters from a verified ``XroadVnpt-sign-header`` (§4.1 step 5, Q4).

    Returns ``{key without prefix, lower-cased: value}``. Members without the ``XroadVnpt-``
    prefix are ignored. Raises :class:`VxpHeaderError` if ``raw`` is not UTF-8, not a JSON
    object, has a non-string value, or repeats a member verbatim (the SDK's map cannot).

    The same key in different case (``docId`` and ``docid``) is legal: the sticky SDK map keeps
    both and its HashMap order says nothing about which one the current call set (§3.1, §3.2).
    Rule: equal values are no conflict; otherwise the spelling in :data:`CANONICAL_KEYS` (the one
    the spec names, e.g. ``docId``) wins, so the official example's ``docid`` left over from an
    earlier ``updateStatus`` cannot override a fresh ``docId``. For keys the spec does not name,
    the first member in the JSON wins.
    """
    chosen: dict[str, tuple[str, str]] = {}
    seen: set[str] = set()
    for name, value in _pairs(raw, "sign header"):
        if name in seen:
            raise VxpHeaderError(f"member given twice: {name!r}", field=SIGN_HEADER)
        seen.add(name)
        if not isinstance(value, str):
            raise VxpHeaderError(f"value of {name!r} is not a string", field=name)
        if not name.startswith(HEADER_PREFIX) or len(name) == len(HEADER_PREFIX):
            continue
        key = name[len(HEADER_PREFIX) :]
        lower = key.lower()
        if lower not in chosen or (key == CANONICAL_KEYS.get(lower) and chosen[lower][0] != key):
            chosen[lower] = (key, value)
    return {lower: value for lower, (_, value) in chosen.items()}


# --- the `to` parameter (§3.3, Q7) ------------------------------------------------------------

_TO_SEPARATORS = re.compile(r"[,;]")


def parse_to(value: str) -> list[str]:
    """Recipient ids from ``XroadVnpt-to``: JSON ``["a","b"]`` or ``"a"``, or bare ``a``/``a,b``.

    A value starting with ``[`` or ``"`` is JSON (the SDK stores ``to`` as its JSON text, §3.3;
    one starting with ``{`` is refused as JSON that is neither);
    anything else is a plain id or a ``,``/``;``-separated list. Ids are stripped and
    de-duplicated in order; a string (bare or JSON) is split on ``,``/``;`` too, agency codes
    never contain them. A blank value gives ``[]`` (the caller then reads the edXML ``To``).
    Raises :class:`VxpParamError` for bad JSON, a non-string item, or an empty item.
    """
    text = value.strip()
    pieces: list[str]
    if text.startswith(("[", '"', "{")):  # "{": an object can only be a mistake, say so
        try:
            parsed = json.loads(text, parse_constant=_reject_constant)
        except ValueError as exc:
            raise VxpParamError(f"to is not valid JSON: {exc}", field="to") from exc
        if isinstance(parsed, str):
            pieces = _TO_SEPARATORS.split(parsed)
        elif isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            pieces = list(parsed)
            if any(not item.strip() for item in pieces):
                raise VxpParamError("to has an empty item", field="to")
        else:
            raise VxpParamError("to must be a JSON string or array of strings", field="to")
    else:
        pieces = _TO_SEPARATORS.split(text)
    result: list[str] = []
    for piece in pieces:
        item = piece.strip()
        if item and item not in result:
            result.append(item)
    return result


# --- responses (§5, Q9) -----------------------------------------------------------------------


def ascii_json(obj: object) -> bytes:
    """Compact JSON with every non-ASCII character as ``\\uXXXX`` (Q9: ``sendEdoc`` replies are read
    as US-ASCII by the SDK). Characters outside the BMP become surrogate pairs, as Java expects.
    NaN and infinities are refused (``ValueError``)."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode(
        "ascii"
    )
