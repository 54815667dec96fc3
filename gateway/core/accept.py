"""Accepting a package: checks, recipient resolution, linking, and the plan the store commits.

Order of the checks (the first failure answers; nothing is stored before the last step):

1. size, then the hardened parse (``EDXML_*``), kind vs ``messagetype`` (``PACKAGE_KIND``);
2. validation findings of severity error (``EDXML_*``/``STATUS_*``, listing every offending field);
   the node validates deeply: every attachment is decoded once (``EDXML_BASE64``), and that same
   decoding gives each attachment's size and SHA-256;
3. the sender: the ``from`` parameter and ``From/OrganId`` must be granted to the caller
   (``SENDER_NOT_GRANTED``);
4. idempotency: the same bytes from the same system, or the same edXML DocumentId from the same
   sender, answer the original DocId and create nothing (VXP Q14: clients retry POSTs);
5. the signature class (``SIGNATURE_INVALID`` when the node's policy refuses the class);
6. recipients: ``to`` if given, else ``To/OrganId`` (documents) or ``ResponseFor/OrganId``
   (statuses); each resolved through the registry with succession (``RECIPIENT_UNKNOWN`` lists every
   unknown code; ``RECIPIENT_CLOSED`` / ``RECIPIENT_SUSPENDED``);
7. revoke/update/replace are linked to the original and fanned out to its current recipients;
   statuses are matched to the copy they concern (``STATUS_UNKNOWN_DOCUMENT``);
8. one transaction: document, attachments' metadata, one copy per recipient, events, outbox rows.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from edxml import (
    DocumentPackage,
    EdxmlError,
    Finding,
    Limits,
    Policy,
    ReceiverType,
    Severity,
    StatusCode,
    StatusPackage,
    read_package,
    validate,
)
from edxml.signature import SignaturePolicy, SignatureVerdict, classify
from edxml.trust import TrustStore
from gateway.core import work
from gateway.core.clock import VN_TZ, Clock
from gateway.core.delivery import initial_state
from gateway.core.errors import (
    BadRequest,
    Conflict,
    NotAllowed,
    NotFound,
    PackageRefused,
    RecipientRefused,
)
from gateway.core.legal import LegalTime, notice_on_time, overdue
from gateway.core.model import (
    AcceptOutcome,
    AcceptPlan,
    AttachmentInfo,
    DeliveryState,
    DeliveryView,
    DocumentLegal,
    DocumentRecord,
    MessageType,
    OutboxItem,
    RecipientPlan,
    StatusNoticePlan,
    System,
)
from gateway.core.ports import AcceptUnit, Store
from gateway.core.routing import Routes, RoutingTable, code_key, grant_covers, granted
from identifiers import Registry, ResolutionOutcome

#: Packages above this size are parsed off the event loop.
PARSE_IN_THREAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class AcceptConfig:
    """What the node's settings decide about accepting packages."""

    node_id: str
    limits: Limits = field(default_factory=Limits)
    policy: Policy = field(default_factory=Policy)
    signature_policy: SignaturePolicy = field(default_factory=SignaturePolicy)
    trust: TrustStore | None = None
    #: A provincial node's level-1 code(s) (``H14``): what lies outside goes to ``upstream``.
    province: tuple[str, ...] = ()
    #: A provincial node with an upstream (national) node to forward to.
    upstream: bool = False
    #: A national node: codes unknown to its registry still go to the node owning their subtree.
    national: bool = False


@dataclass(frozen=True)
class SendRequest:
    """One send: the package bytes and what the caller said about them."""

    data: bytes
    messagetype: MessageType
    from_code: str | None = None
    to: Sequence[str] | None = None
    request_id: str | None = None
    #: Pulled from the upstream node: the item's DocId there (one copy per item).
    origin_doc_id: str | None = None


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _business_type(pkg: DocumentPackage) -> int:
    doc_type = pkg.business.doc_type if pkg.business else None
    return int(doc_type) if isinstance(doc_type, int) else 0


def _priority(pkg: DocumentPackage) -> int:
    priority = pkg.header.other.priority if pkg.header.other else None
    return int(priority) if isinstance(priority, int) else 0


def _as_date(value: date | str | None) -> date | None:
    return value if isinstance(value, date) else None


def _as_aware(value: datetime | str | None) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=VN_TZ)


