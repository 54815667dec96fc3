"""``users`` and ``audit`` commands, run as users run them (subprocesses): passwords printed once
or read from stdin, ``--as`` sign-in, the audit log listed, verified, and tampered with by SQL
on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_DATABASE_URL, require_service
from tests.gateway.cli.test_json_and_tables import _on_a_terminal
from tests.gateway.test_cli import COMMAND_TIMEOUT, _env


def run(
    *args: str, env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``python -m gateway ARGS`` with ``stdin`` (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=cwd, env=env, input=stdin, capture_output=True, text=True, encoding="utf-8",
        timeout=COMMAND_TIMEOUT, check=False,
    )  # fmt: skip


def ok(*args: str, env: dict[str, str], cwd: Path, stdin: str = "") -> Any:
    """The JSON a successful command printed."""
    result = run(*args, env=env, cwd=cwd, stdin=stdin)
    assert result.returncode == 0, (args, result.stderr)
    return json.loads(result.stdout)


def test_users_commands_and_the_audit_log(tmp_path: Path) -> None:
    """add (generated or stdin password), list, token, passwd, disable, --as; audit list/verify."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"))
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    root = ok("users", "add", "root", "--role", "admin", env=env, cwd=tmp_path)
    assert (root["username"], root["role"], root["enabled"]) == ("root", "admin", True)
    root_password = root["password"]
    alice = ok("users", "add", "Alice", "--role", "operator", env=env, cwd=tmp_path,
               stdin="alice's own password\n")  # fmt: skip
    assert alice["username"] == "alice"
    assert "password" not in alice
    listed = ok("users", "list", env=env, cwd=tmp_path)
    assert [(u["username"], u["role"]) for u in listed] == [
        ("alice", "operator"),
        ("root", "admin"),
    ]

    token = ok("users", "token", "alice", "--as", "root", env=env, cwd=tmp_path,
               stdin=root_password + "\n")  # fmt: skip
    assert token["token"].startswith("gwp_")
    refused = run("users", "disable", "root", "--as", "alice", env=env, cwd=tmp_path,
                  stdin="alice's own password\n")  # fmt: skip
    assert refused.returncode == 1
    assert "AUTH_ROLE" in refused.stderr
    wrong = run("users", "list", "--as", "root", env=env, cwd=tmp_path, stdin="not it\n")
    assert wrong.returncode == 1
    assert "AUTH_PASSWORD" in wrong.stderr

    changed = ok("users", "passwd", "alice", env=env, cwd=tmp_path, stdin="a brand new password\n")
    assert "password" not in changed
    generated = ok("users", "passwd", "alice", env=env, cwd=tmp_path)
    assert len(generated["password"]) >= 16
    disabled = ok("users", "disable", "alice", "--reason", "left", env=env, cwd=tmp_path)
    assert disabled["enabled"] is False
    registrar = ok("systems", "add", "reg", "--admin", "--as", "root", env=env, cwd=tmp_path,
                   stdin=root_password + "\n")  # fmt: skip
    assert (registrar["grants"], registrar["admin"]) == ([], True)

    entries = ok("audit", "list", env=env, cwd=tmp_path)
    assert [(e["action"], e["actor"]) for e in reversed(entries)] == [
        ("user_added", "cli"),
        ("user_added", "cli"),
        ("sign_in", "root"),
        ("token_created", "root"),
        ("sign_in", "alice"),
        ("sign_in_failed", "root"),
        ("user_password_changed", "cli"),
        ("user_password_changed", "cli"),
        ("user_disabled", "cli"),
        ("sign_in", "root"),
        ("system_added", "root"),
    ]
    assert all(e["at"].endswith("+07:00") for e in entries)
    logged = json.dumps(entries)
    for secret in (root_password, token["token"], registrar["secret"], generated["password"]):
        assert secret not in logged
    failed = ok("audit", "list", "--action", "sign_in_failed", env=env, cwd=tmp_path)
    assert [e["reason"] for e in failed] == ["AUTH_PASSWORD"]
    page = ok("audit", "list", "--limit", "2", "--before", "5", env=env, cwd=tmp_path)
    assert [e["seq"] for e in page] == [4, 3]
    verdict = ok("audit", "verify", env=env, cwd=tmp_path)
    assert verdict == {"ok": True, "entries": 11, "broken_seq": None, "problem": None}

    with sqlite3.connect(tmp_path / "data" / "gateway.db") as db:
        db.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 9")
    broken = run("audit", "verify", env=env, cwd=tmp_path)
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["broken_seq"] == 9
    assert "entry 9" in broken.stderr


def test_calendar_override_commands_are_audited(tmp_path: Path) -> None:
    """`calendar override add` and `remove` on the CLI append entries by `cli`."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"))
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    ok("calendar", "override", "add", "2026-09-04", "--kind", "day_off", "--source", "TB 1/2026",
       env=env, cwd=tmp_path)  # fmt: skip
    ok("calendar", "override", "remove", "2026-09-04", env=env, cwd=tmp_path)
    entries = ok("audit", "list", env=env, cwd=tmp_path)
    assert [(e["action"], e["actor"], e["target"], e["extra"]["change"]) for e in entries] == [
        ("calendar_override", "cli", "calendar:2026-09-04", "removed"),
        ("calendar_override", "cli", "calendar:2026-09-04", "added"),
    ]


def test_audit_verify_on_a_terminal_prints_the_count(tmp_path: Path) -> None:
    """On a terminal `audit verify` says the log is intact and how many entries it holds."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"))
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    ok("users", "add", "root", "--role", "admin", env=env, cwd=tmp_path)
    status, shown = _on_a_terminal("audit", "verify", cwd=tmp_path, env=env)
    assert status == 0
    assert "audit log intact: 1 entries" in shown


@pytest.fixture
def postgres_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    """The environment of a node on a fresh PostgreSQL schema (dropped afterwards)."""
    url = require_service("PostgreSQL", TEST_DATABASE_URL, 5432)
    schema = f"s_{uuid.uuid4().hex[:10]}"
    env = _env(
        GATEWAY_DATA_DIR=str(tmp_path / "data"),
        GATEWAY_DATABASE_URL=url,
        GATEWAY_DATABASE_SCHEMA=schema,
    )
    yield env, schema
    _sql(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _sql(url: str, statement: str) -> None:
    """Run one statement on PostgreSQL (through asyncpg, the node's own driver)."""
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def go() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(go())


@pytest.mark.services
def test_audit_verify_finds_tampering_on_postgresql(
    tmp_path: Path, postgres_env: tuple[dict[str, str], str]
) -> None:
    """On PostgreSQL too: verify exits 0 with the count, then 1 naming a deleted entry."""
    env, schema = postgres_env
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    for name in ("root", "ops"):
        ok("users", "add", name, "--role", "admin", env=env, cwd=tmp_path)
    ok("users", "disable", "ops", env=env, cwd=tmp_path)
    assert ok("audit", "verify", env=env, cwd=tmp_path)["entries"] == 3
    deletion = f'DELETE FROM "{schema}".audit_log WHERE seq = 2'  # noqa: S608 - our own schema
    _sql(env["GATEWAY_DATABASE_URL"], deletion)
    broken = run("audit", "verify", env=env, cwd=tmp_path)
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["broken_seq"] == 3
