"""Where errors become VXP ``ErrorCode`` values (vxp-api.md §0 table; the values are the rows of
:mod:`gateway.api.error_codes`).

Every FAIL answers ``{"status":"FAIL","ErrorCode":"<n>","ErrorDesc":"<CODE>: <text>","DocId":""}``
with HTTP 200 (§6): our stable code starts ``ErrorDesc``, in ASCII. ``downloadEdoc`` is the
exception: its errors are an empty 4xx body (Q11), see :mod:`gateway.api.vxp.routes`.
"""

from __future__ import annotations

import unicodedata

from gateway.api.error_codes import vxp_error_code


def error_code(code: str) -> str:
    """The VXP ``ErrorCode`` of one of our stable codes: its row in the registry.

    No prefix rules: every code has its own row (tests/test_error_codes.py proves it); a code with
    none answers ``20``.
    """
    return vxp_error_code(code)


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
