"""The exchange use cases a connected system calls, whatever the API it speaks.

:class:`Exchange` is the one façade the VXP-compatible API and the native API both call: send,
pull list, fetch, confirm, counts, sent list, trace, and authentication of systems. Ownership rules
(a system sees only copies addressed to it and documents it sent) live here, so both APIs enforce
the same ones; a foreign id answers exactly like an unknown id (``DOCUMENT_UNKNOWN``), so ids of
other systems cannot be probed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from edxml import BuildError, EdxmlError, append_trace
from gateway.core.accept import AcceptConfig, Acceptor, SendRequest
from gateway.core.clock import Clock
from gateway.core.errors import AuthError, BadRequest, NotFound
from gateway.core.legal import LegalTime
from gateway.core.model import (
    AcceptOutcome,
    ConfirmOutcome,
    DeliveryView,
    DocumentRecord,
    DocumentTrace,
    MessageType,
    StatusNotice,
    System,
)
from gateway.core.permissions import require_node_link
from gateway.core.ports import Store
from gateway.core.secrets import SecretBox, token_hash
from identifiers import Registry


@dataclass(frozen=True)
class ExchangeConfig:
    """Settings of the exchange use cases."""

    accept: AcceptConfig
    #: ``updateStatus fail`` offers a copy again at most this many times, then it is ``failed``.
    max_receiver_failures: int = 5
    #: First delay before a copy the receiver failed on is offered again (doubles each time).
    receiver_retry_base: timedelta = timedelta(minutes=1)
    #: Longest pull list returned at once.
    pull_limit: int = 500


#: How far in the future a reported receipt time may lie (the clocks of two nodes differ).
REPORT_CLOCK_SKEW = timedelta(minutes=5)


def retry_at(now: datetime, failures: int, base: timedelta) -> datetime:
    """When a copy the receiver failed on is offered again: doubling, capped at 6 hours."""
    return now + min(base * (1 << min(max(failures - 1, 0), 20)), timedelta(hours=6))


class Exchange:
    """Send, pull, fetch, confirm, query: the node's use cases for connected systems."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        clock: Clock,
        config: ExchangeConfig,
        secrets: SecretBox,
        *,
        on_accepted: Callable[[], None] | None = None,
        legal: LegalTime | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.config = config
        self.secrets = secrets
        self.legal = legal
        self.acceptor = Acceptor(store, registry, clock, config.accept, legal)
        self._on_accepted = on_accepted
        self._opened: dict[str, tuple[bytes, str]] = {}

    # ---------------------------------------------------------------- authentication

    async def vxp_secret(self, system_id: str) -> tuple[System, str]:
        """The enabled system and its plain secret, for checking a VXP signature."""
        found = await self.store.credentials(system_id)
        if found is None:
            raise AuthError(
                f"unknown system {system_id!r}", code="AUTH_UNKNOWN_SYSTEM", field="systemid"
            )
        system, sealed = found
        if not system.enabled:
            raise AuthError(
                f"system {system_id!r} is disabled", code="AUTH_DISABLED", field="systemid"
            )
        opened = self._opened.get(system_id)
        if opened is None or opened[0] != sealed:
            # Fernet costs ~0.15 ms a call; a rotated secret has other sealed bytes.
            opened = (sealed, self.secrets.open(sealed))
            self._opened[system_id] = opened
        return system, opened[1]

    async def by_token(self, token: str) -> System:
        """The enabled system holding a native-API bearer token."""
        system = await self.store.system_by_token(token_hash(token))
        if system is None:
            raise AuthError("unknown token", code="AUTH_TOKEN", field="Authorization")
        if not system.enabled:
            raise AuthError(f"system {system.system_id!r} is disabled", code="AUTH_DISABLED")
        return system

    # ---------------------------------------------------------------- send

    async def send(self, caller: System, request: SendRequest) -> AcceptOutcome:
        """Accept a package (see :mod:`gateway.core.accept`)."""
        outcome = await self.acceptor.accept(caller, request)
        if outcome.created and self._on_accepted is not None:
            self._on_accepted()
        return outcome

    # ---------------------------------------------------------------- receive

    async def pull_list(self, caller: System, kind: MessageType) -> list[DeliveryView]:
        """The caller's waiting copies of one kind: urgent first, then oldest first."""
        return await self.store.pull_list(
            caller.system_id, kind, self.clock.now(), self.config.pull_limit
        )

    async def count(self, caller: System, kind: MessageType) -> int:
        """How many copies of one kind wait for the caller."""
        return await self.store.count_pending(caller.system_id, kind, self.clock.now())

    @staticmethod
    def _not_found(caller: System, delivery_id: str) -> NotFound:
        return NotFound(f"no document {delivery_id!r} for system {caller.system_id}", field="docId")

    async def fetch(self, caller: System, delivery_id: str) -> bytes:
        """The package of one of the caller's copies, with this node's TraceHeader appended."""
        now = self.clock.now()
        data = await self.store.fetch(delivery_id, caller.system_id, now) if delivery_id else None
        if data is None:
            raise self._not_found(caller, delivery_id)
        # Accepted packages always have a header; keep serving the original bytes if not.
        with contextlib.suppress(BuildError, EdxmlError):
            data = append_trace(
                data, self.config.accept.node_id, now, limits=self.config.accept.limits
            )
        return data

    async def confirm(
        self,
        caller: System,
        delivery_id: str,
        done: bool,
        reason: str | None = None,
        fail_code: str | None = None,
        next_doc_id: str | None = None,
    ) -> ConfirmOutcome:
        """``updateStatus done|fail`` on one of the caller's copies (idempotent).

        A ``fail`` with a ``fail_code`` is a refusal for good (a downstream node that will not
        take the item: docs/axes.md): the copy fails at once with that code. A ``done`` with a
        ``next_doc_id`` is a downstream node taking the copy on: it is ``forwarded`` until that
        node reports the final receipt (:meth:`report`).
        """
        if next_doc_id is not None:
            require_node_link(caller, "nextDocId")
        if fail_code:
            require_node_link(caller, "failCode")
        now = self.clock.now()
        if not done and fail_code:
            return await self._report(
                caller, delivery_id, received=False, at=now, code=fail_code, reason=reason
            )
        base = self.config.receiver_retry_base
        outcome = (
            await self.store.confirm(
                delivery_id,
                done=done,
                actor=caller.system_id,
                now=now,
                max_failures=self.config.max_receiver_failures,
                retry_at=lambda failures: retry_at(now, failures, base),
                reason=reason,
                receipt=self.legal.receipt if self.legal is not None else None,
                next_doc_id=next_doc_id,
            )
            if delivery_id
            else None
        )
        if outcome is None:
            raise self._not_found(caller, delivery_id)
        return outcome

    async def report(
        self,
        caller: System,
        delivery_id: str,
        *,
        received: bool,
        at: datetime,
        code: str | None = None,
        reason: str | None = None,
    ) -> ConfirmOutcome:
        """``reportDelivery`` (node-to-node): what became of one of the caller's copies further
        on. ``received`` at ``at`` sets the copy's ``received_at`` (the final recipient's
        confirmation) and its receipt measures; else the copy fails with ``code``."""
        require_node_link(caller, "systemid")
        now = self.clock.now()
        if at > now + REPORT_CLOCK_SKEW:
            raise BadRequest(f"time {at.isoformat()} is in the future", field="time")
        return await self._report(
            caller, delivery_id, received=received, at=at, code=code, reason=reason
        )

    async def _report(
        self,
        caller: System,
        delivery_id: str,
        *,
        received: bool,
        at: datetime,
        code: str | None,
        reason: str | None,
    ) -> ConfirmOutcome:
        outcome = (
            await self.store.report_delivery(
                delivery_id,
                received=received,
                at=at,
                now=self.clock.now(),
                actor=caller.system_id,
                system_id=caller.system_id,
                code=code,
                reason=reason,
                receipt=self.legal.receipt if self.legal is not None else None,
            )
            if delivery_id
            else None
        )
        if outcome is None:
            raise self._not_found(caller, delivery_id)
        return outcome

    # ---------------------------------------------------------------- sender's view

    async def sent(
        self,
        caller: System,
        document_id: str | None,
        kind: MessageType,
        limit: int = 500,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[tuple[DocumentRecord, DeliveryView]]:
        """One row per recipient copy of what the caller sent (optionally one document), a page
        of at most ``limit`` documents (see :meth:`Store.sent_rows`)."""
        return await self.store.sent_rows(
            caller.system_id,
            document_id or None,
            kind,
            limit,
            since=since,
            until=until,
            before=before,
        )

    async def statuses(self, copies: list[DeliveryView]) -> dict[str, tuple[StatusNotice, ...]]:
        """Every status recorded against these copies (they are the caller's: from
        :meth:`sent`); no query when none has a status."""
        wanted = [c.delivery_id for c in copies if c.status_code is not None]
        return await self.store.statuses_of(wanted) if wanted else {}

    async def trace(self, caller: System | None, document_id: str) -> DocumentTrace:
        """A document's copies with their full history; ``caller`` None is an operator."""
        trace = await self.store.trace(document_id)
        if trace is None or (
            caller is not None and trace.document.sender_system != caller.system_id
        ):
            raise NotFound(f"no document {document_id!r}", field="document_id")
        return trace
