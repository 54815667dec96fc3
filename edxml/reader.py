"""Read edXML bytes into the typed model, leniently (spec/edxml.md §1, "real-world variance").

Elements are matched by local name, in any order, whatever their namespace or (undeclared) prefix;
``Bussiness`` may sit before or after the trace entries; attachments may be zipped or raw and the
manifest may disagree with them. What is tolerated is reported as warning notes, never silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from lxml import etree

from edxml.errors import Finding, NotEdxml, Severity
from edxml.limits import DEFAULT_LIMITS, Limits
from edxml.model import (
    VN_TZ,
    Attachment,
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    DocumentCode,
    DocumentHeader,
    DocumentPackage,
    DocumentType,
    ManifestReference,
    Organization,
    OtherInfo,
    Package,
    Priority,
    PromulgationInfo,
    Receiver,
    ReceiverType,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusPackage,
    TraceEntry,
)
from edxml.payload import Payload
from edxml.xmlsafe import XmlDocument, local_name, read_xml

_DATE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})$")
_TIMESTAMP = re.compile(r"^(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})$")
E = TypeVar("E")


@dataclass(slots=True)
class ParsedPackage:
    """A parsed package with the tree it came from and the irregularities tolerated on the way."""

    package: Package
    document: XmlDocument
    notes: list[Finding] = field(default_factory=list)


class _Node:
    """Children of an element grouped by local name (order-independent access)."""

    __slots__ = ("children", "element")

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        children: dict[str, list[etree._Element]] = {}
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comment or processing instruction
            name = local_name(tag)
            found = children.get(name)
            if found is None:
                children[name] = [child]
            else:
                found.append(child)
        self.children = children

    def all(self, name: str) -> list[etree._Element]:
        return self.children.get(name, [])

    def first(self, name: str) -> etree._Element | None:
        found = self.children.get(name)
        return found[0] if found else None

    def node(self, name: str) -> _Node | None:
        element = self.first(name)
        return None if element is None else _Node(element)

    def text(self, name: str) -> str | None:
        # The reader's most frequent call (~80 per package): _text inlined for the common case.
        found = self.children.get(name)
        if not found:
            return None
        element = found[0]
        if len(element):
            return _text(element)
        return (element.text or "").strip()


def _text(element: etree._Element) -> str:
    if len(element):  # comments or stray children inside a value: join the text pieces
        return "".join(str(t) for t in element.itertext()).strip()
    return (element.text or "").strip()


def parse_date(text: str | None) -> date | str | None:
    """Parse ``yyyy/MM/dd``; return the raw text when it is not a valid date."""
    if not text:
        return text
    match = _DATE.match(text)
    if match is None:
        return text
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return text


def parse_timestamp(text: str | None) -> datetime | str | None:
    """Parse ``yyyy/MM/dd HH:mm:ss`` Vietnam local time into an aware datetime (+07:00)."""
    if not text:
        return text
    match = _TIMESTAMP.match(text)
    if match is None:
        return text
    try:
        year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
        return datetime(year, month, day, hour, minute, second, tzinfo=VN_TZ)
    except ValueError:
        return text


def _int_enum(enum: Callable[[int], E], text: str | None) -> E | str | None:
    if text is None or not text.isascii() or not text.isdigit():
        return text
    try:
        return enum(int(text))
    except ValueError:
        return text


def _status_code(text: str | None) -> StatusCode | str | None:
    try:
        return StatusCode(text) if text is not None else None
    except ValueError:
        return text


def _organization(node: _Node) -> Organization:
    return Organization(
        organ_id=node.text("OrganId"),
        organ_name=node.text("OrganName"),
        organization_in_charge=node.text("OrganizationInCharge"),
        organ_add=node.text("OrganAdd"),
        email=node.text("Email"),
        telephone=node.text("Telephone"),
        fax=node.text("Fax"),
        website=node.text("Website"),
    )


def _staff(node: _Node | None) -> StaffInfo | None:
    if node is None:
        return None
    return StaffInfo(
        department=node.text("Department"),
        staff=node.text("Staff"),
        email=node.text("Email"),
        mobile=node.text("Mobile"),
    )


def _response_for(node: _Node) -> ResponseFor:
    return ResponseFor(
        organ_id=node.text("OrganId"),
        code=node.text("Code"),
        promulgation_date=parse_date(node.text("PromulgationDate")),
        document_id=node.text("DocumentId"),
    )


def _document_header(node: _Node) -> DocumentHeader:
    header = DocumentHeader()
    sender = node.node("From")
    header.from_ = _organization(sender) if sender else Organization()
    header.to = [_organization(_Node(el)) for el in node.all("To")]
    header.document_id = node.text("DocumentId")
    if (code := node.node("Code")) is not None:
        header.code = DocumentCode(code.text("CodeNumber"), code.text("CodeNotation"))
    if (prom := node.node("PromulgationInfo")) is not None:
        header.promulgation = PromulgationInfo(
            prom.text("Place"), parse_date(prom.text("PromulgationDate"))
        )
    if (dtype := node.node("DocumentType")) is not None:
        header.document_type = DocumentType(
            dtype.text("Type"), dtype.text("TypeDetail"), dtype.text("TypeName")
        )
    header.subject = node.text("Subject")
    header.content = node.text("Content")
    if (signer := node.node("SignerInfo")) is not None:
        header.signer = SignerInfo(
            signer.text("Competence"), signer.text("Position"), signer.text("FullName")
        )
    header.due_date = parse_date(node.text("DueDate"))
    if (places := node.node("ToPlaces")) is not None:
        header.to_places = [_text(el) for el in places.all("Place")]
    if (other := node.node("OtherInfo")) is not None:
        appendixes = other.node("Appendixes")
        header.other = OtherInfo(
            priority=_int_enum(Priority, other.text("Priority")),
            sphere_of_promulgation=other.text("SphereOfPromulgation"),
            typer_notation=other.text("TyperNotation"),
            promulgation_amount=other.text("PromulgationAmount"),
            page_amount=other.text("PageAmount"),
            direction=other.text("Direction"),
            appendixes=None
            if appendixes is None
            else [_text(el) for el in appendixes.all("Appendix")],
        )
    header.response_for = [_response_for(_Node(el)) for el in node.all("ResponseFor")]
    header.steering_type = node.text("SteeringType")
    return header


def _business(node: _Node) -> Business:
    business = Business(
        doc_type=_int_enum(BusinessDocType, node.text("BussinessDocType")),
        reason=node.text("BussinessDocReason"),
        document_id=node.text("DocumentId"),
        paper=node.text("Paper"),
        staff=_staff(node.node("StaffInfo")),
    )
    if (info := node.node("BussinessDocumentInfo")) is not None:
        receivers = info.node("ReceiverList")
        business.document_info = BusinessDocumentInfo(
            document_info=info.text("DocumentInfo"),
            document_receiver=info.text("DocumentReceiver"),
            receivers=None
            if receivers is None
            else [
                Receiver(r.text("OrganId"), _int_enum(ReceiverType, r.text("ReceiverType")))
                for r in map(_Node, receivers.all("Receiver"))
            ],
        )
    if (replacements := node.node("ReplacementInfoList")) is not None:
        business.replacements = []
        for item in map(_Node, replacements.all("ReplacementInfo")):
            organs = item.node("OrganIdList")
            business.replacements.append(
                ReplacementInfo(
                    document_id=item.text("DocumentId"),
                    organ_ids=[] if organs is None else [_text(el) for el in organs.all("OrganId")],
                )
            )
    return business


def _document(
    doc: XmlDocument, header: _Node, message: _Node, notes: list[Finding]
) -> DocumentPackage:
    package = DocumentPackage(header=_document_header(message))
    package.traces = _traces(header)
    traces = header.node("TraceHeaderList")
    business_el: etree._Element | None = None
    if traces is not None:
        business_el = traces.first("Bussiness")
    if business_el is None:
        business_el = header.first("Bussiness")
        if business_el is None:
            business_el = message.first("Bussiness")
        if business_el is not None:
            notes.append(_note("EDXML_LAYOUT", "Bussiness", "Bussiness outside TraceHeaderList"))
    if business_el is not None:
        package.business = _business(_Node(business_el))

    # Content inside a Signature (its ds:Object) is not covered by the enveloped signature: a
    # manifest or attachments found there are not the package's (docs/signatures.md).
    hidden = [
        el
        for name in ("edXMLManifest", "AttachmentEncoded")
        for el in doc.iter(name)
        if _in_signature(el)
    ]
    if hidden:
        notes.append(
            _note(
                "EDXML_LAYOUT",
                "Signature",
                f"{len(hidden)} manifest/attachment block(s) inside the signature ignored",
            )
        )
    manifest = next((m for m in doc.iter("edXMLManifest") if not _in_signature(m)), None)
    if manifest is not None:
        package.manifest = [
            ManifestReference(
                content_id=r.text("ContentId"),
                content_type=r.text("ContentType"),
                description=r.text("Description"),
                attachment_name=r.text("AttachmentName"),
            )
            for r in map(_Node, _Node(manifest).all("Reference"))
        ]
    for encoded in doc.iter("AttachmentEncoded"):
        if _in_signature(encoded):
            continue
        for item in _Node(encoded).all("Attachment"):
            node = _Node(item)
            payload = node.first("ContentTransferEncoded")
            package.attachments.append(
                Attachment(
                    content_id=node.text("ContentId"),
                    attachment_name=node.text("AttachmentName"),
                    description=node.text("Description"),
                    content_type=node.text("ContentType"),
                    encoded=doc.payload(payload) if payload is not None else Payload.of(b""),
                )
            )
    return package


def _in_signature(element: etree._Element) -> bool:
    """Whether ``element`` lies inside a ``Signature`` (any namespace)."""
    return any(local_name(a.tag) == "Signature" for a in element.iterancestors())


def _traces(header: _Node) -> list[TraceEntry]:
    traces = header.node("TraceHeaderList")
    if traces is None:
        return []
    return [
        TraceEntry(t.text("OrganId"), parse_timestamp(t.text("Timestamp")))
        for t in map(_Node, traces.all("TraceHeader"))
    ]


def _status(header: _Node, message: _Node) -> StatusPackage:
    sender = message.node("From")
    response = message.node("ResponseFor")
    return StatusPackage(
        traces=_traces(header),
        from_=_organization(sender) if sender else Organization(),
        response_for=None if response is None else _response_for(response),
        staff=_staff(message.node("StaffInfo")),
        status_code=_status_code(message.text("StatusCode")),
        description=message.text("Description"),
        timestamp=parse_timestamp(message.text("Timestamp")),
    )


def _note(code: str, path: str, message: str) -> Finding:
    return Finding(code, Severity.WARNING, path, message)


def read_package(data: bytes, limits: Limits = DEFAULT_LIMITS) -> ParsedPackage:
    """Parse package bytes; raise a coded ``PackageRejected`` when they are not an edXML package."""
    doc = read_xml(data, limits)
    notes = [_note(code, "/", message) for code, message in doc.notes]
    root = doc.root
    if local_name(root.tag) != "edXML":
        raise NotEdxml(f"root element is {local_name(root.tag)!r}, expected 'edXML'", field="/")
    envelope = _Node(root).first("edXMLEnvelope")
    if envelope is None:
        raise NotEdxml("edXMLEnvelope is missing", field="/edXML/edXMLEnvelope")
    header_el = _Node(envelope).first("edXMLHeader")
    if header_el is None:
        raise NotEdxml("edXMLHeader is missing", field="/edXML/edXMLEnvelope/edXMLHeader")
    header = _Node(header_el)
    message = header.node("MessageHeader")
    if message is None:
        raise NotEdxml("MessageHeader is missing", field="MessageHeader")
    package: Package
    if message.first("StatusCode") is not None:
        package = _status(header, message)
    else:
        package = _document(doc, header, message, notes)
    return ParsedPackage(package=package, document=doc, notes=notes)


def parse(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Package:
    """Parse package bytes into a :class:`DocumentPackage` or :class:`StatusPackage`."""
    return read_package(data, limits).package
