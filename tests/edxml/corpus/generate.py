"""Regenerate the hand-made edXML corpus (valid, invalid, attack, realworld folders).

Run from the project root: ``.venv/bin/python tests/edxml/corpus/generate.py``. The files are
committed; this script documents how each was made. File names carry the expectation:
``<name>__<CODE>.edxml`` means validation (or reading) must report ``CODE`` as an error;
files in ``valid/`` and ``realworld/`` must validate without errors.
"""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

from edxml.model import (
    VN_TZ,
    Attachment,
    Business,
    BusinessDocType,
    DocumentCode,
    DocumentHeader,
    DocumentPackage,
    DocumentType,
    ManifestReference,
    Organization,
    OtherInfo,
    Priority,
    PromulgationInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusPackage,
    TraceEntry,
)
from edxml.writer import build

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parents[2].parent / "shared" / "data" / "edxml" / "sdk-samples"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buf.getvalue()


def document(**changes: object) -> DocumentPackage:
    header = DocumentHeader(
        from_=Organization("000.00.00.H14", "UBND tỉnh Cao Bằng", email="vanthu@caobang.gov.vn"),
        to=[
            Organization("000.00.00.H41", "UBND tỉnh Nghệ An"),
            Organization("G12", "Bộ Tài chính"),
        ],
        document_id="000.00.00.H14,2026/11/20,1234/UBND-VP",
        code=DocumentCode("1234", "UBND-VP"),
        promulgation=PromulgationInfo("Cao Bằng", date(2026, 11, 20)),
        document_type=DocumentType("2", None, "Công văn"),
        subject="V/v triển khai trục liên thông văn bản điện tử năm 2026",
        content="Ủy ban nhân dân tỉnh đề nghị các đơn vị phối hợp thực hiện.",
        signer=SignerInfo("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Nguyễn Văn Ánh"),
        due_date=date(2026, 12, 31),
        to_places=["Như trên", "Lưu: VT"],
        other=OtherInfo(priority=Priority.THUONG, promulgation_amount="5", page_amount="2"),
        steering_type="0",
    )
    pdf = Attachment.from_bytes(PDF, content_id="cid:1", attachment_name="1234-UBND-VP.pdf")
    pkg = DocumentPackage(
        header=header,
        traces=[TraceEntry("000.00.00.H14", datetime(2026, 11, 20, 9, 15, 0, tzinfo=VN_TZ))],
        business=Business(doc_type=BusinessDocType.NEW, reason="Văn bản mới", paper="0"),
        manifest=[ManifestReference("cid:1", "application/pdf", None, "1234-UBND-VP.pdf")],
        attachments=[pdf],
    )
    for key, value in changes.items():
        setattr(pkg, key, value)
    return pkg


def status(code: StatusCode | str, description: str | None = "Đã đến") -> StatusPackage:
    return StatusPackage(
        from_=Organization("000.00.00.H41", "UBND tỉnh Nghệ An"),
        response_for=ResponseFor(
            "000.00.00.H14", "1234/UBND-VP", date(2026, 11, 20),
            "000.00.00.H14,2026/11/20,1234/UBND-VP",
        ),
        staff=StaffInfo("Văn thư", "Trần Thị Bình", "vanthu@nghean.gov.vn", "0912000001"),
        status_code=code,
        description=description,
        timestamp=datetime(2026, 11, 20, 10, 0, 5, tzinfo=VN_TZ),
    )  # fmt: skip


def write(folder: str, name: str, data: bytes) -> None:
    (HERE / folder / f"{name}.edxml").write_bytes(data)


def valid() -> None:
    write("valid", "document-pdf", build(document()))
    urgent = document()
    assert urgent.header.other is not None
    urgent.header.other.priority = Priority.HOA_TOC
    write("valid", "document-urgent-hoa-toc", build(urgent))
    zipped = document()
    zipped.attachments = [
        Attachment(
            "cid:2", "QD-1896.docx", "Quyết định", "application/zip",
            Attachment.from_bytes(_zip("QD-1896.docx", b"PK fake docx " * 200), content_id="x",
                                  attachment_name="x").encoded,
        )
    ]  # fmt: skip
    zipped.manifest = [ManifestReference("cid:2", "application/zip", "Quyết định", "QD-1896.docx")]
    write("valid", "document-zipped-docx", build(zipped))
    revoke = document(
        business=Business(
            BusinessDocType.REVOKE, "Thu hồi do sai sót", "000.00.00.H14,2026/11/19,1200/UBND-VP"
        )
    )
    write("valid", "document-revoke", build(revoke))
    for code in StatusCode:
        reason = "Văn bản gửi nhầm đơn vị" if code.needs_reason else None
        write("valid", f"status-{code.value}", build(status(code, reason)))


