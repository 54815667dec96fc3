"""The exchange benchmark's workload: agencies, connected systems and the packages they send.

Senders are ``H14.NN``/``000.00.NN.H14`` (Cao Bằng), receivers ``H41.NN``/``000.00.NN.H41``
(Nghệ An), added to the bundled registry and marked demo. A document package has a ~5.6 KB header
and one incompressible 100 KB PDF (138.9 KB on the wire), one recipient; a status package is
status 01 (``Đã đến``), 1.2 KB. Every package is distinct (own ``DocumentId`` and number).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from placeholder import with_placeholder

from edxml import (
    VN_TZ,
    Attachment,
    Business,
    BusinessDocType,
    DocumentHeader,
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
    DocumentType,
    ManifestReference,
    OtherInfo,
    PromulgationInfo,
    SignerInfo,
    StaffInfo,
)

KB = 1024
#: Parents of the benchmark's agencies: senders are H14.NN (Cao Bằng), receivers H41.NN (Nghệ An).
SENDER_PARENT, RECEIVER_PARENT = "H14", "H41"
#: NN runs from 01 to 89 (H14.91… and H41.91… are demo codes of the bundled registry).
MAX_CHILDREN = 89
PROMULGATED = date(2026, 11, 20)
NOTATION = "UBND-VP"
DOC_ID_OPEN, DOC_ID_CLOSE = b"<edXML:DocumentId>", b"</edXML:DocumentId>"


@dataclass(frozen=True)
class Party:
    """One connected system acting for one agency (exact-code grant)."""

    system_id: str
    secret: str
    code: str  # QCVN 102 form, as sent in From/OrganId and To/OrganId
    short: str  # QĐ 20 form (H14.01)
    name: str


def party(role: str, parent: str, number: int) -> Party:
    return Party(
        system_id=f"bench-{role}{number:02d}",
        secret=secrets.token_urlsafe(24),
        code=f"000.00.{number:02d}.{parent}",
        short=f"{parent}.{number:02d}",
        name=f"[BENCH] {'Đơn vị gửi' if role == 's' else 'Đơn vị nhận'} số {number:02d}",
    )


def registry_csv(parties: Iterable[Party]) -> str:
    """The bundled registry plus the benchmark's agencies (level 2, marked demo)."""
    from identifiers import Registry

    lines = Registry.load_default().to_csv_text().rstrip("\n").split("\n")
    for p in parties:
        parent = p.short.split(".")[0]
        lines.append(f"{p.short},{p.code},{p.name},{parent},2,,,,active,,,,true,benchmark only,")
    return "\n".join(lines) + "\n"


