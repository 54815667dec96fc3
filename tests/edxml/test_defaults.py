"""Derived fields a builder fills when absent: canonical DocumentId, sender's trace, status time."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from edxml import VN_TZ, DocumentPackage, StatusPackage, TraceEntry, build, parse
from edxml.defaults import canonical_document_id, fill_defaults
from edxml.jsonio import from_data
from edxml.model import DocumentCode, DocumentHeader, Organization, PromulgationInfo
from tests.conftest import ROOT

NOW = datetime(2026, 11, 20, 9, 15, tzinfo=VN_TZ)

DOCUMENT: dict[str, Any] = {
    "kind": "edoc",
    "header": {
        "from": {"organ_id": "000.00.00.H14", "organ_name": "UBND tỉnh Cao Bằng"},
        "to": [{"organ_id": "000.00.00.H41", "organ_name": "UBND tỉnh Nghệ An"}],
        "code": {"code_number": "123", "code_notation": "UBND-VP"},
        "promulgation": {"place": "Cao Bằng", "promulgation_date": "2026-11-20"},
        "document_type": {"type": "2", "type_name": "Công văn"},
        "subject": "V/v thử nghiệm",
    },
    "attachments": [{"base64": "JVBERi0xLjQgdGVzdA==", "attachment_name": "vanban.pdf"}],
}

STATUS: dict[str, Any] = {
    "kind": "status",
    "from": {"organ_id": "000.00.00.H41", "organ_name": "UBND tỉnh Nghệ An"},
    "response_for": {
        "organ_id": "000.00.00.H14",
        "code": "123/UBND-VP",
        "promulgation_date": "2026-11-20",
        "document_id": "000.00.00.H14,2026/11/20,123/UBND-VP",
    },
    "status_code": "03",
}


def _run(*args: str, stdin: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "edxml", *args],
        capture_output=True, timeout=60, cwd=ROOT, input=stdin.encode(), check=False,
    )  # fmt: skip


def test_canonical_document_id_from_header() -> None:
    """The canonical id is <From/OrganId>,<yyyy/MM/dd>,<CodeNumber>/<CodeNotation>."""
    header = DocumentHeader(
        from_=Organization("000.00.00.G22"),
        code=DocumentCode("7816", "VPCP-TTĐT"),
        promulgation=PromulgationInfo(None, date(2015, 9, 30)),
    )
    assert canonical_document_id(header) == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"


@pytest.mark.parametrize(
    "header",
    [
        DocumentHeader(
            code=DocumentCode("1", "X"), promulgation=PromulgationInfo(None, date(2026, 1, 2))
        ),
        DocumentHeader(Organization("A"), promulgation=PromulgationInfo(None, date(2026, 1, 2))),
        DocumentHeader(Organization("A"), code=DocumentCode("1", "X")),
        DocumentHeader(
            Organization("A"), code=DocumentCode("1", "X"), promulgation=PromulgationInfo(None, "x")
        ),
    ],
)
def test_canonical_document_id_needs_every_part(header: DocumentHeader) -> None:
    """Without a sender, code or valid promulgation date no id is derived."""
    assert canonical_document_id(header) is None


def test_absent_document_fields_are_filled() -> None:
    """An absent DocumentId and trace become the canonical id and the sender's entry at now."""
    package = from_data(DOCUMENT)
    assert isinstance(package, DocumentPackage)
    filled = fill_defaults(package, NOW)
    assert filled == ["MessageHeader/DocumentId", "TraceHeaderList/TraceHeader"]
    assert package.header.document_id == "000.00.00.H14,2026/11/20,123/UBND-VP"
    assert package.traces == [TraceEntry("000.00.00.H14", NOW)]


def test_blank_document_id_counts_as_absent() -> None:
    """An empty DocumentId is filled like a missing one."""
    data = copy.deepcopy(DOCUMENT)
    data["header"]["document_id"] = " "
    package = from_data(data)
    assert isinstance(package, DocumentPackage)
    fill_defaults(package, NOW)
    assert package.header.document_id == "000.00.00.H14,2026/11/20,123/UBND-VP"


def test_present_fields_are_kept_byte_for_byte() -> None:
    """With DocumentId and trace present, the built bytes are those built without filling."""
    data = copy.deepcopy(DOCUMENT)
    data["header"]["document_id"] = "a-gateway-uuid"
    data["traces"] = [{"organ_id": "000.00.00.H14", "timestamp": "2026-11-19T08:00:00+07:00"}]
    before = build(from_data(data))
    package = from_data(data)
    assert fill_defaults(package, NOW) == []
    assert build(package) == before


def test_absent_status_timestamp_is_filled() -> None:
    """A status without Timestamp gets the build time; one with a Timestamp keeps it."""
    package = from_data(STATUS)
    assert isinstance(package, StatusPackage)
    assert fill_defaults(package, NOW) == ["MessageHeader/Timestamp"]
    assert package.timestamp == NOW
    kept = from_data({**STATUS, "timestamp": "2026-11-21T10:00:00+07:00"})
    before = build(kept)
    assert fill_defaults(kept, NOW) == []
    assert build(kept) == before


def test_naive_now_is_refused() -> None:
    """The fill time must be timezone-aware."""
    with pytest.raises(ValueError, match="timezone-aware"):
        fill_defaults(from_data(DOCUMENT), datetime(2026, 1, 1))  # noqa: DTZ001


def test_cli_build_fills_and_names_the_fields() -> None:
    """build fills DocumentId and the sender's trace at --timestamp and says so on stderr."""
    result = _run("build", "-", "--timestamp", "2026-11-20T09:15:00", stdin=json.dumps(DOCUMENT))
    assert result.returncode == 0, result.stderr
    assert b"filled MessageHeader/DocumentId" in result.stderr
    package = parse(result.stdout)
    assert isinstance(package, DocumentPackage)
    assert package.header.document_id == "000.00.00.H14,2026/11/20,123/UBND-VP"
    assert package.traces == [TraceEntry("000.00.00.H14", NOW)]


def test_cli_build_keeps_present_fields(tmp_path: Path) -> None:
    """build of a package with DocumentId and trace writes exactly what the writer builds."""
    data = copy.deepcopy(DOCUMENT)
    data["header"]["document_id"] = "000.00.00.H14,2026/11/20,999/OTHER"
    data["traces"] = [{"organ_id": "000.00.00.H14", "timestamp": "2026-11-19T08:00:00+07:00"}]
    result = _run("build", "-", stdin=json.dumps(data))
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    assert result.stdout == build(from_data(data))


def test_cli_build_refuses_a_bad_timestamp() -> None:
    """A --timestamp that is not ISO 8601 is a usage error (exit 2)."""
    result = _run("build", "-", "--timestamp", "yesterday", stdin=json.dumps(DOCUMENT))
    assert result.returncode == 2
    assert b"--timestamp" in result.stderr
