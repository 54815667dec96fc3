"""Status notices (hồi báo) and their order (edxml.md §4).

Expected order for one recipient: 01 → (02 | 03) → 04 → 05 → 06. 13 comes from the sender
(take-back request); 15/16 answer a 13 or an update/revoke: they are tracked in the history but do
not move a copy along the processing order. Out-of-order arrival keeps every notice; the copy's
current status is the furthest reached.
"""

from __future__ import annotations

from edxml import StatusCode as S

#: Position of each processing status in the expected order; 02 and 03 are alternatives.
_RANK: dict[str, int] = {
    S.INBOX: 1,
    S.REJECTED: 2,
    S.ACCEPTED: 2,
    S.ASSIGNED: 3,
    S.PROCESSING: 4,
    S.FINISHED: 5,
}

#: The processing statuses, in their expected order.
PROCESSING_CODES: tuple[str, ...] = tuple(_RANK)

#: Codes a receiver sends about a document (the rest, 13, comes from the sender).
RECEIVER_CODES = frozenset({*_RANK, S.CHANGE_ACCEPTED, S.CHANGE_REJECTED})
SENDER_CODES = frozenset({S.CANCELLATION})


def status_rank(code: str | None) -> int:
    """How far ``code`` is along the processing order (0 for none, 13, 15, 16)."""
    return _RANK.get(code or "", 0)
