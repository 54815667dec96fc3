"""Validate a parsed package into coded findings (spec/edxml.md §2–§4; domain.md §3).

Each finding has a stable code, a severity and a logical location path such as
``MessageHeader/To[2]/OrganId`` (1-based, independent of the element order the producer used).
Severities come from :data:`DEFAULT_SEVERITY` and can be overridden per code by a :class:`Policy`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType

from edxml.errors import Finding, Severity
from edxml.limits import DEFAULT_LIMITS, Limits
from edxml.model import (
    Attachment,
    BusinessDocType,
    DocumentPackage,
    Organization,
    Package,
    Priority,
    ReceiverType,
    ResponseFor,
    StatusCode,
    StatusPackage,
)

E, W = Severity.ERROR, Severity.WARNING

#: Default severity of every finding code the validator emits.
DEFAULT_SEVERITY: Mapping[str, Severity] = MappingProxyType(
    {
        "EDXML_REQUIRED": E,
        "EDXML_ENUM": E,
        "EDXML_DATE": E,
        "EDXML_LENGTH": E,
        "EDXML_INTEGER": E,
        "STATUS_REASON_REQUIRED": E,
        "EDXML_BASE64": E,
        "EDXML_ATTACHMENT_NAME": E,
        "EDXML_ATTACHMENT_TYPE": E,
        "EDXML_ATTACHMENT_SIZE": E,
        "EDXML_ATTACHMENT_COUNT": E,
        "EDXML_ATTACHMENT_PLACEHOLDER": W,
        "EDXML_RECOMMENDED": W,
        "EDXML_DOCUMENT_ID": W,
        "EDXML_MANIFEST": W,
        "EDXML_CONTENT_TYPE": W,
        "EDXML_DUE_DATE": W,
        "EDXML_LEADING_BYTES": W,
        "EDXML_NAMESPACE": W,
        "EDXML_LAYOUT": W,
    }
)

_CANONICAL_ID = re.compile(r"^[^,\s]+,\d{4}/\d{2}/\d{2},[^,]+$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9 ._()\-]+$")
_TEMPLATE = re.compile(rb"\s*\$\{[^}]*\}\s*$")  # used with match(pos): no "^"


@dataclass(frozen=True, slots=True)
class Policy:
    """What counts as an error: limits, per-code severity overrides, depth of checking.

    ``deep`` decodes every attachment to check each base64 character (the cheap structural check
    always runs); the node decodes while storing, so its hot path leaves it off.
    """

    limits: Limits = DEFAULT_LIMITS
    severities: Mapping[str, Severity] = field(default_factory=dict)
    deep: bool = False

    def severity(self, code: str) -> Severity:
        """Severity of ``code`` under this policy."""
        return self.severities.get(code) or DEFAULT_SEVERITY.get(code, E)


DEFAULT_POLICY = Policy()


class _Checker:
    __slots__ = ("findings", "policy")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.findings: list[Finding] = []

    def add(self, code: str, path: str, message: str) -> None:
        self.findings.append(Finding(code, self.policy.severity(code), path, message))

    def required(self, path: str, value: object, what: str | None = None) -> bool:
        if value is None or value == "" or value == []:
            self.add("EDXML_REQUIRED", path, f"{what or path.rsplit('/', 1)[-1]} is required")
            return False
        return True

    def recommended(self, path: str, value: object) -> None:
        if value is None or value == "":
            self.add("EDXML_RECOMMENDED", path, f"{path.rsplit('/', 1)[-1]} is empty or missing")

    def length(self, path: str, value: str | None, key: str | None = None) -> None:
        if not value:
            return
        key = key or path.rsplit("/", 1)[-1].split("[", 1)[0]
        limit = self.policy.limits.max_lengths.get(key)
        if limit is not None and len(value) > limit:
            self.add("EDXML_LENGTH", path, f"{len(value)} characters; at most {limit} allowed")

    def date(self, path: str, value: date | str | None, *, required: bool = False) -> None:
        if value is None or value == "":
            if required:
                self.required(path, value)
            return
        if isinstance(value, str):
            self.add("EDXML_DATE", path, f"{value!r} is not a date in yyyy/MM/dd form")

    def timestamp(self, path: str, value: datetime | str | None, *, required: bool = False) -> None:
        if value is None or value == "":
            if required:
                self.required(path, value)
            return
        if isinstance(value, str):
            self.add(
                "EDXML_DATE", path, f"{value!r} is not a timestamp in yyyy/MM/dd HH:mm:ss form"
            )

    def enum(self, path: str, value: object, allowed: str) -> None:
        if isinstance(value, str) and value != "":
            self.add("EDXML_ENUM", path, f"{value!r} is not one of {allowed}")

    def organization(self, path: str, org: Organization, *, name_required: bool) -> None:
        if not org.organ_id:
            self.required(f"{path}/OrganId", org.organ_id)
        if name_required:
            if not org.organ_name:
                self.required(f"{path}/OrganName", org.organ_name)
        elif not org.organ_name:
            self.recommended(f"{path}/OrganName", org.organ_name)
        # Six organisations per package on average: paths are built only for a finding.
        limits = self.policy.limits.max_lengths
        for key, value in (
            ("OrganId", org.organ_id),
            ("OrganName", org.organ_name),
            ("OrganizationInCharge", org.organization_in_charge),
            ("OrganAdd", org.organ_add),
            ("Email", org.email),
            ("Telephone", org.telephone),
            ("Fax", org.fax),
            ("Website", org.website),
        ):
            if value and (limit := limits.get(key)) is not None and len(value) > limit:
                self.add(
                    "EDXML_LENGTH",
                    f"{path}/{key}",
                    f"{len(value)} characters; at most {limit} allowed",
                )

    def response_for(self, path: str, rf: ResponseFor, *, required: bool) -> None:
        if not required and not any((rf.organ_id, rf.code, rf.promulgation_date, rf.document_id)):
            return  # an all-empty ResponseFor (SDK sample) answers nothing
        self.required(f"{path}/OrganId", rf.organ_id)
        self.required(f"{path}/DocumentId", rf.document_id)
        self.recommended(f"{path}/Code", rf.code)
        self.date(f"{path}/PromulgationDate", rf.promulgation_date)
        self.length(f"{path}/OrganId", rf.organ_id)
        self.length(f"{path}/DocumentId", rf.document_id)


def _document(c: _Checker, pkg: DocumentPackage) -> None:
    h = pkg.header
    mh = "MessageHeader"
    c.organization(f"{mh}/From", h.from_, name_required=True)
    if c.required(f"{mh}/To", h.to, "at least one To"):
        for i, to in enumerate(h.to, 1):
            c.organization(f"{mh}/To[{i}]", to, name_required=False)
    if c.required(f"{mh}/Code", h.code) and h.code is not None:
        c.required(f"{mh}/Code/CodeNumber", h.code.code_number)
        c.required(f"{mh}/Code/CodeNotation", h.code.code_notation)
        c.length(f"{mh}/Code/CodeNumber", h.code.code_number)
        c.length(f"{mh}/Code/CodeNotation", h.code.code_notation)
    prom = h.promulgation
    c.date(f"{mh}/PromulgationInfo/PromulgationDate", prom.promulgation_date if prom else None,
           required=True)  # fmt: skip
    if prom is not None:
        c.length(f"{mh}/PromulgationInfo/Place", prom.place)
    if c.required(f"{mh}/DocumentType", h.document_type) and h.document_type is not None:
        dtype = h.document_type
        # No agreed list of Type values (1, 2, 18, 71 seen): keep it opaque, but numeric.
        if c.required(f"{mh}/DocumentType/Type", dtype.type) and not (dtype.type or "").isdigit():
            c.add("EDXML_INTEGER", f"{mh}/DocumentType/Type", f"{dtype.type!r} is not an integer")
        if dtype.type_detail and not dtype.type_detail.isdigit():
            c.add("EDXML_INTEGER", f"{mh}/DocumentType/TypeDetail", "not an integer")
        c.recommended(f"{mh}/DocumentType/TypeName", dtype.type_name)
        c.length(f"{mh}/DocumentType/TypeName", dtype.type_name)
    c.required(f"{mh}/Subject", h.subject)
    c.length(f"{mh}/Subject", h.subject)
    c.length(f"{mh}/Content", h.content)
    if c.required(f"{mh}/DocumentId", h.document_id) and h.document_id:
        c.length(f"{mh}/DocumentId", h.document_id)
        if not _CANONICAL_ID.match(h.document_id):
            c.add("EDXML_DOCUMENT_ID", f"{mh}/DocumentId",
                  "not in the canonical form <agency code>,<yyyy/MM/dd>,<number>/<notation>; "
                  "duplicate detection uses the derived canonical id")  # fmt: skip
    c.date(f"{mh}/DueDate", h.due_date)
    if (
        isinstance(h.due_date, date)
        and prom is not None
        and isinstance(prom.promulgation_date, date)
        and h.due_date < prom.promulgation_date
    ):
        c.add("EDXML_DUE_DATE", f"{mh}/DueDate", "due date is before the promulgation date")
    for i, place in enumerate(h.to_places or [], 1):
        c.length(f"{mh}/ToPlaces/Place[{i}]", place)
    if h.other is not None:
        c.enum(f"{mh}/OtherInfo/Priority", h.other.priority, _values(Priority))
    if h.steering_type not in (None, "", "0", "1", "2", "3"):
        c.add("EDXML_ENUM", f"{mh}/SteeringType", f"{h.steering_type!r} is not one of 0, 1, 2, 3")
    for i, rf in enumerate(h.response_for, 1):
        c.response_for(f"{mh}/ResponseFor[{i}]", rf, required=False)

    if c.required("TraceHeaderList/TraceHeader", pkg.traces, "at least one TraceHeader"):
        for i, trace in enumerate(pkg.traces, 1):
            c.required(f"TraceHeaderList/TraceHeader[{i}]/OrganId", trace.organ_id)
            c.timestamp(f"TraceHeaderList/TraceHeader[{i}]/Timestamp", trace.timestamp,
                        required=True)  # fmt: skip
    _business(c, pkg)
    _attachments(c, pkg)


@lru_cache(maxsize=8)
def _values(enum: type[Priority] | type[BusinessDocType] | type[ReceiverType]) -> str:
    # Called for every enum check, finding or not: the wire values never change.
    return ", ".join(str(int(member)) for member in enum)


def _business(c: _Checker, pkg: DocumentPackage) -> None:
    b = pkg.business
    if b is None:
        return  # no Bussiness block: a new document (BussinessDocType 0)
    path = "TraceHeaderList/Bussiness"
    c.enum(f"{path}/BussinessDocType", b.doc_type, _values(BusinessDocType))
    c.length(f"{path}/BussinessDocReason", b.reason)
    if b.paper not in (None, "", "0", "1"):
        c.add("EDXML_ENUM", f"{path}/Paper", f"{b.paper!r} is not one of 0, 1")
    target = b.document_id or any(rf.document_id for rf in pkg.header.response_for)
    if b.doc_type in (BusinessDocType.REVOKE, BusinessDocType.UPDATE) and not target:
        c.add("EDXML_REQUIRED", f"{path}/DocumentId",
              "revoke/update must name the original document (Bussiness/DocumentId or "
              "ResponseFor/DocumentId)")  # fmt: skip
    if b.doc_type == BusinessDocType.REPLACE and c.required(
        f"{path}/ReplacementInfoList", b.replacements, "ReplacementInfo"
    ):
        for i, rep in enumerate(b.replacements or [], 1):
            c.required(f"{path}/ReplacementInfoList/ReplacementInfo[{i}]/DocumentId",
                           rep.document_id)  # fmt: skip
    if b.doc_type == BusinessDocType.UPDATE and b.document_info is not None:
        info = b.document_info
        base = f"{path}/BussinessDocumentInfo"
        for key, flag in (
            ("DocumentInfo", info.document_info),
            ("DocumentReceiver", info.document_receiver),
        ):
            if flag not in (None, "", "0", "1"):
                c.add("EDXML_ENUM", f"{base}/{key}", f"{flag!r} is not one of 0, 1")
        for i, receiver in enumerate(info.receivers or [], 1):
            c.required(f"{base}/ReceiverList/Receiver[{i}]/OrganId", receiver.organ_id)
            c.enum(f"{base}/ReceiverList/Receiver[{i}]/ReceiverType", receiver.receiver_type,
                   _values(ReceiverType))  # fmt: skip


def _cid(value: str | None) -> str:
    value = (value or "").strip()
    return value[4:] if value[:4].lower() == "cid:" else value


def _attachments(c: _Checker, pkg: DocumentPackage) -> None:
    limits = c.policy.limits
    revoke = pkg.business is not None and pkg.business.doc_type == BusinessDocType.REVOKE
    if not pkg.attachments and not revoke:
        c.add(
            "EDXML_REQUIRED", "AttachmentEncoded/Attachment", "at least one attachment is required"
        )
    if len(pkg.attachments) > limits.max_attachments:
        c.add("EDXML_ATTACHMENT_COUNT", "AttachmentEncoded",
              f"{len(pkg.attachments)} attachments; at most {limits.max_attachments}")  # fmt: skip
    manifest = {_cid(ref.content_id): ref for ref in pkg.manifest}
    seen: set[str] = set()
    for i, att in enumerate(pkg.attachments, 1):
        path = f"AttachmentEncoded/Attachment[{i}]"
        cid = _cid(att.content_id)
        seen.add(cid)
        c.recommended(f"{path}/ContentId", att.content_id)
        if cid and pkg.manifest and cid not in manifest:
            c.add("EDXML_MANIFEST", f"{path}/ContentId", f"{cid!r} is not listed in edXMLManifest")
        if c.required(f"{path}/AttachmentName", att.attachment_name) and att.attachment_name:
            _attachment_name(c, f"{path}/AttachmentName", att.attachment_name, limits)
        _attachment_content(c, path, att, manifest.get(cid))
    for j, ref in enumerate(pkg.manifest, 1):
        if _cid(ref.content_id) not in seen:
            c.add("EDXML_MANIFEST", f"edXMLManifest/Reference[{j}]",
                  f"manifest entry {ref.content_id!r} has no attachment")  # fmt: skip


def _attachment_name(c: _Checker, path: str, name: str, limits: Limits) -> None:
    # Tuyên Quang 51/2024 Art. 7: ≤ 50 characters, no diacritics or special characters.
    if len(name) > limits.max_attachment_name_chars:
        c.add("EDXML_ATTACHMENT_NAME", path,
              f"{len(name)} characters; at most {limits.max_attachment_name_chars}")  # fmt: skip
    if not _SAFE_NAME.match(name):
        bad = sorted({ch for ch in name if not _SAFE_NAME.match(ch)})
        kind = "diacritics" if any(unicodedata.decomposition(ch) for ch in bad) else "characters"
        allowed = "letters, digits, space, . _ - ( ) only"
        c.add("EDXML_ATTACHMENT_NAME", path,
              f"file name has forbidden {kind}: {''.join(bad)!r} ({allowed})")  # fmt: skip
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext not in limits.allowed_extensions:
        c.add("EDXML_ATTACHMENT_TYPE", path,
              f"file type {ext or '(none)'!r} is not allowed")  # fmt: skip


def _attachment_content(c: _Checker, path: str, att: Attachment, ref: object) -> None:
    payload = att.encoded
    problem = payload.structure_error()
    if problem is not None and _TEMPLATE.match(payload.source, payload.start, payload.end):
        c.add("EDXML_ATTACHMENT_PLACEHOLDER", f"{path}/ContentTransferEncoded",
              "content is an unexpanded template placeholder, not a file")  # fmt: skip
        return
    if problem is None and c.policy.deep:
        problem = att.decode_error()
    if problem is not None:
        c.add("EDXML_BASE64", f"{path}/ContentTransferEncoded", problem)
        return
    size = payload.decoded_size() or 0
    limit = c.policy.limits.max_attachment_bytes
    if size > limit:
        c.add("EDXML_ATTACHMENT_SIZE", f"{path}/ContentTransferEncoded",
              f"decoded size {size} bytes; at most {limit}")  # fmt: skip
    declared = (att.content_type or "").lower()
    zipped = att.is_zip
    if declared == "application/zip" and not zipped:
        c.add("EDXML_CONTENT_TYPE", f"{path}/ContentType", "declared zip, but content is not a zip")
    elif zipped and declared not in ("application/zip", "application/x-zip-compressed", ""):
        c.add("EDXML_CONTENT_TYPE", f"{path}/ContentType",
              f"declared {declared!r}, but content is a zip archive")  # fmt: skip


def _status(c: _Checker, pkg: StatusPackage) -> None:
    mh = "MessageHeader"
    c.organization(f"{mh}/From", pkg.from_, name_required=False)
    if c.required(f"{mh}/ResponseFor", pkg.response_for) and pkg.response_for is not None:
        c.response_for(f"{mh}/ResponseFor", pkg.response_for, required=True)
    code = pkg.status_code
    if c.required(f"{mh}/StatusCode", code):
        if isinstance(code, StatusCode):
            # NĐ 30/2020 Art. 21(2)(c); Lạng Sơn 2020 Art. 6(4): a refusal must say why.
            if code.needs_reason and not pkg.description:
                c.add("STATUS_REASON_REQUIRED", f"{mh}/Description",
                      f"status {code.value} requires a Description (the reason)")  # fmt: skip
        else:
            allowed = ", ".join(s.value for s in StatusCode)
            c.add("EDXML_ENUM", f"{mh}/StatusCode", f"{code!r} is not one of {allowed}")
    c.length(f"{mh}/Description", pkg.description)
    c.timestamp(f"{mh}/Timestamp", pkg.timestamp, required=True)


def validate(
    package: Package, policy: Policy = DEFAULT_POLICY, notes: list[Finding] | None = None
) -> list[Finding]:
    """Return every finding for ``package`` (empty when it is clean).

    ``notes`` are the reader's tolerated irregularities; they are re-graded under ``policy``.
    """
    checker = _Checker(policy)
    for note in notes or ():
        checker.add(note.code, note.path, note.message)
    if isinstance(package, StatusPackage):
        _status(checker, package)
    else:
        _document(checker, package)
    return checker.findings


def has_errors(findings: list[Finding]) -> bool:
    """Whether any finding is an error."""
    return any(f.severity is Severity.ERROR for f in findings)
