"""The hardened reader: payloads lifted without copies, leniency only where the spec lists it."""

from __future__ import annotations

import pytest

from edxml.errors import PackageRejected
from edxml.limits import Limits
from edxml.xmlsafe import local_name, read_xml
from tests.edxml.conftest import sdk_samples

NS = b'xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"'


def _payload_elements(doc):  # type: ignore[no-untyped-def]
    return [el for el in doc.root.iter() if local_name(el.tag) == "ContentTransferEncoded"]


def test_payload_is_a_range_of_the_input() -> None:
    """A lifted payload points into the caller's bytes instead of copying them."""
    data = next(p for p in sdk_samples() if p.name == "edoc_new.edxml").read_bytes()
    doc = read_xml(data)
    (element,) = _payload_elements(doc)
    payload = doc.payload(element)
    assert payload.source is data
    assert doc.lifted == 1
    assert len(payload) > 300_000


def test_fake_payload_in_comment_falls_back_to_full_parse() -> None:
    """A payload-looking run inside a comment makes the reader parse the whole package."""
    data = (
        b"<edXML " + NS + b"><!-- <ContentTransferEncoded>QUFB</ContentTransferEncoded> -->"
        b"<AttachmentEncoded><Attachment><ContentTransferEncoded>QkJC</ContentTransferEncoded>"
        b"</Attachment></AttachmentEncoded></edXML>"
    )
    doc = read_xml(data)
    (element,) = _payload_elements(doc)
    assert doc.payload(element).tobytes() == b"QkJC"


def test_forged_marker_text_is_not_trusted() -> None:
    """Payload markers carry a per-parse nonce: text cannot pretend to be a lifted payload."""
    data = (
        b"<edXML " + NS + b"><AttachmentEncoded><Attachment>"
        b"<ContentTransferEncoded>&#64;@payload-0:0</ContentTransferEncoded>"
        b"</Attachment></AttachmentEncoded></edXML>"
    )
    doc = read_xml(data)
    (element,) = _payload_elements(doc)
    assert doc.payload(element).tobytes() == b"@@payload-0:0"


def test_stray_leading_bytes_are_skipped_with_a_note() -> None:
    """Up to 1 KiB of junk before the declaration is tolerated and reported (SDK ``1212``)."""
    doc = read_xml(b"1212<?xml version='1.0'?><edXML " + NS + b"/>")
    assert doc.notes[0][0] == "EDXML_LEADING_BYTES"


def test_only_namespace_errors_are_recovered() -> None:
    """An undeclared prefix is tolerated (noted); any other well-formedness error is fatal."""
    doc = read_xml(b"<edXML " + NS + b'><Reference xlink:href=""/></edXML>')
    assert doc.notes[0][0] == "EDXML_NAMESPACE"
    with pytest.raises(PackageRejected) as info:
        read_xml(b"<edXML " + NS + b'><Reference xlink:href=""></edXML>')
    assert info.value.code == "EDXML_MALFORMED"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "EDXML_MALFORMED"),
        (b"   ", "EDXML_MALFORMED"),
        (b"no markup at all", "EDXML_MALFORMED"),
        (b"<edXML " + NS + b"><!ENTITY x 'y'></edXML>", "EDXML_DTD"),
        (b"<edXML " + NS + b"><!-- unterminated", "EDXML_MALFORMED"),
    ],
)
def test_bad_bytes_get_coded_rejections(data: bytes, code: str) -> None:
    """Empty, markup-free, declaration-bearing or truncated input is refused with a code."""
    with pytest.raises(PackageRejected) as info:
        read_xml(data)
    assert info.value.code == code


def test_element_count_limit() -> None:
    """More XML nodes than the configured limit is refused."""
    data = b"<edXML " + NS + b">" + b"<a/>" * 50 + b"</edXML>"
    with pytest.raises(PackageRejected) as info:
        read_xml(data, Limits(max_elements=20))
    assert info.value.code == "EDXML_TOO_LARGE"


def test_header_size_limit_is_separate_from_payloads() -> None:
    """A huge header is refused even though payloads may be large."""
    data = b"<edXML " + NS + b"><Subject>" + b"x" * 2048 + b"</Subject></edXML>"
    with pytest.raises(PackageRejected) as info:
        read_xml(data, Limits(max_header_bytes=1024))
    assert info.value.code == "EDXML_TOO_LARGE"


@pytest.mark.parametrize("node", [b"<a/>", b"<?a?>", b"<!---->"])
@pytest.mark.parametrize("lift", [True, False])
def test_node_limit_holds_for_the_densest_documents(node: bytes, lift: bool) -> None:
    """One node over the limit is refused even when every node takes the fewest bytes possible."""
    limit = 40
    for count, refused in ((limit - 1, False), (limit, True)):  # the root is one more node
        data = b"<r>" + node * count + b"</r>"
        if refused:
            with pytest.raises(PackageRejected, match="XML nodes"):
                read_xml(data, Limits(max_elements=limit), lift_payloads=lift)
        else:
            read_xml(data, Limits(max_elements=limit), lift_payloads=lift)
