"""The demo's edXML packages: documents, revokes and status notices, built with :mod:`edxml`.

What a document system (iOffice, VOffice…) would send: a signed-off official letter (công văn)
with one PDF attachment, a revoke of it (``BussinessDocType`` 1), and the receiver's status
notices 01 → 03 → 06 (hồi báo, NĐ 30/2020 Art. 21(2)(c)) answering it.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    DocumentCode,
    DocumentHeader,
    DocumentType,
    ManifestReference,
    OtherInfo,
    PromulgationInfo,
    SignerInfo,
    StaffInfo,
)

#: The notation (ký hiệu) of the demo's letters: the provincial People's Committee's office.
NOTATION = "UBND-VP"

#: What the receiver answers, in order, with the description it gives.
STATUS_ANSWERS: tuple[tuple[StatusCode, str], ...] = (
    (StatusCode.INBOX, "Đã đến: văn bản đã vào hệ thống của đơn vị nhận"),
    (StatusCode.ACCEPTED, "Đã tiếp nhận: văn thư đã vào sổ văn bản đến"),
    (StatusCode.FINISHED, "Hoàn thành: đã xử lý xong văn bản"),
)

#: Short names of the status codes the demo prints.
STATUS_NAMES = {
    "01": "đã đến (arrived)",
    "02": "từ chối (rejected)",
    "03": "đã tiếp nhận (registered)",
    "04": "phân công (assigned)",
    "05": "đang xử lý (in progress)",
    "06": "hoàn thành (finished)",
    "13": "lấy lại (recalled)",
}


def _pdf(title: str) -> bytes:
    """A one-page PDF whose text is ``title`` (ASCII only, for a readable demo attachment)."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


@dataclass(frozen=True, slots=True)
class Letter:
    """One document the demo sends: who sends it to whom, its number and what it is about."""

    sender: str
    sender_name: str
    to: str
    to_name: str
    number: str
    subject: str
    promulgated: date
    priority: Priority = Priority.THUONG
    revokes: str | None = None  # the edXML DocumentId of the document this one revokes

    @property
    def document_id(self) -> str:
        """The edXML ``DocumentId``: ``sender,yyyy/MM/dd,number/notation`` (QCVN 102 §6)."""
        return f"{self.sender},{self.promulgated:%Y/%m/%d},{self.number}/{NOTATION}"

    @property
    def notation(self) -> str:
        """``số/ký hiệu`` as printed on the letter."""
        return f"{self.number}/{NOTATION}"


def document_package(letter: Letter, now: datetime) -> bytes:
    """The letter as a strict edXML package, with the sender's own trace entry."""
    header = DocumentHeader(
        from_=Organization(letter.sender, letter.sender_name),
        to=[Organization(letter.to, letter.to_name)],
        document_id=letter.document_id,
        code=DocumentCode(letter.number, NOTATION),
        promulgation=PromulgationInfo("Cao Bằng", letter.promulgated),
        document_type=DocumentType("2", None, "Công văn"),
        subject=letter.subject,
        signer=SignerInfo("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn Ánh"),
        other=OtherInfo(priority=letter.priority),
    )
    business = Business(doc_type=BusinessDocType.NEW, paper="0")
    if letter.revokes is not None:
        business = Business(
            doc_type=BusinessDocType.REVOKE,
            reason="Văn bản ban hành nhầm, đề nghị thu hồi",
            document_id=letter.revokes,
            paper="0",
        )
    name = f"{letter.number}-{NOTATION}.pdf"
    package = DocumentPackage(
        header=header,
        traces=[TraceEntry(letter.sender, now.astimezone(VN_TZ))],
        business=business,
        manifest=[ManifestReference("cid:1", "application/pdf", None, name)],
        attachments=[
            Attachment.from_bytes(
                _pdf(f"{letter.notation} - demo"), content_id="cid:1", attachment_name=name
            )
        ],
    )
    return build(package)


def status_package(
    letter: Letter,
    reporter: str,
    reporter_name: str,
    code: StatusCode,
    description: str,
    issued_at: datetime,
) -> bytes:
    """A status notice from ``reporter`` (the receiver) about ``letter``, to its sender."""
    package = StatusPackage(
        from_=Organization(reporter, reporter_name),
        response_for=ResponseFor(
            letter.sender, letter.notation, letter.promulgated, letter.document_id
        ),
        staff=StaffInfo("Văn thư", "Hoàng Thị Mai", "vanthu.demo@example.gov.vn", "0912000001"),
        status_code=code,
        description=description,
        timestamp=issued_at.astimezone(VN_TZ),
    )
    return build(package)
