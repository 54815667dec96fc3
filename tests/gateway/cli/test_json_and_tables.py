"""Every data command, run as users run it: JSON with --json (and when piped), a table for
people; a secret or token printed once appears in both forms."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.gateway.test_cli import COMMAND_TIMEOUT, _env, _gateway


def _json(*args: str, cwd: Path, env: dict[str, str], stdin: str | None = None) -> Any:
    """The command's stdout with --json, parsed (exit 0 required)."""
    result = subprocess.run(
        [sys.executable, "-m", "gateway", *args, "--json"],
        cwd=cwd, env=env, input=stdin, capture_output=True, text=True, encoding="utf-8",
        timeout=COMMAND_TIMEOUT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, (args, result.stderr)
    return json.loads(result.stdout)


def _on_a_terminal(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run a command with its stdout on a pseudo-terminal: its status and what it printed."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", *args],
            cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=follower,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the command closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        status = process.wait(timeout=COMMAND_TIMEOUT)
    finally:
        os.close(leader)
    return status, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def test_systems_commands_print_json_with_the_flag(tmp_path: Path) -> None:
    """`migrate` and every `systems` command print one JSON document with --json."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"))
    migrated = _json("migrate", cwd=tmp_path, env=env)
    assert isinstance(migrated, dict)
    assert migrated["revision"] == migrated["head"]
    added = _json("systems", "add", "sys-a", "--agency", "H14", cwd=tmp_path, env=env)
    assert isinstance(added, dict)
    assert added["token"].startswith("gwt_")
    assert len(added["secret"]) >= 16
    listed = _json("systems", "list", cwd=tmp_path, env=env)
    assert [s["system_id"] for s in listed] == ["sys-a"]
    for args, field, value in (
        (("disable", "sys-a"), "enabled", False),
        (("enable", "sys-a"), "enabled", True),
        (("grant", "sys-a", "--agency", "H37", "--node-link"), "node_link", True),
        (("rotate-secret", "sys-a"), "system_id", "sys-a"),
        (("rotate-token", "sys-a"), "system_id", "sys-a"),
    ):
        shown = _json("systems", *args, cwd=tmp_path, env=env)
        assert isinstance(shown, dict)
        assert shown[field] == value, args


def test_agencies_and_calendar_commands_print_json_with_the_flag(tmp_path: Path) -> None:
    """`agencies lookup` and every `calendar` command print JSON with --json."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"))
    found = _json(
        "agencies", "lookup", "000.00.94.H14", "--at", "2025-07-01", cwd=tmp_path, env=env
    )
    assert found["resolution"]["code"] == "H14.95"
    one = _json("calendar", "legal-time", "2025-12-31T10:00:00Z", cwd=tmp_path, env=env)
    assert one == {
        "instant": "2025-12-31T10:00:00Z",
        "legal_receipt_time": "2026-01-05T07:30:00+07:00",
    }
    lines = subprocess.run(
        [sys.executable, "-m", "gateway", "calendar", "legal-time", "-", "--json"],
        cwd=tmp_path, env=env, input="2026-02-13T17:00:00+07:00\n2026-02-13 16:59:59\n",
        capture_output=True, text=True, encoding="utf-8", timeout=COMMAND_TIMEOUT, check=False,
    ).stdout.splitlines()  # fmt: skip
    assert [json.loads(line)["legal_receipt_time"] for line in lines] == [
        "2026-02-23T07:30:00+07:00",
        "2026-02-13T16:59:59+07:00",
    ]
    month = _json("calendar", "month", "2026-02", cwd=tmp_path, env=env)
    assert isinstance(month, dict)
    assert (month["working_days"], month["holidays"]) == (15, 5)
    tet = next(day for day in month["days"] if day["date"] == "2026-02-16")
    assert (tet["kind"], tet["name"]) == ("holiday", "Tết Bính Ngọ")
    assert _gateway("migrate", cwd=tmp_path, env=env).returncode == 0
    added = _json(
        "calendar", "override", "add", "2026-03-05", "--kind", "day_off", "--source", "CV 9",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert added["override"]["source"] == "CV 9"
    listed = _json("calendar", "override", "list", cwd=tmp_path, env=env)
    assert [row["date"] for row in listed] == ["2026-03-05"]
    report = _json("calendar", "recompute", "--from", "2026-03-01", cwd=tmp_path, env=env)
    assert report["applied"] is True
    removed = _json("calendar", "override", "remove", "2026-03-05", cwd=tmp_path, env=env)
    assert removed["override"]["date"] == "2026-03-05"


def test_tables_show_the_secret_and_token_printed_once(tmp_path: Path) -> None:
    """--table shows the new secret or token of add/rotate-secret/rotate-token; list is columns."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"))
    migrated = _gateway("migrate", "--table", cwd=tmp_path, env=env)
    assert migrated.stdout.startswith("database at revision ")
    added = _gateway("systems", "add", "sys-a", "--agency", "H14", "--table", cwd=tmp_path, env=env)
    assert added.returncode == 0, added.stderr
    fields = dict(line.split(None, 1) for line in added.stdout.splitlines()[:-1])
    assert fields["system_id"] == "sys-a"
    assert fields["grants"] == "H14"
    assert len(fields["secret"]) >= 16
    assert fields["token"].startswith("gwt_")
    assert added.stdout.splitlines()[-1].startswith("(shown once")
    secret = _gateway("systems", "rotate-secret", "sys-a", "--table", cwd=tmp_path, env=env)
    rotated = dict(line.split(None, 1) for line in secret.stdout.splitlines()[:-1])
    assert len(rotated["secret"]) >= 16
    assert rotated["secret"] != fields["secret"]
    token = _gateway("systems", "rotate-token", "sys-a", "--table", cwd=tmp_path, env=env)
    assert dict(line.split(None, 1) for line in token.stdout.splitlines()[:-1])["token"].startswith(
        "gwt_"
    )
    listed = _gateway("systems", "list", "--table", cwd=tmp_path, env=env).stdout.splitlines()
    assert listed[0].split() == ["SYSTEM_ID", "ENABLED", "ADMIN", "NODE_LINK", "GRANTS"]
    assert listed[1].split() == ["sys-a", "yes", "no", "no", "H14"]


def test_a_terminal_gets_the_table_and_a_pipe_gets_json(tmp_path: Path) -> None:
    """With neither flag a terminal gets the table (token included) and a pipe gets JSON."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"))
    assert _gateway("migrate", cwd=tmp_path, env=env).returncode == 0
    status, shown = _on_a_terminal(
        "systems", "add", "sys-t", "--agency", "H14", cwd=tmp_path, env=env
    )
    assert status == 0, shown
    assert "system_id    sys-t" in shown
    assert "token        gwt_" in shown
    assert not shown.lstrip().startswith("{")
    piped = _gateway("systems", "add", "sys-p", "--agency", "H14", cwd=tmp_path, env=env)
    assert json.loads(piped.stdout)["token"].startswith("gwt_")
    status, looked_up = _on_a_terminal("agencies", "lookup", "H14", cwd=tmp_path, env=env)
    assert status == 0
    assert looked_up.startswith("requested   H14 (qd20)")
