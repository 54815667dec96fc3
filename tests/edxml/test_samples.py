"""The official SDK samples parse, validate and show the expected fields."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from edxml import (
    BusinessDocType,
    DocumentPackage,
    StatusCode,
    StatusPackage,
    build,
    has_errors,
    parse,
    read_package,
    validate,
)
from edxml.validate import Policy
from tests.edxml.conftest import sdk_samples

DOCS = {
    "edoc.edxml": ("002.00.20.H13", ["000.00.15.H51"], None, "PRO-TEST-CASE1"),
    "edoc_new.edxml": ("002.00.20.H13", ["28.22.H17"], BusinessDocType.NEW, None),
    "edoc_revocation.edxml": (None, None, BusinessDocType.REVOKE, None),
    "edoc_update.edxml": (
        "000.00.00.G22",
        ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"],
        BusinessDocType.UPDATE,
        "VPCP-TTĐT",
    ),
    "edoc_replacement.edxml": (None, None, BusinessDocType.REPLACE, None),
}
STATUSES = {
    "status.edxml": "01",
    "status_inbox_01.edxml": "01",
    "status_rejection_02.edxml": "02",
    "status_acceptance_03.edxml": "03",
    "status_assignment_04.edxml": "04",
    "status_processing_05.edxml": "05",
    "status_finish_06.edxml": "06",
    "status_cancellation_13.edxml": "13",
    "status_change-acceptance_15.edxml": "15",
    "status_change-rejection_16.edxml": "16",
}


def test_every_sample_is_known() -> None:
    """Each file in the SDK sample folder is covered by the expectations below."""
    names = {p.name for p in sdk_samples()}
    assert names == set(DOCS) | set(STATUSES)


@pytest.mark.parametrize("path", sdk_samples(), ids=lambda p: p.name)
def test_sample_validates_without_errors(path: Path) -> None:
    """Every SDK sample parses and validates (deep) with no error-severity finding."""
    parsed = read_package(path.read_bytes())
    findings = validate(parsed.package, Policy(deep=True), parsed.notes)
    assert not has_errors(findings), [str(f) for f in findings]


@pytest.mark.parametrize("name", sorted(DOCS))
def test_document_sample_fields(name: str, shared_dir: Path) -> None:
    """Document samples expose sender, recipients, business type and notation."""
    sender, recipients, business, notation = DOCS[name]
    pkg = parse(next(p for p in sdk_samples() if p.name == name).read_bytes())
    assert isinstance(pkg, DocumentPackage)
    if sender:
        assert pkg.header.from_.organ_id == sender
    if recipients:
        assert [t.organ_id for t in pkg.header.to] == recipients
    if business is not None:
        assert pkg.business is not None
        assert pkg.business.doc_type == business
    if notation:
        assert pkg.header.code is not None
        assert pkg.header.code.code_notation == notation
    assert pkg.traces
    assert pkg.traces[0].organ_id
    assert len(pkg.attachments) == 1


def test_update_sample_receiver_list() -> None:
    """The update sample carries one removed and one added recipient."""
    pkg = parse(next(p for p in sdk_samples() if p.name == "edoc_update.edxml").read_bytes())
    assert isinstance(pkg, DocumentPackage)
    assert pkg.business
    assert pkg.business.document_info
    receivers = pkg.business.document_info.receivers or []
    assert [(r.organ_id, int(r.receiver_type)) for r in receivers] == [  # type: ignore[arg-type]
        ("000.00.00.H41", 0),
        ("000.00.00.H14", 1),
    ]


def test_replacement_sample_lists_replaced_documents() -> None:
    """The replace sample names the replaced document and its recipients."""
    pkg = parse(next(p for p in sdk_samples() if p.name == "edoc_replacement.edxml").read_bytes())
    assert isinstance(pkg, DocumentPackage)
    assert pkg.business
    assert pkg.business.replacements
    first = pkg.business.replacements[0]
    assert first.document_id == "000.00.00.G22,2014/01/30,7806/VPCP-TTĐT"
    assert first.organ_ids == ["000.00.00.H41", "000.00.00.H14"]


def test_zipped_sample_attachment_is_sniffed() -> None:
    """edoc_new's attachment is a zip (sniffed), with a decoded size and SHA-256."""
    pkg = parse(next(p for p in sdk_samples() if p.name == "edoc_new.edxml").read_bytes())
    assert isinstance(pkg, DocumentPackage)
    att = pkg.attachments[0]
    assert att.is_zip
    assert att.size == 270823
    assert att.sha256
    assert len(att.sha256) == 64
    assert att.size == len(att.decode())
    inner = att.inner_files()
    assert len(inner) == 1
    assert inner[0].name.endswith(".edxml")


@pytest.mark.parametrize("name", sorted(STATUSES))
def test_status_sample_fields(name: str) -> None:
    """Status samples expose their code, the document they concern and a +07:00 timestamp."""
    pkg = parse(next(p for p in sdk_samples() if p.name == name).read_bytes())
    assert isinstance(pkg, StatusPackage)
    assert pkg.status_code == StatusCode(STATUSES[name])
    assert pkg.response_for is not None
    assert pkg.response_for.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert isinstance(pkg.response_for.promulgation_date, date)
    assert pkg.timestamp is not None
    assert not isinstance(pkg.timestamp, str)
    assert pkg.timestamp.utcoffset() is not None
    assert pkg.timestamp.utcoffset().total_seconds() == 7 * 3600  # type: ignore[union-attr]


@pytest.mark.parametrize("path", sdk_samples(), ids=lambda p: p.name)
def test_build_of_parsed_sample_is_equal_in_content(path: Path) -> None:
    """build(parse(x)) carries the same content as x (Vietnamese text byte-exact)."""
    original = parse(path.read_bytes())
    rebuilt = build(original)
    assert parse(rebuilt) == original
    if isinstance(original, DocumentPackage):
        assert original.header.subject is not None
        assert original.header.subject.encode("utf-8") in rebuilt
