"""The checks of a send, in the order they answer (the first failure answers; nothing is stored
before the last step of :class:`gateway.core.accept.acceptor.Acceptor`):

1. size, then the hardened parse (``EDXML_*``), kind vs ``messagetype`` (``PACKAGE_KIND``);
2. validation findings of severity error (``EDXML_*``/``STATUS_*``, listing every offending field);
   the node validates deeply: every attachment is decoded once (``EDXML_BASE64``), and that same
   decoding gives each attachment's size and SHA-256;
3. the sender: the ``from`` parameter and ``From/OrganId`` must be granted to the caller
   (``SENDER_NOT_GRANTED``);
4. idempotency: the same bytes from the same system, or the same edXML DocumentId from the same
   sender, answer the original DocId and create nothing (VXP Q14: clients retry POSTs), unless
   the repeat names a recipient the first send did not have (``DOCUMENT_REPEAT_CONFLICT``);
5. the signature class (``SIGNATURE_INVALID`` when the node's policy refuses the class).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from edxml import (
    BusinessDocType,
    DocumentPackage,
    EdxmlError,
    Severity,
    StatusPackage,
    read_package,
    validate,
)
from edxml.signature import SignatureVerdict, classify
from gateway.core.accept.request import AcceptConfig, Checked
from gateway.core.clock import VN_TZ
from gateway.core.errors import BadRequest, NotAllowed, PackageRefused
from gateway.core.model import AttachmentInfo, MessageType, System
from gateway.core.ports import AcceptUnit
from gateway.core.routing import code_key

#: Packages above this size are parsed off the event loop.
PARSE_IN_THREAD_BYTES = 256 * 1024


def clean(value: str | None) -> str | None:
    """A stripped text, None when empty."""
    value = (value or "").strip()
    return value or None


def business_type(pkg: DocumentPackage) -> BusinessDocType:
    """The package's business operation (new when absent)."""
    doc_type = pkg.business.doc_type if pkg.business else None
    if isinstance(doc_type, int) and doc_type in BusinessDocType._value2member_map_:
        return BusinessDocType(doc_type)
    return BusinessDocType.NEW  # absent (validation refuses an unknown value)


def priority(pkg: DocumentPackage) -> int:
    """The package's priority (0 when absent)."""
    value = pkg.header.other.priority if pkg.header.other else None
    return int(value) if isinstance(value, int) else 0


def as_date(value: date | str | None) -> date | None:
    """A parsed date, None for an unparsed text."""
    return value if isinstance(value, date) else None


