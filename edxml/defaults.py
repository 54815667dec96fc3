"""Fields a sender's package must carry that can be derived from the rest of it.

spec/edxml.md §2–§4: the axes require a ``DocumentId`` and the sender's own ``TraceHeader`` on
every document, and a ``Timestamp`` on every status. The canonical ``DocumentId`` is a function
of the header (``<From/OrganId>,<yyyy/MM/dd>,<CodeNumber>/<CodeNotation>``), the sender's trace
entry is its OrganId with the time it builds the package, and a status's time is when it is
built: a builder (``python -m edxml build``) fills them when, and only when, they are absent.
"""

from __future__ import annotations

from datetime import date, datetime

from edxml.model import DocumentHeader, Package, StatusPackage, TraceEntry


def canonical_document_id(header: DocumentHeader) -> str | None:
    """The canonical ``DocumentId`` of a document header, e.g.
    ``000.00.00.G22,2015/09/30,7816/VPCP-TTĐT`` (spec/edxml.md §2).

    None when a part is missing: ``From/OrganId``, a valid ``PromulgationDate``, ``CodeNumber``
    or ``CodeNotation``.
    """
    organ = header.from_.organ_id
    promulgated = header.promulgation.promulgation_date if header.promulgation else None
    number = header.code.code_number if header.code else None
    notation = header.code.code_notation if header.code else None
    if not organ or not isinstance(promulgated, date) or not number or not notation:
        return None
    return f"{organ},{promulgated:%Y/%m/%d},{number}/{notation}"


def _absent(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def fill_defaults(package: Package, now: datetime) -> list[str]:
    """Fill what a sender's package lacks and can derive, in place; return the fields filled.

    Only absent (or blank) fields are filled; a field that is present is never touched:

    - document ``MessageHeader/DocumentId``: :func:`canonical_document_id`, when derivable;
    - document ``TraceHeaderList/TraceHeader``, when the list is empty: one entry for
      ``From/OrganId`` at ``now`` (the sender is the first hop, spec/edxml.md §3);
    - status ``MessageHeader/Timestamp``: ``now``.

    ``now`` must be timezone-aware (it is written in +07:00). Raises ``ValueError`` otherwise.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    filled: list[str] = []
    if isinstance(package, StatusPackage):
        if _absent(package.timestamp):
            package.timestamp = now
            filled.append("MessageHeader/Timestamp")
        return filled
    header = package.header
    if _absent(header.document_id) and (derived := canonical_document_id(header)) is not None:
        header.document_id = derived
        filled.append("MessageHeader/DocumentId")
    sender = header.from_.organ_id
    if not package.traces and not _absent(sender):
        package.traces = [TraceEntry(sender, now)]
        filled.append("TraceHeaderList/TraceHeader")
    return filled