def invalid() -> None:
    no_to = document()
    no_to.header.to = []
    write("invalid", "no-recipient__EDXML_REQUIRED", build(no_to))
    bad_priority = document()
    assert bad_priority.header.other is not None
    bad_priority.header.other.priority = "7"
    write("invalid", "priority-7__EDXML_ENUM", build(bad_priority))
    bad_date = document()
    assert bad_date.header.promulgation is not None
    bad_date.header.promulgation.promulgation_date = "20/11/2026"
    write("invalid", "promulgation-date-dmy__EDXML_DATE", build(bad_date))
    long_subject = document()
    long_subject.header.subject = "Trích yếu " * 60
    write("invalid", "subject-too-long__EDXML_LENGTH", build(long_subject))
    write("invalid", "status-02-without-reason__STATUS_REASON_REQUIRED",
          build(status(StatusCode.REJECTED, None)))  # fmt: skip
    write("invalid", "status-07-unused__EDXML_ENUM", build(status("07")))
    diacritics = document()
    diacritics.attachments[0].attachment_name = "Công văn số 1234.pdf"
    diacritics.manifest[0].attachment_name = "Công văn số 1234.pdf"
    write("invalid", "attachment-name-diacritics__EDXML_ATTACHMENT_NAME", build(diacritics))
    exe = document()
    exe.attachments[0].attachment_name = "setup.exe"
    write("invalid", "attachment-exe__EDXML_ATTACHMENT_TYPE", build(exe))
    no_att = document()
    no_att.attachments, no_att.manifest = [], []
    write("invalid", "no-attachment__EDXML_REQUIRED", build(no_att))
    replace = document(business=Business(BusinessDocType.REPLACE, "Thay thế"))
    write("invalid", "replace-without-list__EDXML_REQUIRED", build(replace))