def as_aware(value: datetime | str | None) -> datetime | None:
    """A parsed instant in +07:00 (edXML times carry no zone), None for an unparsed text."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=VN_TZ)


def check_size(data: bytes, config: AcceptConfig) -> None:
    """Refuse a package above the configured size before reading it."""
    limit = config.limits.max_package_bytes
    if len(data) > limit:
        raise PackageRefused(
            f"package of {len(data)} bytes exceeds the limit of {limit}",
            code="EDXML_TOO_LARGE",
            field="body",
        )


def check_package(data: bytes, messagetype: MessageType, config: AcceptConfig) -> Checked:
    """Parse, validate and hash attachments (CPU-bound: may run in a thread)."""
    limits = config.limits
    try:
        parsed = read_package(data, limits)
    except EdxmlError as exc:
        raise PackageRefused(str(exc), code=exc.code, field=exc.field) from exc
    pkg = parsed.package
    want = StatusPackage if messagetype is MessageType.STATUS else DocumentPackage
    if not isinstance(pkg, want):
        got = "status" if isinstance(pkg, StatusPackage) else "edoc"
        raise PackageRefused(
            f"messagetype is {messagetype.value} but the package is a {got} package",
            code="PACKAGE_KIND",
            field="messagetype",
        )
    findings = validate(pkg, config.policy, parsed.notes)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        shown = "; ".join(f"{f.code} at {f.path}: {f.message}" for f in errors[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        raise PackageRefused(
            shown + more,
            code=errors[0].code,
            field=errors[0].field,
            findings=[f.as_dict() for f in errors],
        )
    infos: tuple[AttachmentInfo, ...] = ()
    if isinstance(pkg, DocumentPackage):
        infos = tuple(
            AttachmentInfo(
                position, att.attachment_name, att.content_type, att.size, att.sha256, att.is_zip
            )
            for position, att in enumerate(pkg.attachments)
        )
    warnings = [f for f in findings if f.severity is not Severity.ERROR]

    def verdict() -> SignatureVerdict:
        return classify(
            data, config.trust, doc=parsed.document, limits=limits, policy=config.signature_policy
        )

    return Checked(pkg, warnings, infos, verdict)


def check_sender(
    caller: System,
    from_code: str | None,
    pkg: DocumentPackage | StatusPackage,
    may_act_for: Callable[[str], bool],
) -> str:
    """The sender's code; both the parameter and From/OrganId must be ones the caller may act
    for (``may_act_for``: its grants, or, for the upstream node, the codes outside the
    province)."""
    organ = pkg.header.from_.organ_id if isinstance(pkg, DocumentPackage) else pkg.from_.organ_id
    organ_id = clean(organ)
    param = clean(from_code)
    for value, where in ((param, "from"), (organ_id, "From/OrganId")):
        if value is not None and not may_act_for(value):
            raise NotAllowed(
                f"sender {value} is not registered for system {caller.system_id}",
                code="SENDER_NOT_GRANTED",
                field=where,
            )
    if organ_id is None:  # validation requires it; kept as a guard
        raise PackageRefused("From/OrganId is missing", code="EDXML_REQUIRED", field="From/OrganId")
    return organ_id


def dedup_key(pkg: DocumentPackage | StatusPackage, sender_code: str) -> str | None:
    """Same sender + edXML DocumentId (+ operation) is the same send, for new and revoke."""
    if not isinstance(pkg, DocumentPackage):
        return None
    edxml_id = clean(pkg.header.document_id)
    business = business_type(pkg)
    if edxml_id is None or business not in (BusinessDocType.NEW, BusinessDocType.REVOKE):
        return None  # updates and replaces may legitimately repeat an id: bytes decide
    return f"{code_key(sender_code)}|{business.value}|{edxml_id}"[:300]


async def same_recipients(unit: AcceptUnit, document_id: str, to: Sequence[str] | None) -> None:
    """A repeat answers the first DocId only if it asks for no recipient the first send did not
    get: otherwise the new ``to`` would be silently dropped (a coded conflict)."""
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


@runtime_checkable
class SemanticLookahead(Protocol):
    """An accept unit that can look the semantic duplicate up together with the idempotency
    read (:meth:`gateway.core.ports.AcceptUnit.find_existing`), one round trip for both."""

    def expect_semantic(
        self, sender_key: str, code_number: str, code_notation: str, promulgation_date: date
    ) -> None:
        """The key ``find_semantic_duplicate`` will be asked for."""
        ...


def semantic_key(
    pkg: DocumentPackage | StatusPackage, sender_code: str
) -> tuple[str, str, str, date] | None:
    """(sender key, number, notation, date) of a new document that has all three, else None:
    what :func:`gateway.core.accept.plans.document_plan` checks for a semantic duplicate."""
    if not isinstance(pkg, DocumentPackage) or business_type(pkg) is not BusinessDocType.NEW:
        return None
    header = pkg.header
    number = clean(header.code.code_number) if header.code else None
    notation = clean(header.code.code_notation) if header.code else None
    promulgated = as_date(header.promulgation.promulgation_date) if header.promulgation else None
    if not (number and notation and promulgated):
        return None
    return code_key(sender_code), number, notation, promulgated


def check_signature(verdict: SignatureVerdict, config: AcceptConfig) -> None:
    """Refuse a signature class the node's policy does not accept."""
    if not config.signature_policy.accepts(verdict):
        raise PackageRefused(
            f"signature is {verdict.klass.value}: {verdict.message or verdict.reason or ''}",
            code="SIGNATURE_INVALID",
            field="Signature",
        )
