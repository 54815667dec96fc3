"""Status notices (hồi báo) and their order (edxml.md §4).

Expected order for one recipient: 01 → (02 | 03) → 04 → 05 → 06. 13 comes from the sender
(take-back request); 15/16 answer a 13 or an update/revoke: they are tracked in the history but do
not move a copy along the processing order. Out-of-order arrival keeps every notice; the copy's
current status is the furthest reached.
"""

from __future__ import annotations

#: Position of each processing status in the expected order; 02 and 03 are alternatives.
_RANK = {"01": 1, "02": 2, "03": 2, "04": 3, "05": 4, "06": 5}

#: Codes a receiver sends about a document (the rest, 13, comes from the sender).
RECEIVER_CODES = frozenset({"01", "02", "03", "04", "05", "06", "15", "16"})
SENDER_CODES = frozenset({"13"})


def status_rank(code: str | None) -> int:
    """How far ``code`` is along the processing order (0 for none, 13, 15, 16)."""
    return _RANK.get(code or "", 0)