def pdf_bytes(size: int, seed: int) -> bytes:
    """A PDF-looking file of exactly ``size`` bytes (incompressible body, like a scanned PDF)."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\nstream\n"
    tail = b"\nendstream\n%%EOF\n"
    return head + random.Random(seed).randbytes(size - len(head) - len(tail)) + tail  # noqa: S311


CONTENT = (
    "Thực hiện Quyết định số 28/2018/QĐ-TTg của Thủ tướng Chính phủ về việc gửi, nhận văn bản "
    "điện tử giữa các cơ quan trong hệ thống hành chính nhà nước, Ủy ban nhân dân tỉnh đề nghị "
    "các cơ quan, đơn vị gửi, nhận văn bản điện tử có ký số qua Trục liên thông văn bản quốc gia "
    "và cập nhật trạng thái xử lý kịp thời."
)
PLACES = (
    "Như trên",
    "Văn phòng Chính phủ",
    "Bộ Thông tin và Truyền thông",
    "Chủ tịch, các Phó Chủ tịch UBND tỉnh",
    "Các sở, ban, ngành tỉnh",
    "UBND các huyện, thành phố",
    "Lưu: VT, KSTT",
)


def document_package(
    sender: Party, receiver: Party, number: str, attachment: bytes
) -> tuple[bytes, str]:
    """A new-document package of ~5 KB of header and one PDF, to one recipient; (bytes, edXML id).

    The header is sized like the edXML benchmark's: sender with contact fields, Vietnamese subject
    and content, signer, due date, seven ``ToPlaces``, trace, ``Bussiness`` with staff,
    manifest and the SDK placeholder signature; ``To`` names only ``receiver``, so one package is
    one copy.
    """
    document_id = f"{sender.code},{PROMULGATED:%Y/%m/%d},{number}/{NOTATION}"
    header = DocumentHeader(
        from_=Organization(
            sender.code,
            sender.name,
            organ_add="Số 011 Hoàng Đình Giong, thành phố Cao Bằng",
            email="vanthu@caobang.gov.vn",
        ),
        to=[Organization(receiver.code, receiver.name)],
        document_id=document_id,
        code=DocumentCode(number, NOTATION),
        promulgation=PromulgationInfo("Cao Bằng", PROMULGATED),
        document_type=DocumentType("2", "0", "Công văn"),
        subject="V/v triển khai liên thông văn bản điện tử qua Trục liên thông văn bản quốc gia",
        content=CONTENT,
        signer=SignerInfo("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn Ánh"),
        due_date=date(2026, 12, 31),
        to_places=list(PLACES),
        other=OtherInfo(
            priority=Priority.THUONG,
            page_amount="3",
            promulgation_amount="12",
        ),
        steering_type="1",
    )
    name = f"{number}-{NOTATION}.pdf"
    pkg = DocumentPackage(
        header=header,
        traces=[TraceEntry(sender.code, datetime(2026, 11, 20, 9, 15, 0, tzinfo=VN_TZ))],
        business=Business(
            doc_type=BusinessDocType.NEW,
            reason="Văn bản điện tử mới",
            paper="0",
            staff=StaffInfo("Văn thư", "Hoàng Thị Thu Hà"),
        ),
        manifest=[ManifestReference("cid:1", "application/pdf", f"Công văn số {number}", name)],
        attachments=[Attachment.from_bytes(attachment, content_id="cid:1", attachment_name=name)],
    )
    return with_placeholder(build(pkg)), document_id


def status_package(reporter: Party, sender: Party, number: str, document_id: str) -> bytes:
    """Status 01 (đã đến) from ``reporter`` about the document ``sender`` sent it."""
    pkg = StatusPackage(
        from_=Organization(reporter.code, reporter.name),
        response_for=ResponseFor(sender.code, f"{number}/{NOTATION}", PROMULGATED, document_id),
        staff=StaffInfo("Văn thư", "Trần Thị Bình", "vanthu@nghean.gov.vn", "0912000001"),
        status_code=StatusCode("01"),
        description="Đã đến",
        timestamp=datetime(2026, 11, 20, 10, 0, 5, tzinfo=VN_TZ),
    )
    return build(pkg)


def edxml_id(data: bytes) -> str:
    """The first ``DocumentId`` of a package: the document's own, or a status's ResponseFor one."""
    start = data.index(DOC_ID_OPEN) + len(DOC_ID_OPEN)
    return data[start : data.index(DOC_ID_CLOSE, start)].decode()


@dataclass
class Doc:
    """One package of a phase and what happened to it (wall-clock seconds)."""

    edxml_id: str
    sender: Party
    receiver: Party
    data: bytes
    status: bytes
    sent_at: float = 0.0
    answered_at: float = 0.0
    doc_id: str = ""
    seen_at: float = 0.0
    done_at: float = 0.0


def make_docs(
    tag: str, count: int, senders: Sequence[Party], receivers: Sequence[Party], attachment: bytes
) -> list[Doc]:
    """``count`` distinct packages, senders and receivers round-robin (receiver = n mod M)."""
    docs = []
    for n in range(count):
        sender, receiver = senders[n % len(senders)], receivers[n % len(receivers)]
        number = f"{tag}{n + 1}"
        data, doc_id = document_package(sender, receiver, number, attachment)
        docs.append(
            Doc(doc_id, sender, receiver, data, status_package(receiver, sender, number, doc_id))
        )
    return docs
