"""Packages about other packages: revoke/update/replace linked to their original, statuses to
the copy they concern.

Revoke/update/replace are fanned out to every current recipient of the original (domain.md §2);
an update also adds and removes recipients (``DocumentInfo/ReceiverList``). A status is recorded
against the copy it concerns (``STATUS_UNKNOWN_DOCUMENT`` when the node knows no such copy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edxml import BusinessDocType, DocumentPackage, ReceiverType
from gateway.core.accept.checks import clean
from gateway.core.model import DeliveryState, DeliveryView, DocumentRecord
from gateway.core.ports import AcceptUnit
from gateway.core.routing import code_key


@dataclass(frozen=True)
class Link:
    """What a revoke/update/replace found of its original(s)."""

    related: str | None = None  # the original's DocId (the first one for a replace)
    linked: list[str] = field(default_factory=list)  # the original's current copies
    removed: list[str] = field(default_factory=list)  # copies an update removes
    extra: list[str] = field(default_factory=list)  # recipient codes to fan out to


def _targets(pkg: DocumentPackage, business: BusinessDocType) -> list[str]:
    """The edXML DocumentIds a revoke/update/replace names as its original(s)."""
    if business is BusinessDocType.REPLACE and pkg.business and pkg.business.replacements:
        return [t for t in (clean(r.document_id) for r in pkg.business.replacements) if t]
    # The original: Bussiness/DocumentId, else ResponseFor/DocumentId (the SDK's revocation
    # sample), else the package's own DocumentId (producers that reuse it).
    named = [pkg.business.document_id if pkg.business else None]
    named += [rf.document_id for rf in pkg.header.response_for]
    named.append(pkg.header.document_id)
    return [t for t in (clean(n) for n in named) if t]


async def link(
    unit: AcceptUnit, pkg: DocumentPackage, sender_key: str, business: BusinessDocType
) -> Link:
    """Find the original(s) of a revoke/update/replace and the copies it concerns."""
    related: str | None = None
    linked: list[str] = []
    extra: list[str] = []
    copies: list[DeliveryView] = []
    for target in dict.fromkeys(_targets(pkg, business)):
        original = await unit.find_document(sender_key, target)
        if original is None:
            continue
        if related is not None and business is not BusinessDocType.REPLACE:
            break  # revoke/update concern one document: the first named one found
        related = related or original.document_id
        for copy in await unit.deliveries_of(original.document_id):
            if copy.state is DeliveryState.REMOVED:
                continue
            copies.append(copy)
            linked.append(copy.delivery_id)
            extra.append(copy.code)
    removed: list[str] = []
    info = pkg.business.document_info if pkg.business else None
    if business is BusinessDocType.UPDATE and info and info.receivers:
        gone = {
            code_key(r.organ_id or "")
            for r in info.receivers
            if r.receiver_type == ReceiverType.REMOVED
        }
        extra += [r.organ_id or "" for r in info.receivers if r.receiver_type == ReceiverType.ADDED]
        removed = [c.delivery_id for c in copies if code_key(c.code) in gone]
    return Link(related, list(dict.fromkeys(linked)), removed, extra)


async def concerned_copy(
    unit: AcceptUnit, reporter: str, other: str, target: str
) -> tuple[DocumentRecord, DeliveryView] | None:
    """The copy a status is about: a receiver reports on what ``other`` sent it, or (13) the
    sender reports on the copy it sent to ``other``."""
    for sender, recipient in ((other, reporter), (reporter, other)):
        original = await unit.find_document(code_key(sender), target)
        if original is None:
            continue
        key = code_key(recipient)
        for copy in await unit.deliveries_of(original.document_id):
            if code_key(copy.code) == key or code_key(copy.requested_code) == key:
                return original, copy
    return None