def attack() -> None:
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    ns = b'xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"'
    write(
        "attack",
        "xxe-file__EDXML_DTD",
        head
        + b'<!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<edXML '
        + ns
        + b"><edXMLEnvelope><edXMLHeader><MessageHeader><Subject>&x;</Subject></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>\n",
    )
    write(
        "attack",
        "xxe-network__EDXML_DTD",
        head
        + b'<!DOCTYPE edXML [<!ENTITY x SYSTEM "http://127.0.0.1:9/evil">]>\n<edXML '
        + ns
        + b"><edXMLEnvelope><edXMLHeader><MessageHeader><Subject>&x;</Subject></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>\n",
    )
    write(
        "attack",
        "external-dtd__EDXML_DTD",
        head + b'<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/edxml.dtd">\n<edXML ' + ns + b"/>\n",
    )
    lol = b'<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    write(
        "attack",
        "billion-laughs__EDXML_DTD",
        head
        + b"<!DOCTYPE edXML ["
        + lol
        + b"]>\n<edXML "
        + ns
        + b"><Subject>&lol9;</Subject></edXML>\n",
    )
    big = b"A" * 50_000
    write(
        "attack",
        "quadratic-blowup__EDXML_DTD",
        head
        + b'<!DOCTYPE edXML [<!ENTITY a "'
        + big
        + b'">]>\n<edXML '
        + ns
        + b"><Subject>"
        + b"&a;" * 5_000
        + b"</Subject></edXML>\n",
    )
    write(
        "attack",
        "deep-nesting__EDXML_TOO_DEEP",
        head + b"<edXML " + ns + b">" + b"<a>" * 5_000 + b"</a>" * 5_000 + b"</edXML>\n",
    )
    write(
        "attack",
        "latin1__EDXML_ENCODING",
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<edXML '
        + ns
        + b"><Subject>H\xe0 N\xf4i</Subject></edXML>\n",
    )
    write(
        "attack",
        "utf16__EDXML_ENCODING",
        '<?xml version="1.0" encoding="UTF-16"?><edXML/>'.encode("utf-16"),
    )
    write(
        "attack",
        "invalid-utf8__EDXML_ENCODING",
        head + b"<edXML " + ns + b"><Subject>\xc3\x28\xff</Subject></edXML>\n",
    )
    good = build(document())
    start = good.index(b"<ContentTransferEncoded>") + len(b"<ContentTransferEncoded>")
    end = good.index(b"</ContentTransferEncoded>")
    write("attack", "truncated-base64__EDXML_BASE64", good[: end - 3] + good[end:])
    write("attack", "base64-junk__EDXML_BASE64", good[:start] + b"!!!!" + good[start + 4 :])
    write("attack", "truncated-package__EDXML_MALFORMED", good[: len(good) // 2])
    write("attack", "not-edxml__EDXML_NOT_EDXML", head + b"<html><body>hello</body></html>\n")
    write(
        "attack",
        "xinclude__EDXML_FORBIDDEN",
        head
        + b"<edXML "
        + ns
        + b' xmlns:xi="http://www.w3.org/2001/XInclude"><edXMLEnvelope><edXMLHeader><MessageHeader><xi:include href="file:///etc/passwd" parse="text"/></MessageHeader></edXMLHeader></edXMLEnvelope></edXML>\n',
    )
    write(
        "attack",
        "nesting-100__EDXML_TOO_DEEP",
        head + b"<edXML " + ns + b">" + b"<a>" * 100 + b"</a>" * 100 + b"</edXML>\n",
    )
    write(
        "attack",
        "doctype-in-payload-comment__EDXML_DTD",
        good.replace(
            b"<AttachmentEncoded>", b"<!-- <!DOCTYPE x> --><!DOCTYPE y><AttachmentEncoded>", 1
        ),
    )


def realworld() -> None:
    new = (SAMPLES / "edoc_update.edxml").read_bytes()
    # Bussiness before the TraceHeader, DocumentId first: producers differ in order.
    write(
        "realworld",
        "reordered-document-id-first",
        new.replace(
            b"<edXML:From>",
            b"<edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTD</edXML:DocumentId>\n<edXML:From>",
            1,
        ).replace(
            b"<edXML:DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TT\xc4\x90T</edXML:DocumentId>\n      </edXML:MessageHeader>",
            b"</edXML:MessageHeader>",
            1,
        ),
    )
    # ContentId with the cid: prefix in the manifest but not in the attachment.
    write(
        "realworld",
        "cid-prefix-mismatch",
        new.replace(b"<ContentId>cid:209</ContentId>", b"<ContentId>209</ContentId>", 1),
    )
    # UTF-8 byte-order mark before the declaration.
    write("realworld", "utf8-bom", b"\xef\xbb\xbf" + new)
    # No signature at all.
    s0 = new.index(b"<Signature>")
    s1 = new.index(b"</Signature>") + len(b"</Signature>")
    write("realworld", "no-signature", new[:s0] + new[s1:])
    # Raw (unzipped) PDF declared as application/zip by the manifest: trust the encoded part.
    raw_pdf = build(document())
    write("realworld", "manifest-says-zip-raw-pdf", raw_pdf.replace(
        b"<edXML:ContentType>application/pdf</edXML:ContentType>",
        b"<edXML:ContentType>application/zip</edXML:ContentType>", 1))  # fmt: skip
    # Base64 wrapped at 76 columns with CRLF, as MIME encoders do.
    pkg = document()
    pkg.attachments[0].encoded = type(pkg.attachments[0].encoded).of(
        base64.encodebytes(PDF * 40).replace(b"\n", b"\r\n")
    )
    write("realworld", "base64-wrapped-crlf", build(pkg))
    # A character reference inside the payload: legal XML, decoded by the parser (slow path).
    good = build(document())
    start = good.index(b"<ContentTransferEncoded>") + len(b"<ContentTransferEncoded>")
    write(
        "realworld",
        "char-reference-in-payload",
        good[:start] + b"&#" + str(good[start]).encode() + b";" + good[start + 1 :],
    )
    # Status with both code forms and QĐ 20 sender.
    write("realworld", "status-qd20-sender", build(status(StatusCode.ACCEPTED)).replace(
        b"<edXML:OrganId>000.00.00.H41</edXML:OrganId>", b"<edXML:OrganId>H41</edXML:OrganId>", 1))  # fmt: skip


if __name__ == "__main__":
    for folder in ("valid", "invalid", "attack", "realworld"):
        for old in (HERE / folder).glob("*.edxml"):
            old.unlink()
    valid()
    invalid()
    attack()
    realworld()
    print("corpus written to", HERE)
