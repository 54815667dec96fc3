"""The command line ``python -m identifiers`` run as a subprocess (cli.py, __main__.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from identifiers import Agency, Registry

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, encoding: str | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m identifiers ARGS`` and capture raw bytes."""
    env = dict(os.environ)
    env.pop("PYTHONIOENCODING", None)
    if encoding is not None:
        env["PYTHONIOENCODING"] = encoding
    return subprocess.run(
        [sys.executable, "-m", "identifiers", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


def stdout_json(result: subprocess.CompletedProcess[bytes]) -> Any:
    """The JSON document printed on stdout (UTF-8)."""
    return json.loads(result.stdout.decode("utf-8"))


def test_parse_prints_one_object_per_code_in_order() -> None:
    """parse prints a JSON array with raw, form, valid, level1, level, parents and key."""
    result = run("parse", "000.00.18.G12", "G12.18.01", "vxp.saas.03", "020100107370")
    assert result.returncode == 0, result.stderr
    items = stdout_json(result)
    assert [item["raw"] for item in items] == [
        "000.00.18.G12",
        "G12.18.01",
        "vxp.saas.03",
        "020100107370",
    ]
    assert [item["form"] for item in items] == ["qcvn102", "qd20", "unknown", "tax"]
    assert items[0]["parents"] == ["000.00.00.G12"]
    assert items[1] == {
        "raw": "G12.18.01",
        "form": "qd20",
        "valid": True,
        "key": "G12.18.01",
        "level1": "G12",
        "level": 3,
        "parents": ["G12.18", "G12"],
    }
    assert items[2]["valid"] is False


def test_resolve_with_the_default_registry_finds_both_forms() -> None:
    """resolve without --registry uses the bundled registry and exits 0 when found."""
    result = run("resolve", "000.00.00.G12", "--at", "2025-08-01")
    assert result.returncode == 0, result.stderr
    document = stdout_json(result)
    assert document["outcome"] == "found"
    assert document["requested"] == "000.00.00.G12"
    assert document["agency"]["code"] == "G12"
    assert document["agency"]["name"] == "Bộ Tài chính"
    assert document["redirects"] == []


def test_resolve_follows_the_demo_merger_from_its_date() -> None:
    """The demo merger redirects H14.94 to H14.95 from 2025-03-01, not before."""
    before = stdout_json(run("resolve", "H14.94", "--at", "2025-02-28"))
    assert before["agency"]["code"] == "H14.94"
    after = run("resolve", "000.00.94.H14", "--at", "2025-03-01")
    assert after.returncode == 0
    document = stdout_json(after)
    assert document["agency"]["code"] == "H14.95"
    assert document["redirects"] == [{"from": "H14.94", "to": "H14.95", "effective": "2025-03-01"}]


def test_resolve_unknown_prints_json_and_exits_1() -> None:
    """An unregistered code still prints its resolution and exits 1."""
    result = run("resolve", "02.29.W00")
    assert result.returncode == 1
    document = stdout_json(result)
    assert document["outcome"] == "unknown"
    assert document["agency"] is None


def _closed_registry(tmp_path: Path, suffix: str) -> Path:
    registry = Registry([Agency(code="H90", name="UBND tỉnh cũ")])
    registry.close("H90", effective=date(2025, 7, 1))
    path = tmp_path / f"registry.{suffix}"
    getattr(registry, f"to_{suffix}")(path)
    return path


@pytest.mark.parametrize("suffix", ["csv", "json"])
def test_resolve_reads_csv_or_json_registries(tmp_path: Path, suffix: str) -> None:
    """--registry takes a CSV or JSON file; closed without successor exits 1."""
    path = _closed_registry(tmp_path, suffix)
    open_day = run("resolve", "H90", "--registry", str(path), "--at", "2025-06-30")
    assert open_day.returncode == 0
    closed = run("resolve", "H90", "--registry", str(path), "--at", "2025-07-01")
    assert closed.returncode == 1
    document = stdout_json(closed)
    assert document["outcome"] == "closed_without_successor"
    assert document["agency"]["name"] == "UBND tỉnh cũ"


@pytest.mark.parametrize(
    ("args", "prefix"),
    [
        (("resolve", "G12", "--registry", "/nonexistent/registry.csv"), "REGISTRY_FILE"),
        (("resolve", "G12", "--registry", "registry.xml"), "REGISTRY_FILE"),
        (("resolve", "G12", "--at", "2025-13-01"), "CLI_USAGE"),
        (("export", "--format", "xml"), "CLI_USAGE"),
        (("frobnicate",), "CLI_USAGE"),
        ((), "CLI_USAGE"),
    ],
)
def test_usage_and_file_errors_exit_2_with_a_coded_message(
    args: tuple[str, ...], prefix: str
) -> None:
    """Bad arguments and unreadable registries exit 2 with the error code first on stderr."""
    result = run(*args)
    assert result.returncode == 2
    assert result.stderr.decode("utf-8").startswith(prefix)
    assert result.stdout == b""


def test_bad_registry_content_exits_2_with_its_location(tmp_path: Path) -> None:
    """A registry file with a bad row names the code, line and field on stderr."""
    path = tmp_path / "bad.csv"
    path.write_text("code,name,level\nG12,Bộ Tài chính,first\n", encoding="utf-8")
    result = run("resolve", "G12", "--registry", str(path))
    assert result.returncode == 2
    assert result.stderr.decode("utf-8").startswith("AGENCY_INVALID at line 2 (field level)")


def test_export_json_round_trips_the_default_registry() -> None:
    """export --format json prints the default registry, readable back as equal records."""
    result = run("export", "--format", "json")
    assert result.returncode == 0
    exported = Registry.from_json_text(result.stdout.decode("utf-8"))
    assert exported.agencies() == Registry.load_default().agencies()


def test_export_csv_is_utf8_whatever_the_locale_encoding() -> None:
    """export --format csv writes UTF-8 even when Python's stdio encoding is ASCII."""
    result = run("export", "--format", "csv", encoding="ascii")
    assert result.returncode == 0, result.stderr
    assert "Văn phòng Chính phủ".encode() in result.stdout
    exported = Registry.from_csv_text(result.stdout.decode("utf-8"))
    assert exported.agencies() == Registry.load_default().agencies()


def test_export_reads_a_given_registry(tmp_path: Path) -> None:
    """export --registry FILE converts that file (CSV in, JSON out)."""
    path = _closed_registry(tmp_path, "csv")
    result = run("export", "--registry", str(path))
    assert result.returncode == 0
    assert stdout_json(result)["agencies"][0]["status"] == "closed"


def test_no_demo_leaves_the_demo_set_out() -> None:
    """--no-demo resolves against the verified codes only."""
    assert run("resolve", "H14.91", "--at", "2025-08-01").returncode == 0
    result = run("resolve", "H14.91", "--no-demo", "--at", "2025-08-01")
    assert result.returncode == 1
    assert stdout_json(result)["outcome"] == "unknown"
