"""The send use case: the checks in order, then one transaction that stores the plan.

The first failure answers and nothing is stored before the last step: the checks of
:mod:`~gateway.core.accept.checks` (size, parse, validation, sender, then, inside the
transaction, idempotency and the signature class), the recipients
(:mod:`~gateway.core.accept.recipients`), the links (:mod:`~gateway.core.accept.links`), and the
plan with its work (:mod:`~gateway.core.accept.plans`), all committed together: the document,
its copies (``available`` at once when their system is known), events and outbox rows.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid

from edxml import StatusPackage
from gateway.core.accept import checks
from gateway.core.accept.plans import document_plan, outbox, status_plan
from gateway.core.accept.recipients import Recipients
from gateway.core.accept.request import AcceptConfig, Incoming, SendRequest
from gateway.core.clock import Clock
from gateway.core.errors import Conflict, NotFound
from gateway.core.legal import LegalTime
from gateway.core.model import AcceptOutcome, AcceptPlan, System
from gateway.core.ports import AcceptUnit, Store
from gateway.core.routing import Routes, RoutingTable, code_key
from identifiers import Registry


class Acceptor:
    """The send use case."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        clock: Clock,
        config: AcceptConfig,
        legal: LegalTime | None = None,
    ) -> None:
        self.store = store
        self.legal = legal  # None: no legal measures (docs/calendar.md)
        self.registry = registry
        self.clock = clock
        self.config = config
        self.routes = Routes(registry, store)
        self.recipients = Recipients(registry, config)

    def outside_province(self, code: str) -> bool:
        """True on a provincial node with an upstream when ``code`` lies outside its province."""
        return self.recipients.outside_province(code)

    async def accept(self, caller: System, request: SendRequest) -> AcceptOutcome:
        """Check and store one package; returns its DocId (the original one for a repeat)."""
        data = request.data
        checks.check_size(data, self.config)
        large = len(data) > checks.PARSE_IN_THREAD_BYTES
        if large:
            checked = await asyncio.to_thread(
                checks.check_package, data, request.messagetype, self.config
            )
        else:
            checked = checks.check_package(data, request.messagetype, self.config)
        pkg = checked.package
        sender_code = checks.check_sender(
            caller, request.from_code, pkg, lambda code: self.recipients.may_act_for(caller, code)
        )
        sha256 = request.sha256 or hashlib.sha256(data).hexdigest()
        dedup_key = checks.dedup_key(pkg, sender_code)
        # The signature is classified before the transaction, so that no connection is held
        # during it; a repeat still answers its DocId whatever the verdict (checked after).
        verdict = await asyncio.to_thread(checked.verdict) if large else checked.verdict()
        table = await self.routes.table()
        for attempt in (1, 2):
            try:
                async with self.store.accepting() as unit:
                    if request.origin_doc_id is not None:
                        # Pulled from the upstream node: one local copy per upstream item.
                        pulled = await unit.find_origin(request.origin_doc_id)
                        if pulled is not None:
                            return AcceptOutcome(pulled, created=False)
                    semantic = checks.semantic_key(pkg, sender_code)
                    if semantic is not None and isinstance(unit, checks.SemanticLookahead):
                        # Looked up with the idempotency read, in the same round trip.
                        unit.expect_semantic(*semantic)
                    existing = await unit.find_existing(caller.system_id, sha256, dedup_key)
                    if existing is not None:
                        if request.origin_doc_id is None:
                            await checks.same_recipients(unit, existing, request.to)
                            return AcceptOutcome(existing, created=False)
                        # Another recipient's item of a package already pulled: the same
                        # document (de-duplicated by its bytes or DocumentId), one more copy.
                        await self._add_pulled_copy(unit, table, caller, request, existing)
                        return AcceptOutcome(existing, created=True)
                    checks.check_signature(verdict, self.config)
                    incoming = Incoming(
                        caller=caller,
                        request=request,
                        sender_code=sender_code,
                        document_id=str(uuid.uuid4()),
                        now=self.clock.now(),
                        sha256=sha256,
                        verdict=verdict,
                        notes=checked.notes,
                        dedup_key=dedup_key,
                        attachments=checked.attachments,
                    )
                    if isinstance(pkg, StatusPackage):
                        plan = await status_plan(unit, incoming, pkg, self.recipients, table)
                    else:
                        plan = await document_plan(
                            unit, incoming, pkg, self.recipients, table, self.legal
                        )
                    await unit.store(plan, outbox(plan, request.request_id))
                return AcceptOutcome(incoming.document_id, created=True)
            except Conflict:
                # A concurrent identical send committed first: the next attempt finds its DocId.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _add_pulled_copy(
        self,
        unit: AcceptUnit,
        table: RoutingTable,
        caller: System,
        request: SendRequest,
        document_id: str,
    ) -> None:
        """One more local copy of a pulled package for the item's recipient (``to``)."""
        record = await unit.document(document_id)
        if record is None:  # pragma: no cover - found a moment ago in the same transaction
            raise NotFound(f"no document {document_id!r}", field="docId")
        now = self.clock.now()
        resolved = self.recipients.resolve(list(request.to or ()), now, table)
        have = {code_key(c.code) for c in await unit.deliveries_of(document_id)}
        fresh = [r for r in resolved if code_key(r[1]) not in have]
        if not fresh:
            # The recipient already has its copy (an item listed twice upstream): nothing new.
            return
        recipients = self.recipients.plans(table, fresh, origin_doc_id=request.origin_doc_id)
        plan = AcceptPlan(document=record, data=b"", attachments=(), recipients=recipients)
        await unit.add_copies(plan, now, caller.system_id, outbox(plan, request.request_id))
