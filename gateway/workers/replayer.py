"""The replay runner: runs approved replay requests in the background (gateway/core/replay.py).

Consumes ``replay`` messages (:func:`gateway.core.work.replay`), written in the approval's own
transaction (store first, then publish). It replays the request's copies batch after batch
(:meth:`gateway.core.replay.Replays.run_batch`): each batch is one transaction that moves the
copies and marks their items done, so a run that crashed, or a message delivered twice, resumes
where the last committed batch ended and replays nothing twice. The progress (done, replayed,
skipped of total) is in the store, where the admin API and the CLI read it.

At start-up :func:`resume` publishes a message for every approved request whose run has not
finished (the in-process bus loses what it held when the node stopped; a duplicate is harmless).
A database failure is transient (retried with the bus's backoff); a message that names no request
is poison (dead-lettered at once).
"""

from __future__ import annotations

from connectors.bus import Bus, Message, Reject, Retry
from gateway.core import work
from gateway.core.errors import StoreUnavailable
from gateway.core.replay import Replays
from gateway.logging import get_logger
from gateway.workers.relay import to_message

log = get_logger(__name__)


def _request_id(message: Message) -> str:
    try:
        return work.parse_replay(message.body)
    except work.WorkInvalid as exc:
        raise Reject(str(exc)) from exc


class ReplayRunner:
    """Handles ``replay`` messages."""

    def __init__(self, replays: Replays) -> None:
        self.replays = replays

    async def handle(self, message: Message) -> None:
        """Run the named request to its end (see the module docstring)."""
        request_id = _request_id(message)
        try:
            request = await self.replays.run_all(request_id)
        except StoreUnavailable as exc:
            raise Retry(str(exc)) from exc
        if request is None:
            raise Reject(f"no replay request {request_id}")
        progress = request.progress
        log.info(
            "replay request run",
            request_id=request_id,
            state=request.state.value,
            replayed=progress.replayed,
            skipped=progress.skipped,
            total=progress.total,
        )

    async def on_dead(self, message: Message, reason: str) -> None:
        """A replay message is given up: the request stays approved, resumed at the next start
        (its done marks keep what was replayed)."""
        log.error("replay run dead-lettered", reason=reason, message_id=message.message_id)


async def resume(replays: Replays, bus: Bus) -> int:
    """Publish a ``replay`` message for every approved request not finished yet."""
    pending = await replays.unfinished()
    if pending:
        await bus.publish([to_message(work.replay(r, tag="sweep")) for r in pending])
        log.info("resumed replay requests", count=len(pending))
    return len(pending)
