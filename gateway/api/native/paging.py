"""Cursor paging of the native lists (``/sent``, ``/deliveries``): the parameters they share, and
the opaque cursor.

A cursor is the (time, id) key of the last row of a page, tagged with the list it belongs to and
base64url-encoded; the store continues strictly past it (keyset pagination,
:mod:`gateway.store.queries`), so documents accepted while a client pages never shift or repeat
a row. It is not signed: it only names a position inside the caller's own rows, which every query
scopes to the caller anyway. Anything that does not decode to a position of the same list is
refused with 422 ``REQUEST_PARAMETER`` on ``cursor``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime

from gateway.core.errors import BadRequest

#: Longest page, and the page when ``limit`` is not given.
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
#: Longest cursor accepted (those given out are about 100 characters).
MAX_CURSOR_LENGTH = 400
#: Longest id a cursor may name (ids are UUIDs; the API's id parameters allow 100).
MAX_KEY_LENGTH = 100
_SEPARATOR = "|"

CursorQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        description="`next_cursor` of the previous page (with the same filters); absent for the "
        "first page.",
    ),
]
SinceQuery = Annotated[
    AwareDatetime | None,
    Query(
        description="Only rows at or after this instant: ISO 8601 with its offset "
        "(`2026-03-02T08:00:00+07:00`, `+` sent as `%2B`, or `Z`); a time without one is refused.",
    ),
]
UntilQuery = Annotated[
    AwareDatetime | None,
    Query(description="Only rows before this instant (exclusive); same form as `since`."),
]


def encode_cursor(listing: str, at: datetime, key: str) -> str:
    """The cursor of the position (``at``, ``key``) in ``listing``."""
    text = _SEPARATOR.join((listing, at.astimezone(UTC).isoformat(), key))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(listing: str, cursor: str | None) -> tuple[datetime, str] | None:
    """The position a cursor of ``listing`` names, None without one.

    Raises :class:`BadRequest` (``REQUEST_PARAMETER``, field ``cursor``) for anything else: not
    base64url, not a position, or a cursor of another list.
    """
    if cursor is None:
        return None
    refused = BadRequest(
        f"`cursor` is not one this list gave out: pass `next_cursor` of the previous {listing} "
        "page unchanged",
        field="cursor",
    )
    try:
        padded = cursor.strip() + "=" * (-len(cursor.strip()) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
        tag, at_text, key = text.split(_SEPARATOR, 2)
        at = datetime.fromisoformat(at_text)
    except (ValueError, UnicodeError, binascii.Error):
        raise refused from None
    if tag != listing or at.tzinfo is None or not key or len(key) > MAX_KEY_LENGTH:
        raise refused
    return at, key


def check_window(since: datetime | None, until: datetime | None) -> None:
    """Refuse an empty or reversed time range (``until`` not after ``since``)."""
    if since is not None and until is not None and until <= since:
        raise BadRequest("`until` must be after `since`", field="until")
