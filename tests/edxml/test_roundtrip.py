"""Emit strictly, read back the same: parse(build(m)) == m, and every build matches the XSD."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from edxml import VN_TZ, build, parse
from edxml.model import (
    Attachment,
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    DocumentCode,
    DocumentHeader,
    DocumentPackage,
    DocumentType,
    ManifestReference,
    Organization,
    OtherInfo,
    Priority,
    PromulgationInfo,
    Receiver,
    ReceiverType,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusPackage,
    TraceEntry,
)
from schemas.xsd import xsd_path
from tests.edxml.conftest import corpus, sdk_samples

VIETNAMESE = "ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐƯƠ"
_chars = st.one_of(
    st.characters(blacklist_categories=("Cs", "Cc", "Cn")),
    st.sampled_from(VIETNAMESE + "&<>\"'\n\r\t"),
)
text = st.text(_chars, max_size=40).map(str.strip)
opt_text = st.none() | text
code = st.from_regex(r"\A[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}\Z") | st.from_regex(
    r"\A[A-Y][0-9]{2}(\.[A-Z0-9]{1,4}){0,2}\Z"
)
day = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
moment = st.datetimes(
    min_value=datetime(1990, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
    max_value=datetime(2100, 12, 31),  # noqa: DTZ001
).map(lambda d: d.replace(microsecond=0, tzinfo=VN_TZ))
digits = st.integers(min_value=0, max_value=999).map(str)


def _org(required: bool = True) -> st.SearchStrategy[Organization]:
    return st.builds(
        Organization,
        organ_id=code,
        organ_name=text if required else opt_text,
        organization_in_charge=opt_text,
        organ_add=opt_text,
        email=opt_text,
        telephone=opt_text,
        fax=opt_text,
        website=opt_text,
    )


staff = st.none() | st.builds(StaffInfo, opt_text, opt_text, opt_text, opt_text)
response_for = st.builds(ResponseFor, code, opt_text, st.none() | day, text)
attachment = st.builds(
    lambda data, name, ctype, desc: Attachment.from_bytes(
        data, content_id=f"cid:{name}", attachment_name=name, content_type=ctype, description=desc
    ),
    st.binary(max_size=3000),
    st.from_regex(r"\A[A-Za-z0-9_\-]{1,20}\.(pdf|docx|xlsx)\Z"),
    st.sampled_from(["application/pdf", "application/zip", "application/octet-stream"]),
    opt_text,
)
business = st.none() | st.builds(
    Business,
    doc_type=st.sampled_from(BusinessDocType),
    reason=opt_text,
    document_id=st.none() | text,
    paper=st.sampled_from([None, "0", "1"]),
    staff=staff,
    document_info=st.none()
    | st.builds(
        BusinessDocumentInfo,
        st.sampled_from([None, "0", "1"]),
        st.sampled_from([None, "0", "1"]),
        st.none() | st.lists(st.builds(Receiver, code, st.sampled_from(ReceiverType)), max_size=3),
    ),
    replacements=st.none()
    | st.lists(
        st.builds(ReplacementInfo, text.filter(bool), st.lists(code, max_size=3)), max_size=2
    ),
)
header = st.builds(
    DocumentHeader,
    from_=_org(),
    to=st.lists(_org(required=False), min_size=1, max_size=4),
    document_id=text.filter(bool),
    code=st.builds(DocumentCode, text, text),
    promulgation=st.builds(PromulgationInfo, opt_text, day),
    document_type=st.builds(DocumentType, digits, st.none() | digits, opt_text),
    subject=text,
    content=opt_text,
    signer=st.none() | st.builds(SignerInfo, opt_text, opt_text, opt_text),
    due_date=st.none() | day,
    to_places=st.none() | st.lists(text, max_size=3),
    other=st.none()
    | st.builds(
        OtherInfo,
        priority=st.none() | st.sampled_from(Priority),
        sphere_of_promulgation=opt_text,
        typer_notation=opt_text,
        promulgation_amount=st.none() | digits,
        page_amount=st.none() | digits,
        direction=opt_text,
        appendixes=st.none() | st.lists(text, max_size=3),
    ),
    response_for=st.lists(response_for, max_size=2),
    steering_type=st.sampled_from([None, "0", "1", "2", "3"]),
)


@st.composite
def documents(draw: st.DrawFn) -> DocumentPackage:
    atts = draw(st.lists(attachment, min_size=1, max_size=3))
    return DocumentPackage(
        header=draw(header),
        traces=draw(st.lists(st.builds(TraceEntry, code, moment), min_size=1, max_size=3)),
        business=draw(business),
        manifest=[
            ManifestReference(a.content_id, a.content_type, a.description, a.attachment_name)
            for a in atts
        ],
        attachments=atts,
    )


statuses = st.builds(
    StatusPackage,
    from_=_org(required=False),
    response_for=response_for,
    staff=staff,
    status_code=st.sampled_from(StatusCode),
    description=opt_text,
    timestamp=moment,
    traces=st.lists(st.builds(TraceEntry, code, moment), max_size=2),
)


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(xsd_path())))


def _assert_xsd_valid(data: bytes) -> None:
    schema = _schema()
    tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    assert schema.validate(tree), schema.error_log.last_error


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_document_round_trip(pkg: DocumentPackage) -> None:
    """parse(build(m)) == m for generated document packages, Vietnamese text included."""
    data = build(pkg)
    assert parse(data) == pkg
    _assert_xsd_valid(data)


@settings(max_examples=100, deadline=None)
@given(statuses)
def test_status_round_trip(pkg: StatusPackage) -> None:
    """parse(build(m)) == m for generated status packages; the output matches the XSD."""
    data = build(pkg)
    assert parse(data) == pkg
    _assert_xsd_valid(data)


@pytest.mark.parametrize(
    "path", sdk_samples() + corpus("valid") + corpus("realworld"), ids=lambda p: p.name
)
def test_built_package_matches_xsd(path: Path) -> None:
    """Every package the node builds from a real or hand-made input matches the shipped XSD."""
    _assert_xsd_valid(build(parse(path.read_bytes())))


def test_vietnamese_text_is_byte_exact() -> None:
    """UTF-8 Vietnamese (TCVN 6909:2001) survives build and parse unchanged."""
    from tests.edxml.corpus.generate import document

    pkg = document()
    pkg.header.subject = "Về việc ứng dụng chữ ký số – Đợt 2 (năm 2026)"
    data = build(pkg)
    assert "Về việc ứng dụng chữ ký số – Đợt 2 (năm 2026)".encode() in data
    assert parse(data) == pkg
