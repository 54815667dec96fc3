"""Errors of the bus.

Every error carries a stable machine ``code`` (``BUS_*``) so that the gateway can map it in one
place (design.md §3.4): the outbox relay treats every :class:`BusError` from ``publish`` as "not
published, try again later"; start-up maps :class:`BusUnavailable` and :class:`TopologyError` to a
failed readiness probe.
"""

from __future__ import annotations


class BusError(Exception):
    """Base of every error raised by the bus; carries a stable code.

    The same shape as the other packages' errors: ``code``, ``message``, ``field`` (the topic or
    header to blame, when there is one), ``as_dict()``.
    """

    code = "BUS_ERROR"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        """Return the error as a JSON-ready mapping (code and message: the bus's log form)."""
        return {"code": self.code, "message": self.message}

    def as_dict(self) -> dict[str, str | None]:
        """Return the error as a JSON-ready mapping (``code``, ``message``, ``field``)."""
        return {"code": self.code, "message": self.message, "field": self.field}


class MessageInvalid(BusError, ValueError):
    """A message breaks the contract (topic name, id, size, priority or a reserved header)."""

    code = "BUS_MESSAGE_INVALID"


class TopicUnknown(BusError):
    """The topic is not one the bus was configured with, so no queue exists for it."""

    code = "BUS_TOPIC_UNKNOWN"


class BusNotStarted(BusError):
    """``start()`` has not run (or failed): nothing can be published or consumed yet."""

    code = "BUS_NOT_STARTED"


class BusClosed(BusError):
    """``close()`` has run; the bus accepts nothing more."""

    code = "BUS_CLOSED"


class BusUnavailable(BusError):
    """The broker cannot be reached (connect failed or timed out, or the connection is down)."""

    code = "BUS_UNAVAILABLE"


class TopologyError(BusError):
    """Declaring the topology failed, e.g. a queue already exists with other arguments."""

    code = "BUS_TOPOLOGY"


class PublishFailed(BusError):
    """A publish was not confirmed: the connection or channel was lost while it was in flight.

    Some of the messages may still have reached the broker; publishing them again is safe because
    consumers deduplicate by ``message_id``.
    """

    code = "BUS_PUBLISH_FAILED"


class PublishRefused(PublishFailed):
    """The broker refused a message: it nacked it or could not route it to any queue."""

    code = "BUS_PUBLISH_REFUSED"


class PublishTimeout(PublishFailed):
    """The broker did not confirm every message within the publish timeout."""

    code = "BUS_PUBLISH_TIMEOUT"
