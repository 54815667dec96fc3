"""docs/examples/: the shipped edXML is exactly what ``edxml build`` makes of the shipped JSON."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from edxml import DocumentPackage, StatusPackage, has_errors, parse, validate
from edxml.reader import read_package
from tests.conftest import ROOT

EXAMPLES = ROOT / "docs" / "examples"
#: The fixed build times of docs/examples/README.md.
BUILDS = {
    "document": "2026-11-20T09:15:00+07:00",
    "status": "2026-11-20T10:30:00+07:00",
}


def _edxml(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "edxml", *args],
        capture_output=True, timeout=60, cwd=ROOT, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_example_rebuilds_byte_for_byte(name: str, tmp_path: Path) -> None:
    """Building the example's JSON with its fixed --timestamp gives the shipped .edxml."""
    out = tmp_path / f"{name}.edxml"
    result = _edxml(
        "build", str(EXAMPLES / f"{name}.json"), "--timestamp", BUILDS[name], "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == (EXAMPLES / f"{name}.edxml").read_bytes()


def test_examples_validate() -> None:
    """``edxml validate`` accepts both shipped examples."""
    files = [str(EXAMPLES / f"{name}.edxml") for name in sorted(BUILDS)]
    result = _edxml("validate", *files)
    assert result.returncode == 0, result.stdout
    assert all(not has_errors(validate(read_package(Path(f).read_bytes()).package)) for f in files)


def test_status_answers_the_document() -> None:
    """The status names the document's derived DocumentId, sender and code."""
    doc = parse((EXAMPLES / "document.edxml").read_bytes())
    status = parse((EXAMPLES / "status.edxml").read_bytes())
    assert isinstance(doc, DocumentPackage)
    assert isinstance(status, StatusPackage)
    assert status.response_for is not None
    assert doc.header.code is not None
    assert status.response_for.document_id == doc.header.document_id
    assert status.response_for.organ_id == doc.header.from_.organ_id
    assert status.from_.organ_id == doc.header.to[0].organ_id
    assert status.response_for.code == (
        f"{doc.header.code.code_number}/{doc.header.code.code_notation}"
    )


def test_example_json_leaves_the_derived_fields_out() -> None:
    """The examples show the filling: no DocumentId, trace or status Timestamp in the JSON."""
    document = (EXAMPLES / "document.json").read_text(encoding="utf-8")
    status = (EXAMPLES / "status.json").read_text(encoding="utf-8")
    assert '"document_id"' not in document
    assert '"traces"' not in document
    assert '"timestamp"' not in status
