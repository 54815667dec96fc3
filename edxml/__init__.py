"""edXML packages (QCVN 102:2016 as used on the axes): parse, validate, build, trace, sign.

Parse leniently, emit strictly. Everything here is pure (no I/O beyond the CLI, no framework):

- :func:`parse` / :func:`read_package`: bytes → typed model, through the hardened reader;
- :func:`validate`: model → coded findings (:class:`Finding`);
- :func:`build`: model → strict edXML bytes (the shipped XSD's layout);
- :func:`append_trace`: add the node's ``TraceHeader`` without touching any other byte;
- :func:`classify` / :func:`sign_package`: XML signatures (see :mod:`edxml.signature`).
"""

from edxml.errors import (
    BuildError,
    EdxmlError,
    EncodingRejected,
    Finding,
    ForbiddenConstruct,
    NotEdxml,
    PackageRejected,
    Severity,
    SignatureError,
    TooLarge,
)
from edxml.limits import DEFAULT_LIMITS, Limits
from edxml.model import (
    VN_TZ,
    Attachment,
    Business,
    BusinessDocType,
    DocumentHeader,
    DocumentPackage,
    Organization,
    Package,
    PackageKind,
    Priority,
    ReceiverType,
    ResponseFor,
    StatusCode,
    StatusPackage,
    TraceEntry,
)
from edxml.payload import Payload
from edxml.reader import ParsedPackage, parse, read_package
from edxml.trace import append_trace
from edxml.validate import DEFAULT_POLICY, Policy, has_errors, validate
from edxml.writer import build

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_POLICY",
    "VN_TZ",
    "Attachment",
    "BuildError",
    "Business",
    "BusinessDocType",
    "DocumentHeader",
    "DocumentPackage",
    "EdxmlError",
    "EncodingRejected",
    "Finding",
    "ForbiddenConstruct",
    "Limits",
    "NotEdxml",
    "Organization",
    "Package",
    "PackageKind",
    "PackageRejected",
    "ParsedPackage",
    "Payload",
    "Policy",
    "Priority",
    "ReceiverType",
    "ResponseFor",
    "Severity",
    "SignatureError",
    "StatusCode",
    "StatusPackage",
    "TooLarge",
    "TraceEntry",
    "append_trace",
    "build",
    "has_errors",
    "parse",
    "read_package",
    "validate",
]
