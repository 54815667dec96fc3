"""Append a node's ``TraceHeader`` to a received package without re-serialising it.

spec/edxml.md §3 and §6: every hop appends its own entry and never rewrites earlier ones; a package
the node forwards keeps every other byte of the original. The new entry is spliced into the
original bytes right after the last existing ``TraceHeader`` (or at the start of an empty
``TraceHeaderList``, or as a new ``TraceHeaderList`` after the ``MessageHeader`` of a package that
has none), written with the prefix that package already uses for that namespace.
"""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

from lxml import etree

from edxml.errors import BuildError, NotEdxml
from edxml.limits import DEFAULT_LIMITS, Limits
from edxml.model import TIMESTAMP_FORMAT, VN_TZ
from edxml.xmlsafe import XmlDocument, local_name, read_xml


def _qname(element: etree._Element) -> str:
    prefix = element.prefix
    name = local_name(element.tag)
    return f"{prefix}:{name}" if prefix else name


def _markup_positions(data: bytes, start: int, end: int, needle: bytes) -> list[int]:
    """Offsets of ``needle`` in ``data[start:end]`` outside comments, CDATA and PIs."""
    found: list[int] = []
    pos = start
    while pos < end:
        lt = data.find(b"<", pos, end)
        if lt < 0:
            break
        if data.startswith(b"<!--", lt):
            close = data.find(b"-->", lt + 4, end)
            pos = end if close < 0 else close + 3
            continue
        if data.startswith(b"<![CDATA[", lt):
            close = data.find(b"]]>", lt + 9, end)
            pos = end if close < 0 else close + 3
            continue
        if data.startswith(b"<?", lt):
            close = data.find(b"?>", lt + 2, end)
            pos = end if close < 0 else close + 2
            continue
        if data.startswith(needle, lt):
            after = data[lt + len(needle) : lt + len(needle) + 1]
            if after in (b">", b" ", b"\t", b"\r", b"\n", b"/"):
                found.append(lt)
        pos = lt + 1
    return found


def _entry(prefix: str, organ_id: str, stamp: str, indent: bytes, newline: bytes) -> bytes:
    p = f"{prefix}:" if prefix else ""
    inner = indent + b"  "
    return b"".join(
        (
            newline + indent,
            f"<{p}TraceHeader>".encode(),
            newline + inner,
            f"<{p}OrganId>{escape(organ_id)}</{p}OrganId>".encode(),
            newline + inner,
            f"<{p}Timestamp>{stamp}</{p}Timestamp>".encode(),
            newline + indent,
            f"</{p}TraceHeader>".encode(),
        )
    )


def _indent_before(data: bytes, pos: int) -> bytes:
    line_start = data.rfind(b"\n", 0, pos) + 1
    run = data[line_start:pos]
    return run if not run.strip() else b""


def append_trace(
    data: bytes,
    organ_id: str,
    timestamp: datetime,
    *,
    limits: Limits = DEFAULT_LIMITS,
    doc: XmlDocument | None = None,
) -> bytes:
    """Return ``data`` with one more ``TraceHeader`` (``organ_id``, ``timestamp`` in +07:00).

    Every byte before and after the inserted entry is the original's. Raises ``BuildError`` for a
    naive timestamp or a package whose header cannot be located unambiguously.
    """
    if timestamp.tzinfo is None:
        raise BuildError("trace timestamp must be timezone-aware", field="TraceHeader/Timestamp")
    if not organ_id or any(ord(ch) < 0x20 for ch in organ_id):
        raise BuildError("trace OrganId must be a non-empty code", field="TraceHeader/OrganId")
    stamp = timestamp.astimezone(VN_TZ).strftime(TIMESTAMP_FORMAT)
    doc = doc if doc is not None else read_xml(data, limits)
    newline = b"\r\n" if b"\r\n" in data[: min(len(data), 4096)] else b"\n"
    limit = doc.header_end

    header = next((el for el in doc.root.iter() if local_name(el.tag) == "edXMLHeader"), None)
    if header is None:
        raise NotEdxml("edXMLHeader is missing", field="/edXML/edXMLEnvelope/edXMLHeader")
    trace_list = next((el for el in header if local_name(el.tag) == "TraceHeaderList"), None)

    if trace_list is not None:
        traces = [el for el in trace_list if local_name(el.tag) == "TraceHeader"]
        if traces:
            qname = _qname(traces[-1]).encode()
            closes = _markup_positions(data, doc.start, limit, b"</" + qname)
            opens = _markup_positions(data, doc.start, limit, b"<" + qname)
            if len(closes) != len(traces) or len(opens) != len(traces):
                raise BuildError(
                    "cannot locate TraceHeader entries unambiguously", field="TraceHeaderList"
                )
            at = data.find(b">", closes[-1]) + 1
            prefix = traces[-1].prefix or ""
            indent = _indent_before(data, opens[-1])
            return data[:at] + _entry(prefix, organ_id, stamp, indent, newline) + data[at:]
        qname = _qname(trace_list).encode()
        opens = _markup_positions(data, doc.start, limit, b"<" + qname)
        if len(opens) != 1:
            raise BuildError("cannot locate TraceHeaderList unambiguously", field="TraceHeaderList")
        tag_end = data.find(b">", opens[0])
        if data[tag_end - 1 : tag_end] == b"/":  # <TraceHeaderList/>: expand it in place
            prefix = trace_list.prefix or ""
            p = f"{prefix}:" if prefix else ""
            indent = _indent_before(data, opens[0])
            body = _entry(prefix, organ_id, stamp, indent + b"  ", newline)
            new = f"<{p}TraceHeaderList>".encode() + body + newline + indent
            new += f"</{p}TraceHeaderList>".encode()
            return data[: opens[0]] + new + data[tag_end + 1 :]
        indent = _indent_before(data, opens[0]) + b"  "
        at = tag_end + 1
        return (
            data[:at]
            + _entry(trace_list.prefix or "", organ_id, stamp, indent, newline)
            + data[at:]
        )

    # No TraceHeaderList (status packages): add one right after the MessageHeader.
    message = next((el for el in header if local_name(el.tag) == "MessageHeader"), None)
    if message is None:
        raise NotEdxml("MessageHeader is missing", field="MessageHeader")
    qname = _qname(message).encode()
    closes = _markup_positions(data, doc.start, limit, b"</" + qname)
    opens = _markup_positions(data, doc.start, limit, b"<" + qname)
    if len(closes) != 1 or len(opens) != 1:
        raise BuildError("cannot locate MessageHeader unambiguously", field="MessageHeader")
    prefix = message.prefix or ""
    p = f"{prefix}:" if prefix else ""
    indent = _indent_before(data, opens[0])
    at = data.find(b">", closes[0]) + 1
    block = newline + indent + f"<{p}TraceHeaderList>".encode()
    block += _entry(prefix, organ_id, stamp, indent + b"  ", newline)
    block += newline + indent + f"</{p}TraceHeaderList>".encode()
    return data[:at] + block + data[at:]
