"""Timestamps as the API shows them: ISO 8601 in Vietnam's time zone.

Every timestamp the API returns is ISO 8601 with ``+07:00`` (Asia/Ho_Chi_Minh; domain.md §3,
Lạng Sơn 2020 Art. 11(3), NĐ 30/2020 App. I). Vietnam has kept UTC+7 without daylight saving since
1975, so a fixed offset is exact for every timestamp the node handles and needs no tz database.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

#: Asia/Ho_Chi_Minh as a fixed offset (no DST since 1975). A leaf that imports only pydantic keeps
#: its own copy of edxml.VN_TZ (same name, same value).
VN_TZ = timezone(timedelta(hours=7), "+07:00")


def in_vietnam(value: datetime) -> datetime:
    """Return the aware ``value`` expressed in +07:00; naive datetimes are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a timestamp must carry its time zone")
    return value.astimezone(VN_TZ)


#: An aware datetime shown in +07:00 (``2025-07-01T08:30:00+07:00``).
VnDateTime = Annotated[AwareDatetime, AfterValidator(in_vietnam)]
