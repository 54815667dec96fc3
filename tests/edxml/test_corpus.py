"""Data-driven corpus: valid and real-world files pass; invalid and attack files give their code.

Attack files run through ``python -m edxml validate`` in a child process with a 2 GiB address-space
limit, so a parser that blew up memory or time would fail the case instead of the suite.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from edxml import PackageRejected, has_errors, read_package, validate
from edxml.limits import MB, Limits
from edxml.validate import Policy
from tests.conftest import ROOT
from tests.edxml.conftest import corpus, expected_code


def _findings(path: Path) -> list[tuple[str, str]]:
    try:
        parsed = read_package(path.read_bytes())
    except PackageRejected as exc:
        return [(exc.code, "error")]
    found = validate(parsed.package, Policy(deep=True), parsed.notes)
    return [(f.code, f.severity.value) for f in found]


@pytest.mark.parametrize("path", corpus("valid") + corpus("realworld"), ids=lambda p: p.name)
def test_valid_and_realworld_files_have_no_errors(path: Path) -> None:
    """Hand-made valid packages and real-world variants validate without errors."""
    parsed = read_package(path.read_bytes())
    findings = validate(parsed.package, Policy(deep=True), parsed.notes)
    assert not has_errors(findings), [str(f) for f in findings]


@pytest.mark.parametrize("path", corpus("invalid"), ids=lambda p: p.name)
def test_invalid_file_reports_its_code(path: Path) -> None:
    """Each invalid package reports the error code its file name promises."""
    assert (expected_code(path), "error") in _findings(path)


def _limit_memory() -> None:  # runs in the child before exec
    two_gib = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (two_gib, two_gib))


def _cli_validate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edxml", "validate", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        preexec_fn=_limit_memory,
        check=False,
    )


@pytest.mark.parametrize("path", corpus("attack"), ids=lambda p: p.name)
def test_attack_file_is_rejected_with_its_code(path: Path) -> None:
    """Each attack file is rejected by the CLI with its code, in bounded time and memory."""
    result = _cli_validate(str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"ERROR {expected_code(path)}" in result.stdout


def test_oversize_package_is_rejected_before_parsing(tmp_path: Path) -> None:
    """A package over the configured size limit is refused with EDXML_TOO_LARGE."""
    big = tmp_path / "oversize.edxml"
    big.write_bytes(b'<?xml version="1.0"?><edXML>' + b" " * (2 * MB) + b"</edXML>")
    result = _cli_validate("--max-mb", "1", str(big))
    assert result.returncode == 1
    assert "ERROR EDXML_TOO_LARGE" in result.stdout


def test_default_limit_is_100_mb() -> None:
    """Without configuration, a package one byte over 100 MB is refused."""
    data = b"<" + b" " * (100 * MB)
    with pytest.raises(PackageRejected) as info:
        read_package(data)
    assert info.value.code == "EDXML_TOO_LARGE"
    assert Limits().max_package_bytes == 100 * MB