def _findings(findings: Sequence[Finding]) -> list[dict[str, str]]:
    return [f.as_dict() for f in findings]


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

    async def accept(self, caller: System, request: SendRequest) -> AcceptOutcome:
        """Check and store one package; returns its DocId (the original one for a repeat)."""
        data = request.data
        limits = self.config.limits
        if len(data) > limits.max_package_bytes:
            raise PackageRefused(
                f"package of {len(data)} bytes exceeds the limit of {limits.max_package_bytes}",
                code="EDXML_TOO_LARGE",
                field="body",
            )
        if len(data) > PARSE_IN_THREAD_BYTES:
            checked = await asyncio.to_thread(self._check_package, data, request.messagetype)
        else:
            checked = self._check_package(data, request.messagetype)
        pkg, notes, attachments, verdict_of = checked

        sender_code = self._check_sender(caller, request.from_code, pkg)
        sha256 = hashlib.sha256(data).hexdigest()
        dedup_key = self._dedup_key(pkg, sender_code)
        # The signature is classified before the transaction, so that no connection is held
        # during it; a repeat still answers its DocId whatever the verdict (checked after).
        verdict = (
            verdict_of()
            if len(data) <= PARSE_IN_THREAD_BYTES
            else (await asyncio.to_thread(verdict_of))
        )
        table = await self.routes.table()
        for attempt in (1, 2):
            try:
                async with self.store.accepting() as unit:
                    if request.origin_doc_id is not None:
                        # Pulled from the upstream node: one local copy per upstream item.
                        pulled = await unit.find_origin(request.origin_doc_id)
                        if pulled is not None:
                            return AcceptOutcome(pulled, created=False)
                    existing = await unit.find_existing(caller.system_id, sha256, dedup_key)
                    if existing is not None:
                        if request.origin_doc_id is None:
                            await self._same_recipients(unit, existing, request.to)
                            return AcceptOutcome(existing, created=False)
                        # Another recipient's item of a package already pulled: the same
                        # document (de-duplicated by its bytes or DocumentId), one more copy.
                        await self._add_pulled_copy(unit, table, caller, request, existing)
                        return AcceptOutcome(existing, created=True)
                    if not self.config.signature_policy.accepts(verdict):
                        raise PackageRefused(
                            f"signature is {verdict.klass.value}: "
                            f"{verdict.message or verdict.reason or ''}",
                            code="SIGNATURE_INVALID",
                            field="Signature",
                        )
                    now = self.clock.now()
                    document_id = str(uuid.uuid4())
                    if isinstance(pkg, StatusPackage):
                        plan = await self._status_plan(
                            unit,
                            table,
                            caller,
                            request,
                            pkg,
                            sender_code,
                            document_id,
                            now,
                            sha256,
                            verdict,
                            notes,
                        )
                    else:
                        plan = await self._document_plan(
                            unit,
                            table,
                            caller,
                            request,
                            pkg,
                            sender_code,
                            document_id,
                            now,
                            sha256,
                            verdict,
                            notes,
                            dedup_key,
                            attachments,
                        )
                    await unit.store(plan, self._outbox(plan, request.request_id))
                return AcceptOutcome(document_id, created=True)
            except Conflict:
                # A concurrent identical send committed first: the next attempt finds its DocId.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # ---------------------------------------------------------------- checks

    @staticmethod
    async def _same_recipients(
        unit: AcceptUnit, document_id: str, to: Sequence[str] | None
    ) -> None:
        """A repeat answers the first DocId only if it asks for no recipient the first send
        did not get: otherwise the new ``to`` would be silently dropped (a coded conflict)."""
        if not to:
            return
        copies = await unit.deliveries_of(document_id)
        have = {code_key(c.requested_code) for c in copies} | {code_key(c.code) for c in copies}
        new = [code for code in to if code_key(code) not in have]
        if new:
            raise BadRequest(
                f"these bytes were accepted as document {document_id} for other recipients; "
                f"not sent to {', '.join(new)} (send a new package for them)",
                code="DOCUMENT_REPEAT_CONFLICT",
                field="to",
            )

    def _check_package(
        self, data: bytes, messagetype: MessageType
    ) -> tuple[
        DocumentPackage | StatusPackage,
        list[Finding],
        tuple[AttachmentInfo, ...],
        Callable[[], SignatureVerdict],
    ]:
        """Parse, validate and hash attachments (CPU-bound: may run in a thread)."""
        limits = self.config.limits
        try:
            parsed = read_package(data, limits)
        except EdxmlError as exc:
            raise PackageRefused(str(exc), code=exc.code, field=getattr(exc, "path", None)) from exc
        pkg = parsed.package
        want = StatusPackage if messagetype is MessageType.STATUS else DocumentPackage
        if not isinstance(pkg, want):
            got = "status" if isinstance(pkg, StatusPackage) else "edoc"
            raise PackageRefused(
                f"messagetype is {messagetype.value} but the package is a {got} package",
                code="PACKAGE_KIND",
                field="messagetype",
            )
        findings = validate(pkg, self.config.policy, parsed.notes)
        errors = [f for f in findings if f.severity is Severity.ERROR]
        if errors:
            shown = "; ".join(f"{f.code} at {f.path}: {f.message}" for f in errors[:5])
            more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
            raise PackageRefused(
                shown + more, code=errors[0].code, field=errors[0].path, findings=_findings(errors)
            )
        infos: list[AttachmentInfo] = []
        if isinstance(pkg, DocumentPackage):
            for position, att in enumerate(pkg.attachments):
                infos.append(
                    AttachmentInfo(
                        position,
                        att.attachment_name,
                        att.content_type,
                        att.size,
                        att.sha256,
                        att.is_zip,
                    )
                )
        warnings = [f for f in findings if f.severity is not Severity.ERROR]
        config = self.config

        def verdict() -> SignatureVerdict:
            return classify(
                data,
                config.trust,
                doc=parsed.document,
                limits=limits,
                policy=config.signature_policy,
            )

        return pkg, warnings, tuple(infos), verdict

    def _check_sender(
        self, caller: System, from_code: str | None, pkg: DocumentPackage | StatusPackage
    ) -> str:
        """The sender's code; both the parameter and From/OrganId must be granted to the caller."""
        organ = (
            pkg.header.from_.organ_id if isinstance(pkg, DocumentPackage) else pkg.from_.organ_id
        )
        organ_id = _clean(organ)
        param = _clean(from_code)
        for value, where in ((param, "from"), (organ_id, "From/OrganId")):
            if value is None:
                continue
            # The upstream node relays for every agency outside the province, none inside it.
            allowed = (
                self.outside_province(value)
                if caller.relay
                else granted(self.registry, caller.grants, value)
            )
            if not allowed:
                raise NotAllowed(
                    f"sender {value} is not registered for system {caller.system_id}",
                    code="SENDER_NOT_GRANTED",
                    field=where,
                )
        if organ_id is None:  # validation requires it; kept as a guard
            raise PackageRefused(
                "From/OrganId is missing", code="EDXML_REQUIRED", field="From/OrganId"
            )
        return organ_id

    def outside_province(self, code: str) -> bool:
        """True on a provincial node with an upstream when ``code`` lies outside its province."""
        if not self.config.upstream:
            return False
        return not any(grant_covers(self.registry, own, code) for own in self.config.province)

    def _relayed(self, code: str, table: RoutingTable) -> bool:
        """An agency this node's registry does not know, that another node will resolve: the
        national node (upstream), or the downstream node owning its subtree (national role)."""
        if self.outside_province(code):
            return True
        return self.config.national and table.owner(code) is not None

    def _dedup_key(self, pkg: DocumentPackage | StatusPackage, sender_code: str) -> str | None:
        """Same sender + edXML DocumentId (+ operation) is the same send, for new and revoke."""
        if not isinstance(pkg, DocumentPackage):
            return None
        edxml_id = _clean(pkg.header.document_id)
        business = _business_type(pkg)
        if edxml_id is None or business not in (0, 1):
            return None  # updates and replaces may legitimately repeat an id: bytes decide
        return f"{code_key(sender_code)}|{business}|{edxml_id}"[:300]

    def _resolve(
        self, codes: Sequence[str], now: datetime, table: RoutingTable
    ) -> list[tuple[str, str, tuple[dict[str, Any], ...]]]:
        """(requested, effective code, redirects) per distinct recipient, or a coded refusal."""
        today = now.astimezone(VN_TZ).date()
        unknown: list[str] = []
        stopped: list[tuple[str, str]] = []
        out: list[tuple[str, str, tuple[dict[str, Any], ...]]] = []
        seen: set[str] = set()
        for raw in codes:
            code = raw.strip()
            if not code:
                continue
            resolution = self.registry.resolve(code, today)
            if resolution.outcome is ResolutionOutcome.UNKNOWN:
                if self._relayed(code, table) and code_key(code) not in seen:
                    seen.add(code_key(code))
                    out.append((code, code, ()))
                else:
                    unknown.append(code)
                continue
            if resolution.outcome is not ResolutionOutcome.FOUND or resolution.code is None:
                stopped.append((code, resolution.outcome.value))
                continue
            effective = code
            if resolution.redirects and resolution.agency is not None:
                # Keep the sender's code form: 000.00.94.H14 → 000.00.95.H14, H14.94 → H14.95.
                agency = resolution.agency
                requested = self.registry.get(code)
                in_102 = requested is not None and requested.code102 == code
                effective = (agency.code102 if in_102 else agency.code) or agency.primary
            key = code_key(effective)
            if key in seen:
                continue
            seen.add(key)
            redirects = tuple(r.to_dict() for r in resolution.redirects)
            out.append((code, effective, redirects))
        if unknown:
            raise RecipientRefused(
                "recipient agency not registered: " + ", ".join(unknown),
                code="RECIPIENT_UNKNOWN",
                codes=unknown,
            )
        if stopped:
            closed = [c for c, outcome in stopped if outcome != ResolutionOutcome.SUSPENDED.value]
            code = "RECIPIENT_CLOSED" if closed else "RECIPIENT_SUSPENDED"
            listed = ", ".join(f"{c} ({outcome})" for c, outcome in stopped)
            raise RecipientRefused(
                f"recipient agency cannot receive: {listed}",
                code=code,
                codes=[c for c, _ in stopped],
            )
        if not out:
            raise PackageRefused("no recipient given", code="EDXML_REQUIRED", field="To/OrganId")
        return out

    def _recipients(
        self,
        table: RoutingTable,
        resolved: Sequence[tuple[str, str, tuple[dict[str, Any], ...]]],
        concerns: dict[str, str] | None = None,
        origin_doc_id: str | None = None,
    ) -> tuple[RecipientPlan, ...]:
        plans = []
        loops: list[str] = []
        for requested, code, redirects in resolved:
            key = code_key(code)
            # A local system that owns the code first; else, outside the province, upstream.
            owner = table.owner(code)
            link = work.UPSTREAM if owner is None and self.outside_province(code) else None
            if link is not None and origin_doc_id is not None:
                loops.append(code)  # pulled from upstream: never sent back up
                continue
            plans.append(
                RecipientPlan(
                    delivery_id=str(uuid.uuid4()),
                    requested_code=requested,
                    code=code,
                    code_key=key,
                    system_id=owner,
                    redirects=redirects,
                    concerns_delivery_id=(concerns or {}).get(key),
                    link=link,
                    origin_doc_id=origin_doc_id if len(resolved) == 1 else None,
                )
            )
        if loops:
            raise RecipientRefused(
                "recipient is not in this node's province: " + ", ".join(loops),
                code="RECIPIENT_NOT_IN_PROVINCE",
                codes=loops,
            )
        return tuple(plans)

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
        resolved = self._resolve(list(request.to or ()), now, table)
        have = {code_key(c.code) for c in await unit.deliveries_of(document_id)}
        fresh = [r for r in resolved if code_key(r[1]) not in have]
        if not fresh:
            # The recipient already has its copy (an item listed twice upstream): nothing new.
            return
        recipients = self._recipients(table, fresh, origin_doc_id=request.origin_doc_id)
        plan = AcceptPlan(document=record, data=b"", attachments=(), recipients=recipients)
        await unit.add_copies(plan, now, caller.system_id, self._outbox(plan, request.request_id))

    # ---------------------------------------------------------------- plans

    async def _document_plan(
        self,
        unit: AcceptUnit,
        table: RoutingTable,
        caller: System,
        request: SendRequest,
        pkg: DocumentPackage,
        sender_code: str,
        document_id: str,
        now: datetime,
        sha256: str,
        verdict: SignatureVerdict,
        notes: list[Finding],
        dedup_key: str | None,
        attachments: tuple[AttachmentInfo, ...],
    ) -> AcceptPlan:
        header = pkg.header
        sender_key = code_key(sender_code)
        business = _business_type(pkg)
        codes = list(request.to) if request.to else [o.organ_id or "" for o in header.to]
        related: str | None = None
        linked: list[str] = []
        removed: list[str] = []
        note_list = [n.as_dict() for n in notes]
        if business:
            related, linked, removed, extra = await self._link(unit, pkg, sender_key, business)
            if request.origin_doc_id is None:
                # A pulled item names its one recipient: the upstream node already fanned out.
                codes.extend(extra)
            if related is None:
                note_list.append(
                    {
                        "code": "LINK_ORIGINAL_UNKNOWN",
                        "severity": "warning",
                        "path": "Bussiness/DocumentId",
                        "message": "the document this operation concerns is not "
                        "known to this node: delivered to To only",
                    }
                )
        resolved = self._resolve(codes, now, table)
        code_number = _clean(header.code.code_number) if header.code else None
        code_notation = _clean(header.code.code_notation) if header.code else None
        promulgated = (
            _as_date(header.promulgation.promulgation_date) if header.promulgation else None
        )
        duplicate_of = None
        if business == 0 and code_number and code_notation and promulgated:
            duplicate_of = await unit.find_semantic_duplicate(
                sender_key, code_number, code_notation, promulgated
            )
            if duplicate_of is not None:
                note_list.append(
                    {
                        "code": "DOCUMENT_SEMANTIC_DUPLICATE",
                        "severity": "warning",
                        "path": "Code",
                        "message": f"same number, notation and date as document {duplicate_of}",
                    }
                )
        record = DocumentRecord(
            document_id=document_id,
            kind=MessageType.EDOC,
            sender_system=caller.system_id,
            sender_code=sender_code,
            sender_key=sender_key,
            sha256=sha256,
            size=len(request.data),
            accepted_at=now,
            edxml_document_id=_clean(header.document_id),
            code_number=code_number,
            code_notation=code_notation,
            promulgation_date=promulgated,
            subject=header.subject,
            priority=_priority(pkg),
            business_type=business,
            due_date=_as_date(header.due_date),
            related_document_id=related,
            duplicate_of=duplicate_of,
            dedup_key=dedup_key,
            signature=dict(verdict.to_dict()),
            notes=tuple(note_list),
            request_id=request.request_id,
            legal=self.legal.document(MessageType.EDOC, now, promulgated, _as_date(header.due_date))
            if self.legal is not None
            else DocumentLegal(),
        )
        return AcceptPlan(
            document=record,
            data=request.data,
            attachments=attachments,
            recipients=self._recipients(table, resolved, origin_doc_id=request.origin_doc_id),
            removed_deliveries=tuple(removed),
            linked_deliveries=tuple(linked),
        )

    async def _link(
        self, unit: AcceptUnit, pkg: DocumentPackage, sender_key: str, business: int
    ) -> tuple[str | None, list[str], list[str], list[str]]:
        """Find the original(s) of a revoke/update/replace: (related id, linked copies,
        removed copies, extra recipient codes)."""
        targets: list[str] = []
        if business == 3 and pkg.business and pkg.business.replacements:
            targets = [r.document_id for r in pkg.business.replacements if _clean(r.document_id)]  # type: ignore[misc]
        else:
            # The original: Bussiness/DocumentId, else ResponseFor/DocumentId (the SDK's
            # revocation sample), else the package's own DocumentId (producers that reuse it).
            named = [pkg.business.document_id if pkg.business else None]
            named += [rf.document_id for rf in pkg.header.response_for]
            named.append(pkg.header.document_id)
            targets = [t for t in (_clean(n) for n in named) if t]
        related: str | None = None
        linked: list[str] = []
        extra: list[str] = []
        copies: list[DeliveryView] = []
        for target in dict.fromkeys(t.strip() for t in targets):
            original = await unit.find_document(sender_key, target)
            if original is None:
                continue
            if related is not None and business != 3:
                break  # revoke/update concern one document: the first named one found
            related = related or original.document_id
            for copy in await unit.deliveries_of(original.document_id):
                if copy.state is DeliveryState.REMOVED:
                    continue
                copies.append(copy)
                linked.append(copy.delivery_id)
                extra.append(copy.code)
        removed: list[str] = []
        info = pkg.business.document_info if pkg.business else None
        if business == 2 and info and info.receivers:
            gone = {
                code_key(r.organ_id or "")
                for r in info.receivers
                if r.receiver_type == ReceiverType.REMOVED
            }
            added = [
                r.organ_id or "" for r in info.receivers if r.receiver_type == ReceiverType.ADDED
            ]
            removed = [c.delivery_id for c in copies if code_key(c.code) in gone]
            extra.extend(added)
        return related, list(dict.fromkeys(linked)), removed, extra

    async def _status_plan(
        self,
        unit: AcceptUnit,
        table: RoutingTable,
        caller: System,
        request: SendRequest,
        pkg: StatusPackage,
        sender_code: str,
        document_id: str,
        now: datetime,
        sha256: str,
        verdict: SignatureVerdict,
        notes: list[Finding],
    ) -> AcceptPlan:
        rf = pkg.response_for
        other = _clean(rf.organ_id if rf else None)
        target = _clean(rf.document_id if rf else None)
        if other is None or target is None:
            raise PackageRefused(
                "ResponseFor needs OrganId and DocumentId",
                code="EDXML_REQUIRED",
                field="ResponseFor",
            )
        concerned = await self._concerned_copy(unit, sender_code, other, target)
        if concerned is None:
            raise NotFound(
                f"no document {target} between {other} and {sender_code} is known to this node",
                code="STATUS_UNKNOWN_DOCUMENT",
                field="ResponseFor/DocumentId",
            )
        original, copy = concerned
        codes = list(request.to) if request.to else [other]
        resolved = self._resolve(codes, now, table)
        status = pkg.status_code
        code_value = status.value if isinstance(status, StatusCode) else str(status or "")
        record = DocumentRecord(
            document_id=document_id,
            kind=MessageType.STATUS,
            sender_system=caller.system_id,
            sender_code=sender_code,
            sender_key=code_key(sender_code),
            sha256=sha256,
            size=len(request.data),
            accepted_at=now,
            edxml_document_id=target,
            code_number=original.code_number,
            code_notation=original.code_notation,
            promulgation_date=original.promulgation_date,
            subject=original.subject,
            priority=original.priority,
            status_code=code_value,
            related_document_id=original.document_id,
            signature=dict(verdict.to_dict()),
            notes=tuple(n.as_dict() for n in notes),
            request_id=request.request_id,
        )
        notice = StatusNoticePlan(
            delivery_id=copy.delivery_id,
            code=code_value,
            description=pkg.description,
            issued_at=_as_aware(pkg.timestamp),
            from_code=sender_code,
            # The node's acceptance is the status's legal send time (docs/calendar.md).
            notice_on_time=notice_on_time(code_value, copy.kind, copy.legal, copy.received_at, now),
            overdue=overdue(code_value, copy.kind, copy.legal, now),
        )
        return AcceptPlan(
            document=record,
            data=request.data,
            attachments=(),
            recipients=self._recipients(
                table,
                resolved,
                {code_key(other): copy.delivery_id},
                origin_doc_id=request.origin_doc_id,
            ),
            status_notice=notice,
        )

    async def _concerned_copy(
        self, unit: AcceptUnit, reporter: str, other: str, target: str
    ) -> tuple[DocumentRecord, DeliveryView] | None:
        """The copy a status is about: a receiver reports on what ``other`` sent it, or (13) the
        sender reports on the copy it sent to ``other``."""
        for sender, recipient in ((other, reporter), (reporter, other)):
            original = await unit.find_document(code_key(sender), target)
            if original is None:
                continue
            key = code_key(recipient)
            for copy in await unit.deliveries_of(original.document_id):
                if code_key(copy.code) == key or code_key(copy.requested_code) == key:
                    return original, copy
        return None

    @staticmethod
    def _outbox(plan: AcceptPlan, request_id: str | None) -> list[OutboxItem]:
        """The work an accept leaves for the broker (:mod:`gateway.core.work`): a ``route`` item
        per local copy whose system is not known yet, one ``forward`` item for the upstream
        copies (one send per package per link, listing its remote recipients), and one
        ``notify`` event listing the copies that are available at commit."""
        headers = work.request_headers(request_id)
        document_id = plan.document.document_id
        priority = plan.document.priority
        items = [
            work.route(r.delivery_id, priority, headers=headers)
            for r in plan.recipients
            if r.link is None and r.system_id is None
        ]
        upstream = [r.delivery_id for r in plan.recipients if r.link == work.UPSTREAM]
        if upstream:
            items.append(work.forward(document_id, upstream, priority, headers=headers))
        offered = [
            (r.delivery_id, r.system_id)
            for r in plan.recipients
            if initial_state(r.system_id, r.link) is DeliveryState.AVAILABLE and r.system_id
        ]
        if offered:
            items.append(work.notify(document_id, offered, priority, headers=headers))
        return items
