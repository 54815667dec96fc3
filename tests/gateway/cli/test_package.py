"""The command line as a package: its entry points, groups and documented exit statuses."""

from __future__ import annotations

import json
import re
from importlib.metadata import entry_points
from pathlib import Path

from typer.testing import CliRunner

import gateway.exits
from gateway import package_version
from gateway.cli import app, main

ROOT = Path(__file__).resolve().parents[3]


def test_the_script_entry_point_is_gateway_cli_main() -> None:
    """`truc-gateway` still resolves to gateway.cli:main."""
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "truc-gateway"]
    assert script.value == "gateway.cli:main"
    assert script.load() is main


def test_every_group_is_on_the_app() -> None:
    """The app lists the node's commands and the agencies, systems and calendar groups."""
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("serve", "worker", "migrate", "version", "demo", "agencies", "systems",
                 "calendar"):  # fmt: skip
        assert re.search(rf"│ {name}\s", result.output), name


def test_version_through_the_runner() -> None:
    """`version` prints the version, and `version --json` the same as JSON."""
    runner = CliRunner()
    assert runner.invoke(app, ["version"]).output.strip() == package_version()
    as_json = runner.invoke(app, ["version", "--json"])
    assert json.loads(as_json.output) == {"version": package_version()}


def test_lookup_through_the_runner_in_both_forms() -> None:
    """`agencies lookup` gives JSON with --json and a table with --table."""
    runner = CliRunner()
    shown = json.loads(runner.invoke(app, ["agencies", "lookup", "H14", "--json"]).output)
    assert shown["agency"]["code"] == "H14"
    table = runner.invoke(app, ["agencies", "lookup", "H14", "--table"]).output
    assert table.startswith("requested   H14 (qd20)")
    assert "resolution  found at " in table


def test_every_exit_status_is_documented_once() -> None:
    """Each status in gateway/exits.py has its row in docs/gateway.md's exit-status table."""
    defined = {value for name, value in vars(gateway.exits).items() if name.startswith("EXIT_")}
    doc = (ROOT / "docs" / "gateway.md").read_text(encoding="utf-8")
    table = doc.split("\n### Exit statuses\n", 1)[1].split("\n#", 1)[0]
    documented = [int(m) for m in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)]
    assert sorted(documented) == sorted(defined)
