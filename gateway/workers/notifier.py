"""The notifier: consumes the ``notify`` event each accept publishes for its available copies.

Each accept that makes copies available at commit leaves one ``notify`` work item
(:func:`gateway.core.work.notify`), one entry per copy; the relay sends the events that waited
together as one message (:func:`gateway.core.work.notify_together`). Today the notifier counts
them per receiving system (``gateway_copies_offered_total`` in ``/metrics``); push notifications
to the receiving systems will hang here. Nothing a client queries depends on it: the pull list is
the database, so a lost or late event delays no delivery. A message that cannot be read is poison.
"""

from __future__ import annotations

from collections import Counter

from connectors.bus import Message, Reject
from gateway.core import work
from gateway.logging import get_logger
from gateway.telemetry import record_offered

log = get_logger(__name__)


class Notifier:
    """Handles ``notify`` messages."""

    def __init__(self) -> None:
        #: Copies offered per receiving system since start (read by ``/metrics``).
        self.offered: Counter[str] = Counter()

    async def handle(self, message: Message) -> None:
        """Count the copies the events list (see the module docstring)."""
        try:
            events = work.parse_notify(message.body)
        except work.WorkInvalid as exc:
            raise Reject(str(exc)) from exc
        for event in events:
            for _, system_id in event.copies:
                self.offered[system_id] += 1
                record_offered(system_id)
            log.debug(
                "copies offered",
                document_id=event.document_id,
                copies=len(event.copies),
                request_id=event.request_id,
            )

    async def on_dead(self, message: Message, reason: str) -> None:
        """A notify event given up: nothing depends on it (the pull list is the database)."""
        log.warning("notify event dropped", message_id=message.message_id, reason=reason)
