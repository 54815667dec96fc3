"""Builders of edXML packages for the exchange tests (documents, statuses, revoke/update)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from edxml import (
    VN_TZ,
    Attachment,
    Business,
    BusinessDocType,
    DocumentPackage,
    Organization,
    Priority,
    ResponseFor,
    StatusCode,
    StatusPackage,
    TraceEntry,
    build,
)
from edxml.model import (
    BusinessDocumentInfo,
    DocumentCode,
    DocumentHeader,
    DocumentType,
    ManifestReference,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReceiverType,
    SignerInfo,
    StaffInfo,
)

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def document(
    sender: str = "000.00.00.H14",
    to: tuple[str, ...] = ("000.00.00.H41",),
    *,
    number: str | None = None,
    notation: str = "UBND-VP",
    promulgated: date = date(2026, 11, 20),
    priority: Priority = Priority.THUONG,
    business: BusinessDocType = BusinessDocType.NEW,
    target: str | None = None,
    receivers: tuple[tuple[str, ReceiverType], ...] = (),
    document_id: str | None = None,
    subject: str = "V/v triển khai trục liên thông văn bản điện tử",
    due: date | None = None,
) -> bytes:
    """A valid document package; ``number`` defaults to a fresh one (a new document)."""
    number = number or str(uuid.uuid4().int % 10**6)
    doc_id = document_id or f"{sender},{promulgated:%Y/%m/%d},{number}/{notation}"
    header = DocumentHeader(
        from_=Organization(sender, "UBND tỉnh Cao Bằng"),
        to=[Organization(code, f"Đơn vị {code}") for code in to],
        document_id=doc_id,
        code=DocumentCode(number, notation),
        promulgation=PromulgationInfo("Cao Bằng", promulgated),
        document_type=DocumentType("2", None, "Công văn"),
        subject=subject,
        signer=SignerInfo("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn Ánh"),
        other=OtherInfo(priority=priority),
        due_date=due,
    )
    info = None
    if receivers:
        info = BusinessDocumentInfo("0", "1", [Receiver(code, kind) for code, kind in receivers])
    pkg = DocumentPackage(
        header=header,
        traces=[TraceEntry(sender, datetime(2026, 11, 20, 9, 15, tzinfo=VN_TZ))],
        business=Business(
            doc_type=business, reason="test", document_id=target, paper="0", document_info=info
        ),
        manifest=[ManifestReference("cid:1", "application/pdf", None, "vanban.pdf")],
        attachments=[Attachment.from_bytes(PDF, content_id="cid:1", attachment_name="vanban.pdf")],
    )
    return build(pkg)


def edxml_id(data: bytes) -> str:
    """The DocumentId of a built package."""
    start = data.index(b"<edXML:DocumentId>") + len(b"<edXML:DocumentId>")
    return data[start : data.index(b"<", start)].decode()


def status(
    code: str,
    *,
    reporter: str = "000.00.00.H41",
    sender: str = "000.00.00.H14",
    document_id: str,
    description: str | None = "Đã đến",
    timestamp: datetime | None = None,
) -> bytes:
    """A status package from ``reporter`` about ``document_id`` sent by ``sender``, issued at
    ``timestamp`` (default 10:00:05 on 20 Nov 2026)."""
    pkg = StatusPackage(
        from_=Organization(reporter, f"Đơn vị {reporter}"),
        response_for=ResponseFor(sender, "1/UBND-VP", date(2026, 11, 20), document_id),
        staff=StaffInfo("Văn thư", "Trần Thị Bình", "vanthu@example.gov.vn", "0912000001"),
        status_code=StatusCode(code),
        description=description,
        timestamp=timestamp or datetime(2026, 11, 20, 10, 0, 5, tzinfo=VN_TZ),
    )
    return build(pkg)
