"""What a send carries, what the node's settings decide about it, and what the checks found."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from edxml import DocumentPackage, Finding, Limits, Policy, StatusPackage
from edxml.signature import SignaturePolicy, SignatureVerdict
from edxml.trust import TrustStore
from gateway.core.model import AttachmentInfo, MessageType, System


@dataclass(frozen=True)
class AcceptConfig:
    """What the node's settings decide about accepting packages."""

    node_id: str
    limits: Limits = field(default_factory=Limits)
    policy: Policy = field(default_factory=Policy)
    signature_policy: SignaturePolicy = field(default_factory=SignaturePolicy)
    trust: TrustStore | None = None
    #: A provincial node's level-1 code(s) (``H14``): what lies outside goes to ``upstream``.
    province: tuple[str, ...] = ()
    #: A provincial node with an upstream (national) node to forward to.
    upstream: bool = False
    #: A national node: codes unknown to its registry still go to the node owning their subtree.
    national: bool = False


@dataclass(frozen=True)
class SendRequest:
    """One send: the package bytes and what the caller said about them."""

    data: bytes
    messagetype: MessageType
    from_code: str | None = None
    to: Sequence[str] | None = None
    request_id: str | None = None
    #: Pulled from the upstream node: the item's DocId there (one copy per item).
    origin_doc_id: str | None = None
    #: SHA-256 (hex) of exactly ``data``, when the API layer computed it already (the VXP
    #: ``hash-file`` check): the accept does not hash the package a second time.
    sha256: str | None = None


@dataclass(frozen=True)
class Checked:
    """A package that passed the checks done before the transaction (CPU-bound ones)."""

    package: DocumentPackage | StatusPackage
    notes: list[Finding]  # warnings kept on the document
    attachments: tuple[AttachmentInfo, ...]
    verdict: Callable[[], SignatureVerdict]  # the signature class, computed on demand


@dataclass(frozen=True)
class Incoming:
    """Everything the plans need about one new package (one value instead of a dozen
    positional arguments)."""

    caller: System
    request: SendRequest
    sender_code: str
    document_id: str
    now: datetime
    sha256: str
    verdict: SignatureVerdict
    notes: list[Finding]
    dedup_key: str | None
    attachments: tuple[AttachmentInfo, ...]
