"""What happens to a message after its handler ran: the one place outcomes map to ack/retry/dead.

Both buses call :func:`dispose` and then carry out the returned :class:`Disposition` with their own
means (an asyncio timer or a RabbitMQ delay queue; a list or a dead-letter queue), so that the
rules below hold for both by construction and the contract tests check them once:

- the handler returns → ack;
- it raises :class:`Reject` → dead-letter now, with its reason;
- it raises :class:`Retry`, or any other exception (reason ``"TypeName: text"``) → deliver again
  after the policy's delay with ``attempt + 1``, or dead-letter with that reason once the attempts
  are exhausted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from connectors.bus.base import Handler, Message, Reject, Retry, RetryPolicy

log = logging.getLogger("connectors.bus")


class Action(StrEnum):
    """What the bus does with a handled message."""

    ACK = "ack"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Disposition:
    """The outcome of one handling: the action, the reason and (for a retry) the delay."""

    action: Action
    reason: str = ""
    delay: float = 0.0


ACK = Disposition(Action.ACK)


def describe(exc: BaseException) -> str:
    """Return the dead-letter reason for an unexpected exception: its type name and text."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _context(message: Message) -> dict[str, object]:
    return {
        "topic": message.topic,
        "message_id": message.message_id,
        "attempt": message.attempt,
        "request_id": message.headers.get("x-request-id"),
    }


async def dispose(handler: Handler, message: Message, policy: RetryPolicy) -> Disposition:
    """Run ``handler`` on ``message`` and return what the bus must do with the message."""
    try:
        await handler(message)
    except Reject as exc:
        log.warning("bus handler rejected the message: %s", exc.reason, extra=_context(message))
        return Disposition(Action.DEAD, exc.reason)
    except Retry as exc:
        reason = exc.reason
        log.info("bus handler asked for a retry: %s", reason, extra=_context(message))
    except Exception as exc:
        # Unexpected failures are transient until proven otherwise (design.md §3.7: bounded).
        reason = describe(exc)
        log.warning("bus handler failed: %s", reason, exc_info=True, extra=_context(message))
    else:
        return ACK
    delay = policy.delay_before(message.attempt + 1)
    if delay is None:
        log.warning(
            "bus gives up after %d attempts: %s",
            message.attempt,
            reason,
            extra=_context(message),
        )
        return Disposition(Action.DEAD, reason)
    return Disposition(Action.RETRY, reason, delay)
