"""The one hardened XML entry point of the project.

Every byte of XML that reaches the node goes through :func:`read_xml`. It refuses DTDs and
entity declarations before libxml2 sees them, never touches the network, refuses XInclude, and
enforces explicit byte, depth and element-count limits.

Large attachments are *lifted* out before parsing: the base64 text of each
``ContentTransferEncoded`` element is located by a byte scan and replaced with an unforgeable
marker, so libxml2 parses only the (small) header while the payload stays a zero-copy range of
the caller's buffer (:class:`edxml.payload.Payload`). A package whose payloads cannot be lifted
safely (entity references, CDATA, a marker seen somewhere unexpected) is parsed whole instead,
with ``huge_tree`` and the same limits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from edxml.errors import EncodingRejected, ForbiddenConstruct, PackageRejected, TooLarge
from edxml.limits import DEFAULT_LIMITS, Limits
from edxml.payload import Payload

PAYLOAD_TAG = b"ContentTransferEncoded"
_NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.")
_DECL = re.compile(rb"^<\?xml\s[^>]*?\?>")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_UTF8_NAMES = frozenset({b"utf-8", b"utf8"})
_XINCLUDE = "{http://www.w3.org/2001/XInclude}"
#: How many stray bytes before the XML declaration are tolerated (the SDK's ``1212``).
MAX_LEADING_BYTES = 1024


#: tag -> local name. A node sees a few dozen distinct tags, each on every package; the bound
#: keeps hostile packages (any number of invented tags) from growing it.
_LOCAL_NAMES: dict[str, str] = {}
_LOCAL_NAMES_MAX = 4096


def local_name(tag: object) -> str:
    """Return the local name of an lxml tag, ignoring namespace and any undeclared prefix."""
    if not isinstance(tag, str):
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rpartition("}")[2].rpartition(":")[2]
        if len(_LOCAL_NAMES) < _LOCAL_NAMES_MAX:
            _LOCAL_NAMES[tag] = name
    return name


@dataclass(slots=True)
class XmlDocument:
    """A parsed package: the element tree plus the lifted attachment payloads."""

    root: etree._Element
    source: bytes
    #: Byte offset of the document's first ``<`` in ``source`` (stray leading bytes skipped).
    start: int = 0
    #: Non-fatal irregularities the reader tolerated, as (code, message) pairs.
    notes: list[tuple[str, str]] = field(default_factory=list)
    _marker: str = ""
    _spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def lenient_names(self) -> bool:
        """True when undeclared prefixes were tolerated: tags may then be ``prefix:Name``."""
        return any(code == "EDXML_NAMESPACE" for code, _ in self.notes)

    def iter(self, name: str) -> Iterator[etree._Element]:
        """Elements with local name ``name`` in any namespace, in document order."""
        if self.notes and self.lenient_names:
            return (el for el in self.root.iter() if local_name(el.tag) == name)
        return self.root.iter(f"{{*}}{name}")

    def payload(self, element: etree._Element) -> Payload:
        """Return the base64 text of a ``ContentTransferEncoded`` element without copying it."""
        text = element.text or ""
        if self._marker and text.startswith(self._marker):
            begin, end = self._spans[int(text[len(self._marker) :])]
            return Payload(self.source, begin, end)
        return Payload.of(text.encode("utf-8"))

    @property
    def header_end(self) -> int:
        """Offset up to which header markup may lie in ``source`` (the first lifted payload)."""
        return self._spans[0][0] if self._spans else len(self.source)

    @property
    def lifted(self) -> int:
        """How many payloads were lifted out of the parsed tree."""
        return len(self._spans)

    @property
    def marker(self) -> str:
        """The random prefix of the marker texts that stand for lifted payloads ("" if none).

        Payload ``i`` is the text ``f"{marker}{i}"`` in the tree; the marker is drawn after the
        bytes arrived, so no package can contain it by design.
        """
        return self._marker if self._spans else ""

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """``(begin, end)`` offsets in ``source`` of each lifted payload text, in document order."""
        return tuple(self._spans)


def hardened_parser(*, huge: bool, recover: bool = False) -> etree.XMLParser:
    """A new libxml2 parser with the project's hardening (parsers are not thread-safe to share).

    Only for bytes already vetted by :func:`read_xml` (e.g. signxml re-parsing its own
    serialisation of a vetted tree); untrusted bytes go through :func:`read_xml`.
    """
    # No DTD loading, no entity substitution, no network, no id collection: XXE and entity
    # expansion are impossible even if a DOCTYPE slipped past the pre-scan.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge,
        collect_ids=False,
        recover=recover,
    )


def _find_start(data: bytes) -> int:
    if data.startswith(b"\xef\xbb\xbf"):
        return 3
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] in (
        b"\x00\x00\xfe\xff",
        b"\xff\xfe\x00\x00",
    ):
        raise EncodingRejected("package is UTF-16/32 encoded; UTF-8 is required (TCVN 6909:2001)")
    start = data.find(b"<", 0, MAX_LEADING_BYTES + 1)
    if start < 0:
        if b"\x00" in data[:MAX_LEADING_BYTES]:
            raise EncodingRejected("package is not UTF-8 text")
        raise PackageRejected("no XML markup found at the start of the package")
    return start


def _check_declaration(data: bytes, start: int) -> None:
    decl = _DECL.match(data, start, start + 256)
    if decl is None:
        return
    enc = _ENCODING.search(decl.group(0))
    if enc is not None and enc.group(1).lower() not in _UTF8_NAMES:
        raise EncodingRejected(
            f"declared encoding {enc.group(1).decode('ascii')!r}; UTF-8 is required "
            "(TCVN 6909:2001)",
            field="/?xml",
        )


def _find_bang(data: bytes, start: int) -> int:
    """Offset of the next ``<!`` (a one-byte memchr search is far faster than a two-byte one)."""
    pos = data.find(b"!", start + 1)
    while pos >= 0 and data[pos - 1] != 0x3C:
        pos = data.find(b"!", pos + 1)
    return pos - 1 if pos >= 0 else -1


def _check_markup_declarations(view: bytes, start: int) -> None:
    """Refuse DOCTYPE / ENTITY / other ``<!`` declarations before libxml2 parses anything."""
    pos = _find_bang(view, start)
    while pos >= 0:
        head = view[pos + 2 : pos + 9]
        if head.startswith(b"--"):
            end = view.find(b"-->", pos + 4)
            if end < 0:
                raise PackageRejected("unterminated comment")
            pos = _find_bang(view, end + 3)
        elif head.startswith(b"[CDATA"):
            end = view.find(b"]]>", pos + 9)
            if end < 0:
                raise PackageRejected("unterminated CDATA section")
            pos = _find_bang(view, end + 3)
        else:
            what = head.split(b" ")[0].decode("ascii", "replace") or "declaration"
            raise ForbiddenConstruct(
                f"markup declaration <!{what} is not allowed (no DTD, no entities)",
                field="/!DOCTYPE",
                code="EDXML_DTD",
            )


def _qname_before(data: bytes, tag_pos: int) -> tuple[int, bytes] | None:
    """Return (position of '<', qualified name) when ``tag_pos`` starts a start-tag name."""
    i = tag_pos
    prefix_start = i
    if i > 0 and data[i - 1] == 0x3A:  # ':' -> a prefix precedes
        j = i - 1
        while j > 0 and data[j - 1] in _NAME_CHARS and i - j < 64:
            j -= 1
        if j == i - 1:
            return None
        prefix_start = j
    if prefix_start == 0 or data[prefix_start - 1] != 0x3C:  # '<'
        return None
    return prefix_start - 1, data[prefix_start : tag_pos + len(PAYLOAD_TAG)]


def _lift(data: bytes, start: int, marker: str) -> tuple[bytes, list[tuple[int, int]]]:
    """Replace pure-text payloads with numbered markers; return the header bytes and the spans."""
    parts: list[bytes] = []
    spans: list[tuple[int, int]] = []
    copied = start
    pos = data.find(PAYLOAD_TAG, start)
    while pos >= 0:
        found = _qname_before(data, pos)
        after = pos + len(PAYLOAD_TAG)
        nxt = data[after : after + 1]
        if found is None or nxt not in (b">", b" ", b"\t", b"\r", b"\n"):
            pos = data.find(PAYLOAD_TAG, after)
            continue
        _, qname = found
        gt = data.find(b">", after)
        if gt < 0:
            break
        open_tag_rest = data[after:gt]
        if (
            b"<" in open_tag_rest
            or open_tag_rest.endswith(b"/")
            or (open_tag_rest.count(b'"') % 2 or open_tag_rest.count(b"'") % 2)
        ):
            pos = data.find(PAYLOAD_TAG, gt)
            continue
        begin = gt + 1
        lt = data.find(b"<", begin)
        closing = b"</" + qname
        if lt < 0 or not data.startswith(closing, lt):
            pos = data.find(PAYLOAD_TAG, begin)
            continue
        close_end = data.find(b">", lt)
        if close_end < 0 or data[lt + len(closing) : close_end].strip():
            pos = data.find(PAYLOAD_TAG, begin)
            continue
        if data.find(b"&", begin, lt) >= 0:
            # Entity or character references: leave it to libxml2 to decode them.
            pos = data.find(PAYLOAD_TAG, close_end)
            continue
        parts.append(data[copied:begin])
        parts.append(f"{marker}{len(spans)}".encode("ascii"))
        spans.append((begin, lt))
        copied = lt
        pos = data.find(PAYLOAD_TAG, close_end)
    if not spans:
        return data[start:] if start else data, []
    parts.append(data[copied:])
    return b"".join(parts), spans


def _parse(xml: bytes, *, huge: bool, notes: list[tuple[str, str]]) -> etree._Element:
    strict = hardened_parser(huge=huge)
    try:
        return etree.fromstring(xml, strict)
    except etree.XMLSyntaxError as exc:
        # The exception's log may hold older entries of the thread; the parser's is this run's.
        log = list(strict.error_log)
        if not log or any(e.domain_name != "NAMESPACE" for e in log):
            raise _syntax_error(exc) from None
    # Only namespace errors (an undeclared prefix such as the SDK sample's ``xlink:href``):
    # recover, but only if recovery logged nothing but namespace errors.
    parser = hardened_parser(huge=huge, recover=True)
    root = etree.fromstring(xml, parser)
    errors = list(parser.error_log)
    if root is None or any(e.domain_name != "NAMESPACE" for e in errors):
        raise PackageRejected("XML is not well-formed")
    prefixes = sorted(
        {e.message.split(" ")[2] for e in errors if e.message.startswith("Namespace")}
    )
    notes.append(
        ("EDXML_NAMESPACE", f"undeclared namespace prefixes tolerated: {', '.join(prefixes)}")
    )
    return root


def _syntax_error(exc: etree.XMLSyntaxError) -> PackageRejected:
    msg = str(exc)
    if "encoding" in msg.lower() or "utf-8" in msg.lower():
        return EncodingRejected(f"invalid UTF-8: {msg}")
    if "depth" in msg.lower():
        return TooLarge("nesting deeper than the parser allows", code="EDXML_TOO_DEEP")
    if "huge" in msg.lower() or "too long" in msg.lower():
        return TooLarge(f"node too large: {msg}")
    return PackageRejected(f"XML is not well-formed: {msg}")


@lru_cache(maxsize=8)
def _deeper_than(depth: int) -> etree.XPath:
    # True when an element exists at level depth + 1 (the root element is level 1).
    return etree.XPath("boolean(/*" + "/*" * depth + ")")


_COUNT_NODES = etree.XPath("count(//*|//comment()|//processing-instruction())")


#: Fewest bytes an element, comment or processing instruction takes (``<a/>``, ``<?a?>``,
#: ``<!---->``); with entities refused, a document of n bytes holds at most n / 4 such nodes.
_MIN_NODE_BYTES = 4


def _check_shape(root: etree._Element, limits: Limits, parsed_bytes: int) -> None:
    # C-level checks (XPath, tag-filtered iteration): no Python walk over the tree.
    if next(root.iter(f"{_XINCLUDE}*"), None) is not None:
        # Never processed, but refused outright: nothing in edXML needs inclusion.
        raise ForbiddenConstruct("XInclude is not allowed", field="include")
    if _deeper_than(limits.max_depth)(root):
        raise TooLarge(f"nesting deeper than {limits.max_depth} levels", code="EDXML_TOO_DEEP")
    if parsed_bytes // _MIN_NODE_BYTES <= limits.max_elements:
        return  # too few bytes to hold too many nodes: the count cannot exceed the limit
    count = _COUNT_NODES(root)
    if isinstance(count, float) and count > limits.max_elements:
        raise TooLarge(f"more than {limits.max_elements} XML nodes")


def read_xml(
    data: bytes, limits: Limits = DEFAULT_LIMITS, *, lift_payloads: bool = True
) -> XmlDocument:
    """Parse untrusted package bytes into an :class:`XmlDocument`, or raise a coded error.

    With ``lift_payloads`` (the default) attachment payloads stay in ``data`` and are reached
    through :meth:`XmlDocument.payload`; without it the whole document is parsed as is (used by
    signature verification, which must see every byte the signature covers).
    """
    if not isinstance(data, bytes):
        raise TypeError("read_xml() takes bytes")
    if len(data) > limits.max_package_bytes:
        raise TooLarge(
            f"package is {len(data)} bytes; the limit is {limits.max_package_bytes}",
            code="EDXML_TOO_LARGE",
        )
    if not data or data.isspace():
        raise PackageRejected("empty package")
    notes: list[tuple[str, str]] = []
    start = _find_start(data)
    if start > 3 or (start and not data.startswith(b"\xef\xbb\xbf")):
        notes.append(
            ("EDXML_LEADING_BYTES", f"{start} stray bytes before the XML declaration skipped")
        )
    _check_declaration(data, start)

    marker = ""
    spans: list[tuple[int, int]] = []
    if lift_payloads:
        marker = f"@@payload-{secrets.token_hex(12)}:"
        header, spans = _lift(data, start, marker)
        if len(header) > limits.max_header_bytes:
            # Not a lifted payload: a huge header is refused rather than parsed with huge_tree.
            raise TooLarge(
                f"package header is {len(header)} bytes; the limit is {limits.max_header_bytes}",
                field="/edXML/edXMLEnvelope",
            )
        _check_markup_declarations(header, 0)
        parsed_bytes = len(header)
        root = _parse(header, huge=False, notes=notes)
        probe = XmlDocument(root=root, source=data, notes=notes)
        found = sum(
            1 for el in probe.iter("ContentTransferEncoded") if (el.text or "").startswith(marker)
        )
        if found != len(spans):
            # A payload-looking run sat inside a comment or CDATA: parse the whole package instead.
            return read_xml(data, limits, lift_payloads=False)
    else:
        _check_markup_declarations(data, start)
        parsed_bytes = len(data) - start
        root = _parse(data[start:] if start else data, huge=True, notes=notes)

    if root.getroottree().docinfo.internalDTD is not None:
        raise ForbiddenConstruct("DOCTYPE is not allowed", field="/!DOCTYPE", code="EDXML_DTD")
    _check_shape(root, limits, parsed_bytes)
    return XmlDocument(
        root=root, source=data, start=start, notes=notes, _marker=marker, _spans=spans
    )
