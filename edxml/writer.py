"""Build packages in the strict SDK layout (spec/edxml.md §6): emit strictly.

Root ``edXML`` in the default QCVN namespace, envelope children with the ``edXML`` prefix, the
attachments as the sibling ``AttachmentEncoded`` block, UTF-8 with a declaration, dates
``yyyy/MM/dd`` and timestamps ``yyyy/MM/dd HH:mm:ss`` in +07:00. Elements come in one fixed order
(the one of the shipped XSD, ``schemas/xsd/edxml.xsd``); ``None`` fields are left out, empty
strings give empty elements. Attachment payloads are copied straight from their buffers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum

from edxml.errors import BuildError
from edxml.model import (
    DATE_FORMAT,
    QCVN_NS,
    TIMESTAMP_FORMAT,
    VN_TZ,
    Business,
    DocumentHeader,
    DocumentPackage,
    Organization,
    Package,
    ResponseFor,
    StaffInfo,
    StatusPackage,
    TraceEntry,
)

P = "edXML:"
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})

Value = str | int | date | datetime | Enum | None


def _text(value: Value, path: str) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise BuildError("timestamp must be timezone-aware", field=path)
        return value.astimezone(VN_TZ).strftime(TIMESTAMP_FORMAT)
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, Enum):
        value = value.value
    text = str(value)
    if _FORBIDDEN.search(text):
        raise BuildError("text contains characters XML 1.0 cannot carry", field=path)
    return text.translate(_ESCAPES)


class _Out:
    """Accumulates the output; payloads are appended as buffers, never re-encoded."""

    def __init__(self) -> None:
        self.parts: list[bytes | memoryview] = []
        self._lines: list[str] = []

    def line(self, depth: int, text: str) -> None:
        self._lines.append("  " * depth + text)

    def leaf(self, depth: int, name: str, value: Value, path: str, prefix: str = P) -> None:
        if value is None:
            return
        self.line(depth, f"<{prefix}{name}>{_text(value, f'{path}/{name}')}</{prefix}{name}>")

    def group(
        self, depth: int, name: str, children: Iterable[tuple[str, Value]], path: str
    ) -> None:
        """``<name>`` (located at ``path``) with one leaf per (child, value); ``None`` omitted."""
        self.line(depth, f"<{P}{name}>")
        for child, value in children:
            self.leaf(depth + 1, child, value, path)
        self.line(depth, f"</{P}{name}>")

    def flush(self) -> None:
        if self._lines:
            self.parts.append(("\n".join(self._lines) + "\n").encode("utf-8"))
            self._lines = []

    def inline(self, depth: int, name: str, data: bytes | memoryview) -> None:
        """``<name>data</name>`` on one line, ``data`` spliced in without a copy or escaping."""
        self.flush()
        self.parts.append(f"{'  ' * depth}<{name}>".encode("ascii"))
        self.parts.append(data)
        self.parts.append(f"</{name}>\n".encode("ascii"))

    def result(self) -> bytes:
        self.flush()
        return b"".join(self.parts)


def _organization(out: _Out, depth: int, tag: str, org: Organization, path: str) -> None:
    out.line(depth, f"<{P}{tag}>")
    d = depth + 1
    out.leaf(d, "OrganId", org.organ_id, path)
    out.leaf(d, "OrganizationInCharge", org.organization_in_charge, path)
    out.leaf(d, "OrganName", org.organ_name, path)
    out.leaf(d, "OrganAdd", org.organ_add, path)
    out.leaf(d, "Email", org.email, path)
    out.leaf(d, "Telephone", org.telephone, path)
    out.leaf(d, "Fax", org.fax, path)
    out.leaf(d, "Website", org.website, path)
    out.line(depth, f"</{P}{tag}>")


def _staff(out: _Out, depth: int, staff: StaffInfo | None, path: str) -> None:
    if staff is None:
        return
    out.group(
        depth,
        "StaffInfo",
        [
            ("Department", staff.department),
            ("Staff", staff.staff),
            ("Email", staff.email),
            ("Mobile", staff.mobile),
        ],
        path,
    )


def _response_for(out: _Out, depth: int, rf: ResponseFor, path: str) -> None:
    out.group(
        depth,
        "ResponseFor",
        [
            ("OrganId", rf.organ_id),
            ("Code", rf.code),
            ("PromulgationDate", rf.promulgation_date),
            ("DocumentId", rf.document_id),
        ],
        path,
    )


def _list(
    out: _Out, depth: int, outer: str, inner: str, items: Iterable[str] | None, path: str
) -> None:
    if items is None:
        return
    out.line(depth, f"<{P}{outer}>")
    for item in items:
        out.leaf(depth + 1, inner, item, f"{path}/{outer}")
    out.line(depth, f"</{P}{outer}>")


def _document_header(out: _Out, h: DocumentHeader) -> None:
    d, mh = 4, "MessageHeader"
    _organization(out, d, "From", h.from_, f"{mh}/From")
    for i, to in enumerate(h.to, 1):
        _organization(out, d, "To", to, f"{mh}/To[{i}]")
    out.leaf(d, "DocumentId", h.document_id, mh)
    if (code := h.code) is not None:
        out.group(
            d,
            "Code",
            [("CodeNumber", code.code_number), ("CodeNotation", code.code_notation)],
            f"{mh}/Code",
        )
    if (prom := h.promulgation) is not None:
        out.group(
            d,
            "PromulgationInfo",
            [("Place", prom.place), ("PromulgationDate", prom.promulgation_date)],
            f"{mh}/PromulgationInfo",
        )
    if (dtype := h.document_type) is not None:
        out.group(
            d,
            "DocumentType",
            [
                ("Type", dtype.type),
                ("TypeDetail", dtype.type_detail),
                ("TypeName", dtype.type_name),
            ],
            f"{mh}/DocumentType",
        )
    out.leaf(d, "Subject", h.subject, mh)
    out.leaf(d, "Content", h.content, mh)
    if (signer := h.signer) is not None:
        out.group(
            d,
            "SignerInfo",
            [
                ("Competence", signer.competence),
                ("Position", signer.position),
                ("FullName", signer.full_name),
            ],
            f"{mh}/SignerInfo",
        )
    out.leaf(d, "DueDate", h.due_date, mh)
    _list(out, d, "ToPlaces", "Place", h.to_places, mh)
    if (other := h.other) is not None:
        out.line(d, f"<{P}OtherInfo>")
        p = f"{mh}/OtherInfo"
        out.leaf(d + 1, "Priority", other.priority, p)
        out.leaf(d + 1, "SphereOfPromulgation", other.sphere_of_promulgation, p)
        out.leaf(d + 1, "TyperNotation", other.typer_notation, p)
        out.leaf(d + 1, "PromulgationAmount", other.promulgation_amount, p)
        out.leaf(d + 1, "PageAmount", other.page_amount, p)
        out.leaf(d + 1, "Direction", other.direction, p)
        _list(out, d + 1, "Appendixes", "Appendix", other.appendixes, p)
        out.line(d, f"</{P}OtherInfo>")
    for i, rf in enumerate(h.response_for, 1):
        _response_for(out, d, rf, f"{mh}/ResponseFor[{i}]")
    out.leaf(d, "SteeringType", h.steering_type, mh)


def _business(out: _Out, depth: int, b: Business) -> None:
    path = "TraceHeaderList/Bussiness"
    out.line(depth, f"<{P}Bussiness>")
    d = depth + 1
    out.leaf(d, "DocumentId", b.document_id, path)
    out.leaf(d, "BussinessDocType", b.doc_type, path)
    out.leaf(d, "BussinessDocReason", b.reason, path)
    out.leaf(d, "Paper", b.paper, path)
    if (info := b.document_info) is not None:
        out.line(d, f"<{P}BussinessDocumentInfo>")
        out.leaf(d + 1, "DocumentInfo", info.document_info, path)
        out.leaf(d + 1, "DocumentReceiver", info.document_receiver, path)
        if info.receivers is not None:
            out.line(d + 1, f"<{P}ReceiverList>")
            for receiver in info.receivers:
                out.line(d + 2, f"<{P}Receiver>")
                out.leaf(d + 3, "OrganId", receiver.organ_id, path)
                out.leaf(d + 3, "ReceiverType", receiver.receiver_type, path)
                out.line(d + 2, f"</{P}Receiver>")
            out.line(d + 1, f"</{P}ReceiverList>")
        out.line(d, f"</{P}BussinessDocumentInfo>")
    if b.replacements is not None:
        out.line(d, f"<{P}ReplacementInfoList>")
        for rep in b.replacements:
            out.line(d + 1, f"<{P}ReplacementInfo>")
            out.leaf(d + 2, "DocumentId", rep.document_id, path)
            _list(out, d + 2, "OrganIdList", "OrganId", rep.organ_ids, path)
            out.line(d + 1, f"</{P}ReplacementInfo>")
        out.line(d, f"</{P}ReplacementInfoList>")
    _staff(out, d, b.staff, f"{path}/StaffInfo")
    out.line(depth, f"</{P}Bussiness>")


def _traces(out: _Out, traces: list[TraceEntry]) -> None:
    for i, trace in enumerate(traces, 1):
        path = f"TraceHeaderList/TraceHeader[{i}]"
        out.line(4, f"<{P}TraceHeader>")
        out.leaf(5, "OrganId", trace.organ_id, path)
        out.leaf(5, "Timestamp", trace.timestamp, path)
        out.line(4, f"</{P}TraceHeader>")


def _open(out: _Out) -> None:
    out.line(0, '<?xml version="1.0" encoding="UTF-8"?>')
    out.line(0, f'<edXML xmlns="{QCVN_NS}">')
    out.line(1, f'<{P}edXMLEnvelope xmlns:edXML="{QCVN_NS}">')
    out.line(2, f"<{P}edXMLHeader>")
    out.line(3, f"<{P}MessageHeader>")


def _document(out: _Out, pkg: DocumentPackage) -> None:
    _open(out)
    _document_header(out, pkg.header)
    out.line(3, f"</{P}MessageHeader>")
    out.line(3, f"<{P}TraceHeaderList>")
    _traces(out, pkg.traces)
    if pkg.business is not None:
        _business(out, 4, pkg.business)
    out.line(3, f"</{P}TraceHeaderList>")
    out.line(2, f"</{P}edXMLHeader>")
    out.line(2, f"<{P}edXMLBody>")
    out.line(3, f'<{P}edXMLManifest version="1.0">')
    for i, ref in enumerate(pkg.manifest, 1):
        path = f"edXMLManifest/Reference[{i}]"
        out.line(4, f"<{P}Reference>")
        out.leaf(5, "ContentId", ref.content_id, path)
        out.leaf(5, "ContentType", ref.content_type, path)
        out.leaf(5, "Description", ref.description, path)
        out.leaf(5, "AttachmentName", ref.attachment_name, path)
        out.line(4, f"</{P}Reference>")
    out.line(3, f"</{P}edXMLManifest>")
    out.line(2, f"</{P}edXMLBody>")
    out.line(1, f"</{P}edXMLEnvelope>")
    # The attachments are a sibling of the envelope, unprefixed in the root's default namespace.
    out.line(1, "<AttachmentEncoded>")
    for i, att in enumerate(pkg.attachments, 1):
        path = f"AttachmentEncoded/Attachment[{i}]"
        out.line(2, "<Attachment>")
        out.leaf(3, "ContentId", att.content_id, path, prefix="")
        out.leaf(3, "AttachmentName", att.attachment_name, path, prefix="")
        out.leaf(3, "Description", att.description, path, prefix="")
        out.leaf(3, "ContentType", att.content_type, path, prefix="")
        payload = att.encoded
        # Only base64 text may be spliced unescaped: anything with markup characters is refused.
        if payload.source.find(b"<", payload.start, payload.end) >= 0 or (
            payload.source.find(b"&", payload.start, payload.end) >= 0
        ):
            raise BuildError(
                "attachment text is not base64", field=f"{path}/ContentTransferEncoded"
            )
        out.inline(3, "ContentTransferEncoded", payload.view())
        out.line(2, "</Attachment>")
    out.line(1, "</AttachmentEncoded>")
    out.line(0, "</edXML>")


def _status(out: _Out, pkg: StatusPackage) -> None:
    _open(out)
    d, mh = 4, "MessageHeader"
    _organization(out, d, "From", pkg.from_, f"{mh}/From")
    if pkg.response_for is not None:
        _response_for(out, d, pkg.response_for, f"{mh}/ResponseFor")
    _staff(out, d, pkg.staff, f"{mh}/StaffInfo")
    out.leaf(d, "StatusCode", pkg.status_code, mh)
    out.leaf(d, "Description", pkg.description, mh)
    out.leaf(d, "Timestamp", pkg.timestamp, mh)
    out.line(3, f"</{P}MessageHeader>")
    if pkg.traces:
        out.line(3, f"<{P}TraceHeaderList>")
        _traces(out, pkg.traces)
        out.line(3, f"</{P}TraceHeaderList>")
    out.line(2, f"</{P}edXMLHeader>")
    out.line(1, f"</{P}edXMLEnvelope>")
    out.line(0, "</edXML>")


def build(package: Package) -> bytes:
    """Emit ``package`` as strict edXML bytes (UTF-8, with declaration, trailing newline)."""
    out = _Out()
    if isinstance(package, StatusPackage):
        _status(out, package)
    else:
        _document(out, package)
    return out.result()
