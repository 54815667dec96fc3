"""The command line, run as users run it: ``python -m gateway ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from gateway import package_version
from gateway.settings import ENV_PREFIX

# Every subprocess gets a bounded wait: a hung command fails the test instead of the run.
COMMAND_TIMEOUT = 60
SERVE_START_TIMEOUT = 30.0
# Takes a migrated SQLite database one revision back (a node upgraded since it was migrated).
_DOWNGRADE = """
import sys
from alembic import command
from sqlalchemy import create_engine
from gateway.store.database import _config
with create_engine("sqlite:///" + sys.argv[1]).begin() as connection:
    command.downgrade(_config(connection), "-1")
"""


def _env(**variables: str) -> dict[str, str]:
    """The current environment without GATEWAY_* variables, plus ``variables``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)}
    return {**env, **variables}


def _gateway(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=cwd,
        env=env if env is not None else _env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    """`python -m gateway version` prints the installed version."""
    result = _gateway("version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == package_version()


def test_agencies_lookup_prints_json_with_the_redirect(tmp_path: Path) -> None:
    """`agencies lookup` prints the record and resolution as JSON, succession followed."""
    result = _gateway("agencies", "lookup", "000.00.94.H14", "--at", "2025-07-01", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["agency"]["name"] == "Sở Thông tin và Truyền thông tỉnh Cao Bằng [DEMO]"
    assert body["resolution"]["code"] == "H14.95"
    assert body["resolution"]["redirects"][0]["from"] == "H14.94"


def test_agencies_lookup_of_an_unknown_code_fails_with_the_code(tmp_path: Path) -> None:
    """An unregistered code exits 1 with the AGENCY_UNKNOWN error body on stderr."""
    result = _gateway("agencies", "lookup", "H99.99", cwd=tmp_path)
    assert result.returncode == 1
    assert json.loads(result.stderr)["error"]["code"] == "AGENCY_UNKNOWN"


def test_refused_configuration_exits_2_naming_the_variable(tmp_path: Path) -> None:
    """A prod node with the placeholder secret refuses to serve and names GATEWAY_SECRET_KEY."""
    result = _gateway("serve", cwd=tmp_path, env=_env(GATEWAY_ENV="prod"))
    assert result.returncode == 2
    assert "GATEWAY_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_a_bad_registry_file_fails_start_up(tmp_path: Path) -> None:
    """A malformed GATEWAY_REGISTRY_FILE stops `serve` with exit 3 and the coded error logged."""
    registry = tmp_path / "registry.csv"
    registry.write_text("not,a,registry\n", encoding="utf-8")
    env = _env(GATEWAY_REGISTRY_FILE=str(registry), GATEWAY_DATA_DIR=str(tmp_path / "data"))
    result = _gateway("serve", "--port", str(_free_port()), cwd=tmp_path, env=env)
    assert result.returncode == 3
    assert "REGISTRY_FORMAT" in result.stderr


def test_serve_starts_a_node_that_answers_healthz(tmp_path: Path) -> None:
    """`python -m gateway serve --port P` answers /healthz and /readyz, then stops on SIGTERM."""
    port = _free_port()
    data_dir = tmp_path / "data"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=_env(GATEWAY_DATA_DIR=str(data_dir), GATEWAY_LOG_JSON="true"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + SERVE_START_TIMEOUT
            health = None
            while health is None:
                assert process.poll() is None, log_path.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "the node did not answer /healthz in time"
                try:
                    health = httpx.get(f"{base}/healthz", timeout=1.0)
                except httpx.TransportError:
                    time.sleep(0.1)
            assert health.status_code == 200
            assert health.json() == {"status": "ok"}
            assert health.headers["X-Request-ID"]
            ready = httpx.get(f"{base}/readyz", timeout=5.0)
            assert ready.json()["status"] == "ready"
            assert (data_dir / "gateway.db").is_file()  # serve creates its database
        finally:
            process.terminate()
            process.wait(timeout=COMMAND_TIMEOUT)
    logged = log_path.read_text(encoding="utf-8")
    assert "node starting" in logged
    assert "node stopped" in logged


def test_migrate_and_systems_commands(tmp_path: Path) -> None:
    """`migrate`, `systems add/list/disable/grant/rotate-secret` work on the configured store."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"), GATEWAY_AUTO_MIGRATE="false")
    migrated = _gateway("migrate", cwd=tmp_path, env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "revision" in migrated.stdout
    added = _gateway("systems", "add", "000.00.00.H14", "--agency", "H14", cwd=tmp_path, env=env)
    assert added.returncode == 0, added.stderr
    shown = json.loads(added.stdout)
    assert shown["grants"] == ["H14"]
    assert len(shown["secret"]) >= 16
    assert shown["token"].startswith("gwt_")
    again = _gateway("systems", "add", "000.00.00.H14", "--agency", "H14", cwd=tmp_path, env=env)
    assert again.returncode == 1
    assert "SYSTEM_EXISTS" in again.stderr
    bad = _gateway("systems", "add", "x", "--agency", "not a code", cwd=tmp_path, env=env)
    assert bad.returncode == 1
    assert "SYSTEM_GRANT_INVALID" in bad.stderr
    granted = _gateway(
        "systems", "grant", "000.00.00.H14", "--agency", "H41.92", "--admin", cwd=tmp_path, env=env
    )
    assert json.loads(granted.stdout)["grants"] == ["H14", "H41.92"]
    assert json.loads(granted.stdout)["admin"] is True
    disabled = _gateway("systems", "disable", "000.00.00.H14", cwd=tmp_path, env=env)
    assert json.loads(disabled.stdout)["enabled"] is False
    rotated = _gateway("systems", "rotate-secret", "000.00.00.H14", cwd=tmp_path, env=env)
    assert rotated.returncode == 0
    assert len(json.loads(rotated.stdout)["secret"]) >= 16
    listed = json.loads(_gateway("systems", "list", cwd=tmp_path, env=env).stdout)
    assert [s["system_id"] for s in listed] == ["000.00.00.H14"]
    assert "secret" not in listed[0]
    assert "token" not in listed[0]


def test_systems_add_prints_one_json_document_on_stdout(tmp_path: Path) -> None:
    """`systems add` (auto-migrating, INFO logs) prints only its JSON on stdout: `| jq .token`
    works; the log lines go to stderr with +07:00 timestamps."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"), GATEWAY_LOG_JSON="true")
    assert _gateway("migrate", cwd=tmp_path, env=env).returncode == 0
    # An older schema: `systems add` migrates it, and logs that it did (INFO).
    downgraded = subprocess.run(
        [sys.executable, "-c", _DOWNGRADE, str(tmp_path / "data" / "gateway.db")],
        capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False,
    )  # fmt: skip
    assert downgraded.returncode == 0, downgraded.stderr
    added = _gateway("systems", "add", "000.00.00.H14", "--agency", "H14", cwd=tmp_path, env=env)
    assert added.returncode == 0, added.stderr
    shown = json.loads(added.stdout)  # the whole of stdout is one JSON document
    assert shown["token"].startswith("gwt_")
    assert shown["created_at"].endswith("+07:00")
    named, *lines = added.stderr.splitlines()
    assert named.startswith("data directory ")
    logged = [json.loads(line) for line in lines]  # alembic's records included
    assert "database migrated" in [line["event"] for line in logged]
    assert all(line["timestamp"].endswith("+07:00") for line in logged)


def test_rotate_secret_and_token_print_json_like_add(tmp_path: Path) -> None:
    """`rotate-secret` and `rotate-token` print the system as JSON with the new secret/token."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"))
    assert _gateway("migrate", cwd=tmp_path, env=env).returncode == 0
    added = _gateway("systems", "add", "sys-a", "--agency", "H14", cwd=tmp_path, env=env)
    first = json.loads(added.stdout)
    secret = json.loads(_gateway("systems", "rotate-secret", "sys-a", cwd=tmp_path, env=env).stdout)
    assert (secret["system_id"], secret["grants"]) == ("sys-a", ["H14"])
    assert len(secret["secret"]) >= 16
    assert secret["secret"] != first["secret"]
    assert "token" not in secret
    given = _gateway(
        "systems", "rotate-secret", "sys-a", "--secret", "s" * 32, cwd=tmp_path, env=env
    )
    assert given.returncode == 0, given.stderr
    assert "secret" not in json.loads(given.stdout)  # given, so not printed back
    token = json.loads(_gateway("systems", "rotate-token", "sys-a", cwd=tmp_path, env=env).stdout)
    assert token["system_id"] == "sys-a"
    assert token["token"].startswith("gwt_")
    assert token["token"] != first["token"]
    assert "secret" not in token


def test_store_commands_name_the_data_directory(tmp_path: Path) -> None:
    """Each command on the node's data names the resolved data directory and database on
    stderr, and nowhere on stdout."""
    data = tmp_path / "data"
    env = _env(GATEWAY_DATA_DIR="data")  # relative: resolved against the working directory
    migrated = _gateway("migrate", cwd=tmp_path, env=env)
    assert migrated.returncode == 0, migrated.stderr
    named = f"data directory {data.resolve()}, database {(data / 'gateway.db').resolve()}"
    assert named in migrated.stderr
    listed = _gateway("systems", "list", cwd=tmp_path, env=env)
    assert named in listed.stderr
    assert json.loads(listed.stdout) == []


def test_commands_other_than_serve_and_migrate_create_no_database(tmp_path: Path) -> None:
    """Run where there is no database, `systems`, `worker` and `calendar override` exit 4
    (STORE_MISSING) naming the directory and the remedy, and create nothing."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in (
        ("systems", "list"),
        ("systems", "add", "sys-a", "--agency", "H14"),
        ("worker",),
        ("calendar", "override", "list"),
    ):
        result = _gateway(*args, cwd=elsewhere)
        assert result.returncode == 4, (args, result.stderr)
        assert "STORE_MISSING" in result.stderr
        assert str((elsewhere / "var").resolve()) in result.stderr
        assert "python -m gateway migrate" in result.stderr
        assert "GATEWAY_DATA_DIR" in result.stderr
        assert "Traceback" not in result.stderr
        assert result.stdout == ""
    assert list(elsewhere.iterdir()) == []


def test_an_empty_database_file_is_not_initialised_by_systems(tmp_path: Path) -> None:
    """An existing file with no node schema is refused (exit 4) and left empty."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "gateway.db").write_bytes(b"")
    result = _gateway("systems", "list", cwd=tmp_path, env=_env(GATEWAY_DATA_DIR=str(data)))
    assert result.returncode == 4, result.stderr
    assert "STORE_MISSING" in result.stderr
    assert (data / "gateway.db").stat().st_size == 0


def test_an_older_schema_is_refused_without_auto_migrate(tmp_path: Path) -> None:
    """With GATEWAY_AUTO_MIGRATE=false a database behind the code exits 1 STORE_NOT_MIGRATED,
    naming `python -m gateway migrate`."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"), GATEWAY_AUTO_MIGRATE="false")
    assert _gateway("migrate", cwd=tmp_path, env=env).returncode == 0
    downgraded = subprocess.run(
        [sys.executable, "-c", _DOWNGRADE, str(tmp_path / "data" / "gateway.db")],
        capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False,
    )  # fmt: skip
    assert downgraded.returncode == 0, downgraded.stderr
    refused = _gateway("systems", "list", cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert "STORE_NOT_MIGRATED" in refused.stderr
    assert "python -m gateway migrate" in refused.stderr


def test_served_vxp_answers_expect_100_continue(tmp_path: Path) -> None:
    """A real server answers `Expect: 100-continue` at once (VXP Q8: no 3 s stall per call)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_env(GATEWAY_DATA_DIR=str(tmp_path / "data")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + SERVE_START_TIMEOUT
        while True:
            assert process.poll() is None
            assert time.monotonic() < deadline, "the node did not start in time"
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", port), timeout=2.0) as conn:
            conn.sendall(
                b"POST /vxp/getEdoc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"
            )
            # Within the 2 s socket timeout, before any body byte: either the interim
            # 100 Continue or, when the action needs no body, the final answer at once.
            reply = conn.recv(4096)
            if reply.startswith(b"HTTP/1.1 100 Continue"):
                conn.sendall(b"{}")
                reply = b""
            while b'"ErrorCode"' not in reply:
                chunk = conn.recv(4096)
                assert chunk, reply
                reply += chunk
        assert b'"status":"FAIL"' in reply
        assert b'"ErrorCode":"15"' in reply
    finally:
        process.terminate()
        process.wait(timeout=COMMAND_TIMEOUT)


def test_serve_with_two_workers_answers_keep_alive_without_delay(tmp_path: Path) -> None:
    """`serve --workers 2` shares one port; keep-alive answers take no ~40 ms delayed-ACK stall."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=_env(GATEWAY_DATA_DIR=str(tmp_path / "data")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + SERVE_START_TIMEOUT
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=2.0) as client:
            while True:
                assert process.poll() is None
                assert time.monotonic() < deadline, "the node did not start in time"
                try:
                    if client.get("/readyz").json()["status"] == "ready":
                        break
                except (httpx.TransportError, ValueError, KeyError):
                    pass
                time.sleep(0.1)
            times = []
            for _ in range(20):  # one keep-alive connection
                started = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                times.append(time.perf_counter() - started)
        times.sort()
        assert times[len(times) // 2] < 0.02, times  # Nagle + delayed ACK would be ~0.04 each
    finally:
        process.terminate()
        process.wait(timeout=COMMAND_TIMEOUT)
