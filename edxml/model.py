"""Typed model of edXML document and status packages (spec/edxml.md §2–§4).

Parsing is lenient, so a field holds the typed value when the wire text is valid and the raw text
when it is not (``Priority | str``, ``date | str``): validation reports the raw ones with a coded
finding, and building writes them back unchanged, which keeps ``parse(build(m)) == m``.

Absent elements are ``None``; present-but-empty ones are ``""``. Text is stripped of surrounding
white space when read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import IntEnum, StrEnum
from functools import cached_property

from edxml.payload import Payload

#: Vietnam's time zone (Asia/Ho_Chi_Minh): UTC+07:00, no daylight saving time.
VN_TZ = timezone(timedelta(hours=7), "+07:00")
QCVN_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DATE_FORMAT = "%Y/%m/%d"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"
ZIP_MAGIC = b"PK\x03\x04"


class Priority(IntEnum):
    """Độ khẩn: ``OtherInfo/Priority``."""

    THUONG = 0
    KHAN = 1
    THUONG_KHAN = 2
    HOA_TOC = 3
    HOA_TOC_HEN_GIO = 4


class BusinessDocType(IntEnum):
    """``Bussiness/BussinessDocType``: what the package does to a document."""

    NEW = 0
    REVOKE = 1
    UPDATE = 2
    REPLACE = 3


class ReceiverType(IntEnum):
    """``ReceiverList/Receiver/ReceiverType`` of an update."""

    REMOVED = 0
    ADDED = 1


class StatusCode(StrEnum):
    """``StatusCode`` of a status package (hồi báo); 07–12 and 14 are not used."""

    INBOX = "01"
    REJECTED = "02"
    ACCEPTED = "03"
    ASSIGNED = "04"
    PROCESSING = "05"
    FINISHED = "06"
    CANCELLATION = "13"
    CHANGE_ACCEPTED = "15"
    CHANGE_REJECTED = "16"

    @property
    def needs_reason(self) -> bool:
        """02, 13 and 16 must carry a Description (NĐ 30/2020 Art. 21(2)(c))."""
        return self in _REASON_REQUIRED


_REASON_REQUIRED = frozenset(
    {StatusCode.REJECTED, StatusCode.CANCELLATION, StatusCode.CHANGE_REJECTED}
)


class PackageKind(StrEnum):
    """Which of the two package shapes a parsed package has."""

    DOCUMENT = "edoc"
    STATUS = "status"


@dataclass(slots=True)
class Organization:
    """``From`` / ``To``: an agency by its code, with optional contact fields."""

    organ_id: str | None = None
    organ_name: str | None = None
    organization_in_charge: str | None = None
    organ_add: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass(slots=True)
class DocumentCode:
    """``Code``: số (CodeNumber) and ký hiệu (CodeNotation)."""

    code_number: str | None = None
    code_notation: str | None = None


@dataclass(slots=True)
class PromulgationInfo:
    """``PromulgationInfo``: place and signing/issue date."""

    place: str | None = None
    promulgation_date: date | str | None = None


@dataclass(slots=True)
class DocumentType:
    """``DocumentType``: opaque numeric type (no agreed list) and its display name."""

    type: str | None = None
    type_detail: str | None = None
    type_name: str | None = None


@dataclass(slots=True)
class SignerInfo:
    """``SignerInfo``: who signed the document."""

    competence: str | None = None
    position: str | None = None
    full_name: str | None = None


@dataclass(slots=True)
class OtherInfo:
    """``OtherInfo``: priority, sphere, typist, amounts, direction, appendixes."""

    priority: Priority | str | None = None
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: str | None = None
    page_amount: str | None = None
    direction: str | None = None
    appendixes: list[str] | None = None


@dataclass(slots=True)
class ResponseFor:
    """``ResponseFor``: the document this one answers (documents) or concerns (statuses)."""

    organ_id: str | None = None
    code: str | None = None
    promulgation_date: date | str | None = None
    document_id: str | None = None


@dataclass(slots=True)
class StaffInfo:
    """``StaffInfo``: the clerk who handled the package."""

    department: str | None = None
    staff: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass(slots=True)
class TraceEntry:
    """``TraceHeader``: one hop (sender, provincial node, national node…)."""

    organ_id: str | None = None
    timestamp: datetime | str | None = None


@dataclass(slots=True)
class Receiver:
    """``ReceiverList/Receiver`` of an update: a recipient added or removed."""

    organ_id: str | None = None
    receiver_type: ReceiverType | str | None = None


@dataclass(slots=True)
class ReplacementInfo:
    """``ReplacementInfoList/ReplacementInfo``: a replaced document and its recipients."""

    document_id: str | None = None
    organ_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class BusinessDocumentInfo:
    """``BussinessDocumentInfo`` of an update: what changes (metadata, recipients)."""

    document_info: str | None = None
    document_receiver: str | None = None
    receivers: list[Receiver] | None = None


@dataclass(slots=True)
class Business:
    """``Bussiness``: the business operation (new, revoke, update, replace)."""

    doc_type: BusinessDocType | str | None = None
    reason: str | None = None
    document_id: str | None = None
    paper: str | None = None
    staff: StaffInfo | None = None
    document_info: BusinessDocumentInfo | None = None
    replacements: list[ReplacementInfo] | None = None


@dataclass(slots=True)
class ManifestReference:
    """``edXMLManifest/Reference``: how the header describes one attachment."""

    content_id: str | None = None
    content_type: str | None = None
    description: str | None = None
    attachment_name: str | None = None


@dataclass(frozen=True, slots=True)
class InnerFile:
    """A file inside a zipped attachment: name, size and SHA-256, never its content."""

    name: str
    size: int
    sha256: str


@dataclass(eq=False)
class Attachment:
    """``AttachmentEncoded/Attachment``: the transported file, kept base64-encoded.

    ``encoded`` is the base64 text exactly as transported (a zero-copy range of the package
    bytes when read); decoding happens lazily and in chunks, so a 50 MB file is never held twice.
    Equality compares the metadata and the decoded bytes' digest.
    """

    content_id: str | None
    attachment_name: str | None
    description: str | None
    content_type: str | None
    encoded: Payload

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        *,
        content_id: str,
        attachment_name: str,
        content_type: str = "application/pdf",
        description: str | None = None,
    ) -> Attachment:
        """Build an attachment from the file's raw bytes (encodes them as base64)."""
        encoded = Payload.of(base64.b64encode(data))
        return cls(content_id, attachment_name, description, content_type, encoded)

    def iter_decoded(self, chunk_chars: int = 4 * 1024 * 1024) -> Iterator[bytes]:
        """Yield the decoded bytes chunk by chunk (strict base64; raises ``binascii.Error``)."""
        return self.encoded.iter_decoded(chunk_chars)

    @cached_property
    def _digest(self) -> tuple[int, str] | str:
        size = 0
        sha = hashlib.sha256()
        try:
            for chunk in self.iter_decoded():
                size += len(chunk)
                sha.update(chunk)
        except (binascii.Error, ValueError) as exc:
            return str(exc)
        return size, sha.hexdigest()

    def structure_error(self) -> str | None:
        """Cheap structural check of the base64 text (see :meth:`Payload.structure_error`)."""
        return self.encoded.structure_error()

    def decode_error(self) -> str | None:
        """Full strict check of every base64 character (decodes once, in chunks; cached)."""
        digest = self._digest
        return digest if isinstance(digest, str) else None

    @property
    def size(self) -> int | None:
        """Size in bytes of the decoded file as transported (None when not valid base64)."""
        return self.encoded.decoded_size()

    @property
    def sha256(self) -> str | None:
        """SHA-256 (hex) of the decoded bytes as transported (None when not valid base64)."""
        digest = self._digest
        return None if isinstance(digest, str) else digest[1]

    @property
    def is_zip(self) -> bool:
        """True when the decoded bytes are a zip archive (sniffed, whatever ContentType says)."""
        return self.encoded.head_bytes().startswith(ZIP_MAGIC)

    def decode(self) -> bytes:
        """Return the whole decoded file (allocates its full size: prefer ``iter_decoded``)."""
        return b"".join(self.iter_decoded())

    def inner_files(self, max_entries: int = 1000) -> list[InnerFile]:
        """List the files of a zipped attachment with their sizes and SHA-256 digests.

        Reads the archive entry by entry; an entry's content is hashed in chunks and dropped.
        Raises ``zipfile.BadZipFile`` for a damaged archive.
        """
        if not self.is_zip:
            return []
        out: list[InnerFile] = []
        with zipfile.ZipFile(io.BytesIO(self.decode())) as archive:
            for info in archive.infolist()[:max_entries]:
                if info.is_dir():
                    continue
                sha = hashlib.sha256()
                size = 0
                with archive.open(info) as member:
                    while block := member.read(1024 * 1024):
                        size += len(block)
                        sha.update(block)
                out.append(InnerFile(info.filename, size, sha.hexdigest()))
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Attachment):
            return NotImplemented
        return (
            self.content_id == other.content_id
            and self.attachment_name == other.attachment_name
            and self.description == other.description
            and self.content_type == other.content_type
            and self._digest == other._digest
            and (not isinstance(self._digest, str) or self.encoded == other.encoded)
        )

    def __repr__(self) -> str:
        return (
            f"Attachment(content_id={self.content_id!r}, attachment_name={self.attachment_name!r}, "
            f"content_type={self.content_type!r}, encoded_length={len(self.encoded)})"
        )


