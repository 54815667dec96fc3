"""The one place where errors become VXP ``ErrorCode`` values (vxp-api.md §0 table).

Every FAIL answers ``{"status":"FAIL","ErrorCode":"<n>","ErrorDesc":"<CODE>: <text>","DocId":""}``
with HTTP 200 (§6): our stable code starts ``ErrorDesc``, in ASCII. ``downloadEdoc`` is the
exception: its errors are an empty 4xx body (Q11), see :mod:`gateway.api.vxp.routes`.
"""

from __future__ import annotations

import unicodedata

#: ErrorCode by our stable code; prefixes are tried after exact codes (longest first).
EXACT: dict[str, str] = {
    "OK": "0",
    "VXP_HASH_FILE": "10",
    "EDXML_TOO_LARGE": "10",
    "EDXML_MALFORMED": "10",
    "EDXML_FORBIDDEN": "10",
    "EDXML_DTD": "10",
    "EDXML_ENCODING": "10",
    "EDXML_NOT_EDXML": "10",
    "EDXML_TOO_DEEP": "10",
    "PACKAGE_EMPTY": "10",
    "RECIPIENT_UNKNOWN": "18",
    "RECIPIENT_NOT_IN_PROVINCE": "18",
    "SENDER_NOT_GRANTED": "19",
    "INTERNAL": "20",
    "STORE_UNAVAILABLE": "20",
    "EDXML_BASE64": "21",
    "EDXML_CONTENT_TYPE": "21",
    "RECIPIENT_CLOSED": "23",
    "RECIPIENT_SUSPENDED": "23",
    "DOCUMENT_UNKNOWN": "24",
    "STATUS_UNKNOWN_DOCUMENT": "24",
    "REQUEST_PARAMETER": "25",
    "DOCUMENT_REPEAT_CONFLICT": "25",
    "ACTION_UNKNOWN": "25",
    "VXP_PARAM": "25",
    "VXP_TIMESTAMP": "25",
}
PREFIXES: tuple[tuple[str, str], ...] = (
    ("EDXML_ATTACHMENT", "21"),
    ("AUTH_", "15"),
    ("VXP_HEADER", "15"),
    ("EDXML_", "22"),
    ("STATUS_", "22"),
    ("PACKAGE_", "22"),
    ("SIGNATURE_", "22"),
    ("AGENCY_", "25"),
    ("REGISTRY_", "25"),
    ("SYSTEM_", "24"),
)


def error_code(code: str) -> str:
    """The VXP ``ErrorCode`` of one of our stable codes (``20`` when unmapped)."""
    if code in EXACT:
        return EXACT[code]
    for prefix, value in PREFIXES:
        if code.startswith(prefix):
            return value
    return "20"


def ascii_text(text: str, limit: int = 1000) -> str:
    """``text`` folded to ASCII (Vietnamese without diacritics, like the real axis's messages)."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    plain = plain.encode("ascii", "replace").decode("ascii")
    plain = " ".join(plain.split())
    return plain if len(plain) <= limit else plain[: limit - 3] + "..."


def describe(code: str, message: str, field: str | None = None) -> str:
    """``ErrorDesc``: our code first, then the field and the reason, in ASCII."""
    where = f" [{field}]" if field else ""
    return ascii_text(f"{code}{where}: {message}")
