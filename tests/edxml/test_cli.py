"""``python -m edxml``: validate, show, build and status from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from edxml import StatusPackage, parse
from tests.conftest import ROOT
from tests.edxml.conftest import corpus, sdk_samples


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edxml", *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT, input=stdin, check=False,
    )  # fmt: skip


def test_validate_accepts_every_sdk_sample() -> None:
    """validate exits 0 for the whole official sample set."""
    result = _run("validate", *map(str, sdk_samples()))
    assert result.returncode == 0, result.stdout
    assert result.stdout.count(": OK") == len(sdk_samples())


def test_validate_json_report() -> None:
    """validate --json reports each file with its findings and exits 1 on an error."""
    bad = corpus("invalid")[0]
    result = _run("validate", "--json", str(bad), str(sdk_samples()[0]))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert [r["ok"] for r in report] == [False, True]
    assert report[0]["findings"][0]["code"]


def test_validate_missing_file_fails() -> None:
    """An unreadable file makes validate exit 1 with a message on stderr."""
    result = _run("validate", "/nonexistent.edxml")
    assert result.returncode == 1
    assert "cannot read" in result.stderr


def test_show_prints_fields_attachments_and_signature() -> None:
    """show prints header, recipients, trace, attachment digests (zip contents too), signature."""
    path = next(p for p in sdk_samples() if p.name == "edoc_new.edxml")
    result = _run("show", str(path))
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["kind"] == "edoc"
    assert shown["recipients"] == ["28.22.H17"]
    assert shown["header"]["from"]["organ_id"] == "002.00.20.H13"
    assert shown["traces"][0]["timestamp"] == "2018-09-28T00:00:00+07:00"
    (att,) = shown["attachments"]
    assert att["zipped"] is True
    assert att["size"] == 270823
    assert len(att["sha256"]) == 64
    assert att["inner_files"][0]["name"].endswith(".edxml")
    assert "content" not in json.dumps(att).lower().replace("content_id", "").replace(
        "content_type", ""
    )
    assert shown["signature"]["class"] == "placeholder"
    assert shown["ok"] is True


def test_build_from_json(tmp_path: Path) -> None:
    """build turns the show layout (attachments by path) into a valid package."""
    shown = json.loads(_run("show", str(corpus("valid")[0])).stdout)
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4 test")
    spec = {
        "kind": "edoc",
        "header": shown["header"],
        "traces": shown["traces"],
        "business": shown["business"],
        "attachments": [{"path": "a.pdf", "content_type": "application/pdf"}],
    }
    (tmp_path / "doc.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.edxml"
    result = _run("build", str(tmp_path / "doc.json"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert _run("validate", str(out)).returncode == 0
    assert b"a.pdf" in out.read_bytes()


def test_build_rejects_invalid_json_model() -> None:
    """build refuses a model with validation errors, naming the code on stderr."""
    result = _run("build", "-", stdin=json.dumps({"kind": "status", "status_code": "02"}))
    assert result.returncode == 1
    assert "EDXML_REQUIRED" in result.stderr


def test_status_command_builds_a_status(tmp_path: Path) -> None:
    """status builds a 03 package answering a document; its output validates."""
    out = tmp_path / "s.edxml"
    result = _run(
        "status", "--from", "000.00.00.H41", "--from-name", "UBND tỉnh Nghệ An", "--code", "03",
        "--to", "000.00.00.H14", "--document-id", "000.00.00.H14,2026/11/20,1234/UBND-VP",
        "--doc-code", "1234/UBND-VP", "--doc-date", "2026-11-20", "--timestamp",
        "2026-11-20T10:00:00+07:00", "-o", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    pkg = parse(out.read_bytes())
    assert isinstance(pkg, StatusPackage)
    assert pkg.status_code == "03"
    assert _run("validate", str(out)).returncode == 0


def test_status_command_enforces_the_reason_rule() -> None:
    """status 02 without --description fails with STATUS_REASON_REQUIRED."""
    result = _run(
        "status",
        "--from",
        "H41",
        "--code",
        "02",
        "--to",
        "H14",
        "--document-id",
        "x,2026/01/01,1/A",
    )
    assert result.returncode == 1
    assert "STATUS_REASON_REQUIRED" in result.stderr
