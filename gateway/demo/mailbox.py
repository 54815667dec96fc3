"""A demo document system's in-tray: pull, fetch, read and confirm, as an SDK client would.

Each :meth:`Mailbox.collect` lists what waits for the system (``getReceivedEdocList``), fetches
every item (``getEdoc``), reads it with :func:`edxml.read_package` to know which letter it is
(its edXML ``DocumentId``, or for a status notice the ``ResponseFor`` one and the code), and
confirms it (``updateStatus done``), which is when the document legally enters the system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from connectors.vxp.client import VxpClient
from edxml import BusinessDocType, DocumentPackage, StatusPackage, read_package
from gateway.core.clock import VN_TZ
from gateway.demo.cluster import DemoSystem


@dataclass(frozen=True, slots=True)
class Arrival:
    """One item the system took from its node."""

    copy_id: str  # the docId it pulled and confirmed (its copy at its node)
    local_doc_id: str  # the DocId of the document at its node (``senderDocId`` of the item)
    document_id: str  # the edXML DocumentId (for a status: the one it answers)
    business: int  # BussinessDocType (0 new, 1 revoke…); 0 for a status
    status_code: str | None
    from_code: str | None
    taken_at: datetime  # when the system confirmed it
    #: The package's TraceHeaderList as fetched: (OrganId, time) of every hop, in order.
    traces: tuple[tuple[str, datetime | None], ...] = ()


@dataclass
class Mailbox:
    """What one demo system received, by edXML DocumentId (and status code)."""

    system: DemoSystem
    client: VxpClient
    documents: dict[tuple[str, int], Arrival] = field(default_factory=dict)
    statuses: dict[tuple[str, str], Arrival] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    async def collect(self, kind: str) -> None:
        """Take everything waiting of ``kind`` (``edoc`` or ``status``) and confirm it."""
        for item in await self.client.get_received_edoc_list(kind):
            if item.doc_id in self.seen:
                continue
            data = await self.client.get_edoc(item.doc_id)
            package = read_package(data).package
            await self.client.update_status(item.doc_id, "done")
            self.seen.add(item.doc_id)
            local = item.extra.get("senderDocId")
            local_doc_id = str(local) if local is not None else ""
            taken_at = datetime.now(VN_TZ)
            traces = tuple(
                (t.organ_id or "?", t.timestamp if isinstance(t.timestamp, datetime) else None)
                for t in package.traces
            )
            if isinstance(package, StatusPackage):
                about = package.response_for.document_id if package.response_for else None
                code = str(getattr(package.status_code, "value", package.status_code))
                self.statuses[(about or "", code)] = Arrival(
                    item.doc_id,
                    local_doc_id,
                    about or "",
                    0,
                    code,
                    item.from_code,
                    taken_at,
                    traces,
                )
            elif isinstance(package, DocumentPackage):
                business = package.business.doc_type if package.business else None
                kind_of = int(business) if isinstance(business, int) else int(BusinessDocType.NEW)
                document_id = package.header.document_id or ""
                self.documents[(document_id, kind_of)] = Arrival(
                    item.doc_id,
                    local_doc_id,
                    document_id,
                    kind_of,
                    None,
                    item.from_code,
                    taken_at,
                    traces,
                )

    def document(self, document_id: str, business: int = 0) -> Arrival | None:
        """The arrival of one letter (a revoke is ``business`` 1), if taken."""
        return self.documents.get((document_id, business))

    def status(self, document_id: str, code: str) -> Arrival | None:
        """The arrival of one status notice about ``document_id``, if taken."""
        return self.statuses.get((document_id, code))
