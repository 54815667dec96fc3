"""The registry of error codes: what each stable code means and how each API answers it.

One row per code (docs/errors.md is the same table, and tests/test_error_codes.py checks both that
every code raised anywhere in edxml, identifiers, connectors and gateway has a row and that the doc
matches). :mod:`gateway.api.errors` reads the HTTP status of the native API from here,
:mod:`gateway.api.vxp.errors` the VXP ``ErrorCode``; there are no prefix rules: a code without a
row is a bug the test reports; at run time it answers like its class's own code (HTTP) or ``20``.

``http`` is the status of the native API; the VXP API answers every FAIL with HTTP 200 and the
``vxp`` ErrorCode (vxp-api.md §6). Codes marked internal are never the code of an answer (the
caller sees ``INTERNAL``, ``NOT_READY`` or a log line); their row says what they would map to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Code:
    """One stable error code: its meaning, its native HTTP status, its VXP ErrorCode, its field."""

    meaning: str
    http: int
    vxp: str
    field: str = ""
    """What the error's ``field`` names (empty when it names none)."""


_PATH = "element path"
_ATT = "attachment path"
_ROWS: dict[str, Code] = {
    # --- the API itself (gateway/api)
    "INTERNAL": Code(
        "unexpected failure; the log line with the same request id says why", 500, "20"
    ),
    "NOT_READY": Code(
        "the node is starting or stopping (or its registry is not open)", 503, "20", "the component"
    ),
    "REQUEST_INVALID": Code("a parameter or body failed validation", 422, "25", "the parameter"),
    "REQUEST_UNKNOWN_PARAMETER": Code(
        "a query parameter the route does not take", 422, "25", "the parameter"
    ),
    "ACTION_UNKNOWN": Code("no VXP action of that name", 404, "25", "path"),
    "BAD_REQUEST": Code("HTTP 400 from the framework", 400, "25"),
    "UNAUTHORIZED": Code("HTTP 401 from the framework", 401, "15"),
    "FORBIDDEN": Code("HTTP 403 from the framework", 403, "15"),
    "NOT_FOUND": Code("nothing is served at that path", 404, "20"),
    "METHOD_NOT_ALLOWED": Code("the method is not allowed on that path", 405, "20"),
    "NOT_ACCEPTABLE": Code("HTTP 406 from the framework", 406, "20"),
    "CONFLICT": Code("HTTP 409 from the framework", 409, "20"),
    "PAYLOAD_TOO_LARGE": Code("HTTP 413 from the framework", 413, "10"),
    "UNSUPPORTED_MEDIA_TYPE": Code(
        "the package is not sent as application/xml or application/octet-stream", 415, "10"
    ),
    "TOO_MANY_REQUESTS": Code("HTTP 429 from the framework", 429, "20"),
    "UNAVAILABLE": Code("HTTP 503 from the framework", 503, "20"),
    # --- authentication and grants (gateway/core/errors.py AuthError, NotAllowed)
    "AUTH_SIGNATURE": Code(
        "the VXP hash-header does not match", 401, "15", "XroadVnpt-hash-header"
    ),
    "AUTH_UNKNOWN_SYSTEM": Code("no system has that systemid", 401, "15", "systemid"),
    "AUTH_DISABLED": Code("the system is disabled", 401, "15", "systemid"),
    "AUTH_HEADER_MISSING": Code("a required VXP header is missing", 401, "15", "the header"),
    "AUTH_HEADER_INVALID": Code("the signed header set cannot be read", 401, "15", "sign-header"),
    "AUTH_HEADER_ENCODING": Code("a VXP header is not UTF-8", 401, "15", "sign-header"),
    "AUTH_SYSTEM_MISMATCH": Code(
        "the systemid header differs from the signed one", 401, "15", "systemid"
    ),
    "AUTH_TIMESTAMP": Code(
        "the VXP timestamp is malformed or outside the window", 401, "15", "timestamp"
    ),
    "AUTH_SCHEME": Code(
        "the Authorization header is not a bearer token", 401, "15", "Authorization"
    ),
    "AUTH_TOKEN": Code("the bearer token is unknown", 401, "15", "Authorization"),
    "AUTH_TOKEN_MISSING": Code("no bearer token was sent", 401, "15", "Authorization"),
    "AUTH_FORBIDDEN": Code("the system lacks the grant (e.g. admin) for the call", 403, "15"),
    "AUTH_NODE_LINK": Code(
        "a node-to-node extension called by a system that is no node link", 403, "15"
    ),
    "AUTH_REQUIRED": Code("no person is signed in (admin API, console)", 401, "15"),
    "AUTH_ROLE": Code("the signed-in person's role does not allow the action", 403, "15"),
    # --- people: sign-in and users (gateway/core/people.py)
    "AUTH_PASSWORD": Code(
        "wrong username or password (counted for the lock-out)", 401, "15", "password"
    ),
    "AUTH_LOCKED": Code("too many failed sign-ins: the username is locked for a while", 429, "15"),
    "AUTH_USER_DISABLED": Code(
        "the user is disabled (sign-in or personal token)", 401, "15", "password or Authorization"
    ),
    "USER_NAME_INVALID": Code("a username is malformed", 422, "25", "username"),
    "USER_ROLE_INVALID": Code("a role is not operator, auditor or admin", 422, "25", "role"),
    "USER_PASSWORD_WEAK": Code("a chosen password is too short or too long", 422, "25", "password"),
    "USER_EXISTS": Code("a user with that name already exists", 409, "25", "username"),
    "USER_UNKNOWN": Code("no user has that name", 404, "24", "username"),
    "USER_LAST_ADMIN": Code("the last enabled admin cannot be disabled", 409, "25", "username"),
    # --- the operator console (gateway/console)
    "CSRF_INVALID": Code(
        "a console form's CSRF token is missing or not the session's", 403, "15", "csrf"
    ),
    "SENDER_NOT_GRANTED": Code(
        "the sender is not registered for the calling system", 403, "19", "from or From/OrganId"
    ),
    # --- exchange refusals (gateway/core)
    "EXCHANGE": Code("base code of an exchange refusal (not raised as such)", 422, "20"),
    "PACKAGE_INVALID": Code("the package is refused (base code of a refusal)", 422, "22"),
    "PACKAGE_EMPTY": Code("the request carries no package", 422, "10", "body"),
    "PACKAGE_KIND": Code(
        "messagetype says edoc but the package is a status (or the reverse)",
        422,
        "22",
        "messagetype",
    ),
    "SIGNATURE_INVALID": Code(
        "the package's signature class is one the node's policy refuses", 422, "22", "Signature"
    ),
    "RECIPIENT_UNKNOWN": Code("a recipient agency is not registered", 422, "18", "to"),
    "RECIPIENT_NOT_IN_PROVINCE": Code(
        "the upstream node sent a recipient outside this province", 422, "18", "to"
    ),
    "RECIPIENT_CLOSED": Code("a recipient agency is closed with no successor", 422, "23", "to"),
    "RECIPIENT_SUSPENDED": Code("a recipient agency is suspended", 422, "23", "to"),
    "DOCUMENT_UNKNOWN": Code("no such document, or not the caller's", 404, "24", "docId"),
    "DOCUMENT_REPEAT_CONFLICT": Code(
        "the same bytes again, for recipients the first send did not have", 409, "25", "to"
    ),
    "STATUS_UNKNOWN_DOCUMENT": Code(
        "a status package answers a document the node does not know",
        404,
        "24",
        "ResponseFor/DocumentId",
    ),
    "BLOB_MISSING": Code("a stored attachment's bytes are missing (internal)", 404, "20"),
    "REQUEST_PARAMETER": Code(
        "a request parameter is missing or malformed", 422, "25", "the parameter"
    ),
    "STORE_UNAVAILABLE": Code("the database failed; nothing was stored", 503, "20", "database"),
    "STORE_CONFLICT": Code("a concurrent request stored the same first (internal)", 409, "20"),
    "STORE_NOT_MIGRATED": Code(
        "the database schema is not at head (start-up, internal)", 503, "20"
    ),
    "STORE_MISSING": Code("no node database where the settings point (CLI, internal)", 503, "20"),
    "SYSTEM_UNKNOWN": Code("no system has that id", 404, "24", "system_id"),
    "SYSTEM_EXISTS": Code("a system with that id already exists", 403, "25", "system_id"),
    "SYSTEM_ID_INVALID": Code("a system id is malformed", 422, "25", "system_id"),
    "SYSTEM_GRANT_INVALID": Code("a grant names no valid agency code", 422, "25", "grants"),
    "SYSTEM_SECRET_INVALID": Code(
        "a system secret is too short or a placeholder", 422, "25", "secret"
    ),
    # --- the operators' deliveries view and replay (gateway/core/deliveries_admin.py, replay.py)
    "DELIVERY_UNKNOWN": Code("no copy has that id (admin API, CLI)", 404, "24", "delivery_id"),
    "REPLAY_REASON_REQUIRED": Code("a replay or a rejection without a reason", 422, "25", "reason"),
    "REPLAY_EMPTY": Code(
        "nothing to replay: no id given, or no failed copy matches", 422, "25", "delivery_ids"
    ),
    "REPLAY_TOO_MANY": Code(
        "a replay request would freeze more copies than allowed", 422, "25", "state"
    ),
    "REPLAY_NEEDS_APPROVAL": Code(
        "more copies than the threshold replayed at once: request it", 403, "15", "delivery_ids"
    ),
    "REPLAY_REQUEST_UNKNOWN": Code("no replay request has that id", 404, "24", "request_id"),
    "REPLAY_REQUEST_CLOSED": Code(
        "the replay request was approved, rejected or run already", 409, "25", "request_id"
    ),
    "REPLAY_REQUEST_EXPIRED": Code(
        "the replay request expired unapproved (after 24 h)", 409, "25", "request_id"
    ),
    "REPLAY_SELF_APPROVAL": Code(
        "four eyes: the requester cannot approve their own replay request", 403, "15", "request_id"
    ),
    # --- the business calendar (gateway/core/calendar_model.py CalendarError, calendar admin)
    "CALENDAR": Code("base code of a calendar error (not raised as such)", 422, "25"),
    "CALENDAR_FORMAT": Code(
        "a bad override row, session or schedule", 422, "25", "the row's column or option"
    ),
    "CALENDAR_RANGE": Code("an instant outside the supported years 1900-2199", 422, "25", "at"),
    "CALENDAR_NAIVE_TIME": Code("an instant without a time zone", 422, "25", "at"),
    "CALENDAR_NEGATIVE": Code("a negative duration of business time", 422, "25", "minutes"),
    "CALENDAR_NO_SESSION": Code("no working session for years", 422, "25", "hours"),
    "CALENDAR_FILE": Code("a calendar file cannot be read (start-up)", 500, "20", "the file"),
    "CALENDAR_OVERRIDE_EXISTS": Code("an override for that date exists", 409, "25", "date"),
    "CALENDAR_OVERRIDE_UNKNOWN": Code("no override for that date", 404, "25", "date"),
    # --- statistics (gateway/core/stats, gateway/api/stats.py)
    "STATS_PERIOD": Code("a statistics period that cannot be read", 422, "25", "period"),
    "STATS_TABLE_UNKNOWN": Code("no statistics table has that name", 404, "25", "name"),
    # --- agency registry (identifiers)
    "AGENCY_ERROR": Code(
        "base code of a registry error (not raised as such)", 422, "25", "the field"
    ),
    "AGENCY_UNKNOWN": Code("the code names no registered agency", 404, "25", "code"),
    "AGENCY_DUPLICATE": Code("a code is already registered to another agency", 409, "25", "code"),
    "AGENCY_INVALID": Code(
        "a record field is missing, malformed or inconsistent", 422, "25", "the field"
    ),
    "AGENCY_IN_USE": Code("other agencies name the agency as successor", 409, "25", "code"),
    "AGENCY_SUCCESSION_CYCLE": Code(
        "successors lead back to a visited agency", 409, "25", "successor"
    ),
    "AGENCY_SUCCESSION_TOO_LONG": Code(
        "a succession chain is longer than allowed", 409, "25", "successor"
    ),
    "REGISTRY_FILE": Code("a registry file cannot be read or written", 422, "25", "path"),
    "REGISTRY_FORMAT": Code("a registry file's content is not a registry", 422, "25", "the field"),
    # --- edXML: reading (edxml/errors.py); field is the element path
    "EDXML_ERROR": Code("base code of an edxml error (not raised as such)", 422, "22", _PATH),
    "EDXML_MALFORMED": Code("not well-formed XML, or empty", 422, "10", _PATH),
    "EDXML_TOO_LARGE": Code("the package or a part exceeds a limit", 413, "10", _PATH),
    "EDXML_TOO_DEEP": Code("elements nest deeper than allowed", 422, "10", _PATH),
    "EDXML_FORBIDDEN": Code(
        "a construct the hardened reader refuses (entity, XInclude, PI)", 422, "10", _PATH
    ),
    "EDXML_DTD": Code("a DOCTYPE", 422, "10", _PATH),
    "EDXML_ENCODING": Code("the bytes are not UTF-8", 422, "10", _PATH),
    "EDXML_NOT_EDXML": Code("well-formed XML, but no edXML package", 422, "10", _PATH),
    "EDXML_BUILD": Code("a model cannot be written as strict edXML", 422, "22", _PATH),
    # --- edXML: validation findings (edxml/validate.py, edxml/reader.py)
    "EDXML_REQUIRED": Code("a required element is missing or empty", 422, "22", _PATH),
    "EDXML_RECOMMENDED": Code("a recommended element is empty (warning)", 422, "22", _PATH),
    "EDXML_LENGTH": Code("a value is longer than allowed", 422, "22", _PATH),
    "EDXML_DATE": Code("a date or timestamp is not in edXML form", 422, "22", _PATH),
    "EDXML_ENUM": Code("a value is not one of the allowed values", 422, "22", _PATH),
    "EDXML_INTEGER": Code("a value is not an integer", 422, "22", _PATH),
    "EDXML_DOCUMENT_ID": Code("a DocumentId is not sender,yyyy/MM/dd,number", 422, "22", _PATH),
    "EDXML_DUE_DATE": Code(
        "the due date is before the promulgation date (warning)", 422, "22", _PATH
    ),
    "EDXML_MANIFEST": Code("an attachment and the manifest disagree", 422, "22", _PATH),
    "EDXML_LAYOUT": Code("an element outside its usual place (warning)", 422, "22", _PATH),
    "EDXML_NAMESPACE": Code(
        "undeclared namespace prefixes were tolerated (warning)", 422, "22", _PATH
    ),
    "EDXML_LEADING_BYTES": Code(
        "stray bytes before the XML declaration (warning)", 422, "22", _PATH
    ),
    "EDXML_ATTACHMENT_COUNT": Code("too many attachments", 422, "21", _ATT),
    "EDXML_ATTACHMENT_NAME": Code("an attachment name is unsafe or repeated", 422, "21", _ATT),
    "EDXML_ATTACHMENT_TYPE": Code("an attachment type is not allowed", 422, "21", _ATT),
    "EDXML_ATTACHMENT_SIZE": Code("an attachment is larger than allowed", 422, "21", _ATT),
    "EDXML_ATTACHMENT_PLACEHOLDER": Code(
        "an attachment is an SDK template placeholder", 422, "21", _ATT
    ),
    "EDXML_BASE64": Code("an attachment is not valid base64", 422, "21", _ATT),
    "EDXML_CONTENT_TYPE": Code(
        "an attachment's content type is missing or unknown", 422, "21", _ATT
    ),
    "STATUS_REASON_REQUIRED": Code(
        "a refusal status without a Description", 422, "22", "Description"
    ),
    "STATUS_BUILD": Code("a status package cannot be built (edxml CLI)", 422, "22", _PATH),
    # --- signing (edxml/signature.py, edxml/trust.py SignatureError)
    "SIGNATURE_ERROR": Code("signing failed (base code)", 422, "22", _PATH),
    "SIGNATURE_KEY": Code("the signing key or certificate is unusable", 422, "22", "key"),
    "SIGNATURE_PRESENT": Code("the package is signed already", 422, "22", _PATH),
    "SIGNATURE_NO_HEADER": Code("the package has no edXMLHeader to sign", 422, "22", _PATH),
    "SIGNATURE_TRUST_STORE": Code("the trust store cannot be read", 422, "22", "the file"),
    # --- VXP protocol (connectors/vxp/errors.py): the node's checks of SDK traffic
    "VXP_REQUEST": Code(
        "a VXP request breaks the protocol (base code)", 422, "25", "the parameter"
    ),
    "VXP_HEADER": Code(
        "the signed header set is missing, not JSON or ambiguous", 401, "15", "sign-header"
    ),
    "VXP_TIMESTAMP": Code("a VXP timestamp is not ddMMyyyy'T'HHmmss+SSSS", 422, "25", "timestamp"),
    "VXP_PARAM": Code(
        "a VXP parameter is malformed or cannot travel in a header", 422, "25", "the parameter"
    ),
    "VXP_HASH_FILE": Code("the sendEdoc body does not match hash-file", 422, "10", "hash-file"),
    # --- VXP client (connectors/vxp): a call of the upstream node failed (internal)
    "VXP_ERROR": Code("base code of a VXP error (internal)", 500, "20"),
    "VXP_FAIL": Code("the upstream node answered FAIL (internal)", 500, "20", "action"),
    "VXP_TRANSPORT": Code("the upstream node cannot be reached (internal)", 500, "20", "action"),
    "VXP_RESPONSE": Code(
        "the upstream node's answer is unusable (internal)", 500, "20", "the field"
    ),
    # --- bus (connectors/bus/errors.py): internal; the relay retries, readiness fails
    "BUS_ERROR": Code("base code of a bus error (internal)", 500, "20"),
    "BUS_UNAVAILABLE": Code("the broker cannot be reached", 503, "20", "bus"),
    "BUS_TOPOLOGY": Code("declaring queues failed (internal)", 500, "20"),
    "BUS_NOT_STARTED": Code("the bus has not started (internal)", 500, "20"),
    "BUS_CLOSED": Code("the bus is closed (internal)", 500, "20"),
    "BUS_TOPIC_UNKNOWN": Code("a topic the bus was not configured with (internal)", 500, "20"),
    "BUS_MESSAGE_INVALID": Code("a message breaks the bus contract (internal)", 500, "20"),
    "BUS_PUBLISH_FAILED": Code("a publish was not confirmed (internal; retried)", 500, "20"),
    "BUS_PUBLISH_REFUSED": Code("the broker refused a message (internal; retried)", 500, "20"),
    "BUS_PUBLISH_TIMEOUT": Code(
        "the broker did not confirm in time (internal; retried)", 500, "20"
    ),
    # --- alert webhook (connectors/webhook.py): internal; logged by the alert poster
    "WEBHOOK_ERROR": Code("base code of an alert webhook error (internal)", 500, "20"),
    "WEBHOOK_REFUSED": Code(
        "the alert webhook answered a 4xx that is not retried (internal; dead-lettered)",
        500,
        "20",
    ),
    "WEBHOOK_UNAVAILABLE": Code(
        "the alert webhook cannot be reached or answers 5xx (internal; retried)", 500, "20"
    ),
}
#: Every error code of the project (read-only).
CODES: Mapping[str, Code] = MappingProxyType(_ROWS)


def http_status(code: str, default: int = 422) -> int:
    """The native API's HTTP status for ``code`` (``default`` for a code with no row)."""
    row = CODES.get(code)
    return default if row is None else row.http


def vxp_error_code(code: str) -> str:
    """The VXP ``ErrorCode`` for ``code`` (``20`` for a code with no row)."""
    row = CODES.get(code)
    return "20" if row is None else row.vxp
