"""Structured logs (structlog) and the correlation id that ties a request's log lines together.

Everything the node logs, its own events and those of uvicorn and other libraries through the
standard ``logging`` module, goes through one handler on the root logger and one renderer: JSON
lines (``log_json``) or readable console lines. Each line carries a +07:00 timestamp and the
context bound with :func:`structlog.contextvars.bound_contextvars`, notably ``request_id``
(design.md §3.8: the correlation id travels from the HTTP request to the workers).
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from datetime import datetime
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from gateway.core.clock import VN_TZ

#: Header carrying the correlation id, in requests and responses.
REQUEST_ID_HEADER = "X-Request-ID"
#: Longest incoming correlation id kept; longer ones are replaced.
MAX_REQUEST_ID_LENGTH = 128
# Letters, digits and the punctuation of common id formats (UUIDs, ULIDs, W3C trace ids,
# "host/123"); nothing that could split a log line or forge a field.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=@-]*")
_HANDLER_NAME = "gateway"


def sanitize_request_id(value: str | None) -> str | None:
    """Return ``value`` stripped if it is a safe correlation id, else None.

    Safe means ASCII letters, digits and ``._:/+=@-``, starting with a letter or digit, at most
    :data:`MAX_REQUEST_ID_LENGTH` characters. Anything else is dropped rather than repaired, so a
    client cannot smuggle control characters or fake fields into the logs.
    """
    if value is None:
        return None
    candidate = value.strip()
    if len(candidate) > MAX_REQUEST_ID_LENGTH or not _REQUEST_ID.fullmatch(candidate):
        return None
    return candidate


def new_request_id() -> str:
    """A fresh random correlation id (32 hex digits)."""
    return uuid.uuid4().hex


def _vietnam_timestamp(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Stamp the event with the current time in +07:00 (domain.md §3: times in Vietnam's zone)."""
    event_dict["timestamp"] = datetime.now(VN_TZ).isoformat(timespec="milliseconds")
    return event_dict


#: Keys a line renders in its head, not among the ``key=value`` pairs.
_HEAD = frozenset({"timestamp", "level", "event", "logger", "exception"})


def _plain_line(_: WrappedLogger, __: str, event_dict: EventDict) -> str:
    """``timestamp [level] event [logger] key=value …`` (then the traceback, if any): the
    console line when stderr is not a terminal (a file, a journal), at a third of
    :class:`structlog.dev.ConsoleRenderer`'s cost, which pads and styles every column for a
    human at a terminal (every request logs a line: docs/benchmarks.md)."""
    parts = [
        str(event_dict.get("timestamp", "")),
        f"[{event_dict.get('level', '')}]",
        str(event_dict.get("event", "")),
    ]
    if "logger" in event_dict:
        parts.append(f"[{event_dict['logger']}]")
    for key, value in event_dict.items():
        if key not in _HEAD:
            text = value if isinstance(value, str) and value and " " not in value else repr(value)
            parts.append(f"{key}={text}")
    line = " ".join(parts)
    exception = event_dict.get("exception")
    return f"{line}\n{exception}" if exception else line


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time (test runners and daemons swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Route structlog and standard logging through one renderer at ``level``.

    Safe to call more than once (each app built in a test calls it): it replaces only the
    handler it installed before and leaves other handlers of the root logger alone.
    """
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _vietnam_timestamp,
        structlog.processors.StackInfoRenderer(),
    ]
    # Tracebacks never show local variables: they may hold secrets, passwords or documents.
    final: list[Processor]
    if json:
        tracebacks = structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        final = [
            structlog.processors.ExceptionRenderer(tracebacks),
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ]
    elif sys.stderr.isatty():
        console = structlog.dev.ConsoleRenderer(
            colors=True, exception_formatter=structlog.dev.plain_traceback
        )
        final = [console]
    else:
        final = [structlog.processors.format_exc_info, _plain_line]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: reconfiguring (tests, a second app) must reach loggers already created.
        cache_logger_on_first_use=False,
    )
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())


def get_logger(name: str, **context: Any) -> structlog.stdlib.BoundLogger:
    """A structlog logger named ``name`` (use the module's ``__name__``) bound to ``context``."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name, **context)
    return logger
