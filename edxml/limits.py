"""Configurable limits of the hardened reader and of validation.

Defaults follow ``spec/edxml.md`` (lengths seen in a real system, not the standard) and the
provincial rules on attachments (Tuyên Quang 51/2024 Art. 7; Lạng Sơn 2020 Art. 4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

MB = 1024 * 1024

#: Maximum lengths of header fields (spec/edxml.md §2, "plausible maximum lengths").
DEFAULT_MAX_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "CodeNumber": 50,
        "CodeNotation": 50,
        "Subject": 500,
        "Content": 500,
        "DocumentId": 200,
        "Place": 50,
        "TypeName": 100,
        "OrganId": 50,
        "OrganName": 200,
        "OrganizationInCharge": 200,
        "OrganAdd": 250,
        "Email": 100,
        "Telephone": 50,
        "Fax": 50,
        "Website": 100,
        "Description": 2000,
        "BussinessDocReason": 500,
    }
)

#: File extensions accepted for attachments (PDF for signed documents; office, text, images).
DEFAULT_ALLOWED_EXTENSIONS: frozenset[str] = frozenset(
    {
        "pdf", "doc", "docx", "odt", "txt", "rtf", "xls", "xlsx", "ods", "csv",
        "jpg", "jpeg", "png", "gif", "tif", "tiff", "bmp", "zip", "xml", "ppt", "pptx", "odp",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Limits:
    """Byte, depth and size limits; every one is configurable, none is unbounded."""

    max_package_bytes: int = 100 * MB
    max_depth: int = 64
    max_elements: int = 20_000
    max_attachments: int = 100
    max_attachment_bytes: int = 50 * MB
    max_attachment_name_chars: int = 50
    max_header_bytes: int = 5 * MB
    max_lengths: Mapping[str, int] = field(default_factory=lambda: DEFAULT_MAX_LENGTHS)
    allowed_extensions: frozenset[str] = DEFAULT_ALLOWED_EXTENSIONS


DEFAULT_LIMITS = Limits()
