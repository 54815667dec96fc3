"""The notifier counts the copies each accept offered, per receiving system."""

from __future__ import annotations

import pytest

from connectors.bus import Message, Reject
from gateway.core import work
from gateway.workers.notifier import Notifier
from gateway.workers.relay import to_message


async def test_copies_are_counted_per_system() -> None:
    """Each entry of a notify event adds one to its system's count."""
    notifier = Notifier()
    await notifier.handle(to_message(work.notify("doc", [("d1", "sys-b"), ("d2", "sys-c")], 0)))
    await notifier.handle(to_message(work.notify("doc2", [("d3", "sys-b")], 0)))
    assert dict(notifier.offered) == {"sys-b": 2, "sys-c": 1}


async def test_events_that_travel_together_are_each_counted() -> None:
    """A message of several events (the relay's deferred rows) counts every copy of each."""
    notifier = Notifier()
    rows = [work.notify("doc", [("d1", "sys-b")], 0), work.notify("doc2", [("d2", "sys-b")], 0)]
    await notifier.handle(to_message(work.notify_together(rows)))
    assert dict(notifier.offered) == {"sys-b": 2}


async def test_an_unreadable_event_is_poison() -> None:
    """A notify body that cannot be read is rejected."""
    with pytest.raises(Reject, match="NOTIFY_MESSAGE_INVALID"):
        await Notifier().handle(Message(topic="notify", body=b"[]", message_id="notify:x"))