@dataclass(slots=True)
class DocumentHeader:
    """``MessageHeader`` of a document package (spec/edxml.md §2)."""

    from_: Organization = field(default_factory=Organization)
    to: list[Organization] = field(default_factory=list)
    document_id: str | None = None
    code: DocumentCode | None = None
    promulgation: PromulgationInfo | None = None
    document_type: DocumentType | None = None
    subject: str | None = None
    content: str | None = None
    signer: SignerInfo | None = None
    due_date: date | str | None = None
    to_places: list[str] | None = None
    other: OtherInfo | None = None
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: str | None = None

    @property
    def priority(self) -> Priority:
        """The document's priority; invalid or absent values count as normal (0)."""
        value = self.other.priority if self.other else None
        return value if isinstance(value, Priority) else Priority.THUONG


@dataclass(slots=True)
class DocumentPackage:
    """A document package: header, trace, business operation, manifest and attachments."""

    header: DocumentHeader = field(default_factory=DocumentHeader)
    traces: list[TraceEntry] = field(default_factory=list)
    business: Business | None = None
    manifest: list[ManifestReference] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    kind: PackageKind = field(default=PackageKind.DOCUMENT, init=False)


@dataclass(slots=True)
class StatusPackage:
    """A status package (hồi báo): who reports what about which document (spec/edxml.md §4)."""

    from_: Organization = field(default_factory=Organization)
    response_for: ResponseFor | None = None
    staff: StaffInfo | None = None
    status_code: StatusCode | str | None = None
    description: str | None = None
    timestamp: datetime | str | None = None
    #: Hops that relayed the status (nodes append their own entry, as for documents).
    traces: list[TraceEntry] = field(default_factory=list)
    kind: PackageKind = field(default=PackageKind.STATUS, init=False)


Package = DocumentPackage | StatusPackage
