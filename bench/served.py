"""Child processes the benchmark serves from: ``python -m gateway serve --workers N`` and the floor.

:class:`ServedNode` runs the real command line (settings as ``GATEWAY_*`` variables) on a
database the benchmark prepared, and is stopped with SIGTERM like a deployment; :class:`Floor`
runs ``bench/floor.py`` and is stopped over its stdin.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from loadgen import LeanClient

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


async def analyze_schema(dsn: str, schema: str) -> int:
    """``ANALYZE`` every table of ``schema`` (a libpq DSN); the number of tables.

    A schema the run has just created has no planner statistics yet, and the generic plans a
    server caches for its prepared statements while the tables are nearly empty may pick any
    index that matches (docs/benchmarks.md, round six). In service, autovacuum keeps the
    statistics current; the run does once what autovacuum would have done by then.
    """
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
        for (table,) in tables:
            await conn.execute(f'ANALYZE "{schema}"."{table}"')
        return len(tables)
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}


def _env(settings: dict[str, Any]) -> dict[str, str]:
    """The environment without GATEWAY_* variables, plus ``settings`` as GATEWAY_* variables."""
    from gateway.settings import env_var

    env = _clean_env()
    for name, value in settings.items():
        if value is not None:
            env[env_var(name)] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


class ServedNode:
    """``python -m gateway serve --workers N --port P``: the root pid is the supervisor (N > 1)."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc, self.port = proc, port

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    async def start(cls, settings: dict[str, Any], workers: int, log_path: Path) -> ServedNode:
        env = _env(settings)
        port = free_port()
        with log_path.open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gateway", "serve", "--port", str(port),
                "--workers", str(workers),
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=str(ROOT),
            )  # fmt: skip
        node = cls(proc, port)
        probe = LeanClient("127.0.0.1", port, "probe", "probe")
        try:
            async with asyncio.timeout(120):
                # Every worker logs this once its lifespan (and the node's workers) started.
                while log_path.read_bytes().count(b"Application startup complete") < workers:  # noqa: ASYNC240
                    if proc.returncode is not None:
                        raise SystemExit(f"error: gateway serve exited; see {log_path}")
                    await asyncio.sleep(0.2)
                await probe.get("/readyz")
        except TimeoutError:
            proc.kill()
            raise SystemExit(f"error: gateway serve did not start; see {log_path}") from None
        finally:
            await probe.aclose()
        return node

    @classmethod
    async def start_worker(cls, settings: dict[str, Any], log_path: Path) -> ServedNode:
        """``python -m gateway worker`` (relay and router) on the same settings."""
        with log_path.open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "gateway", "worker",
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log, env=_env(settings),
                cwd=str(ROOT),
            )  # fmt: skip
        try:
            async with asyncio.timeout(120):
                while b"workers running" not in log_path.read_bytes():  # noqa: ASYNC240
                    if proc.returncode is not None:
                        raise SystemExit(f"error: gateway worker exited; see {log_path}")
                    await asyncio.sleep(0.2)
        except TimeoutError:
            proc.kill()
            raise SystemExit(f"error: gateway worker did not start; see {log_path}") from None
        return cls(proc, 0)

    async def stop(self) -> None:
        if self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), 60)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


class Floor:
    """``bench/floor.py CONFIG`` in a child process; ``READY port`` on stdout, ``stop`` on stdin."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc, self.port = proc, port

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    async def start(cls, config: dict[str, Any], config_path: Path, log_path: Path) -> Floor:
        config_path.write_text(json.dumps(config), encoding="utf-8")  # noqa: ASYNC240
        with log_path.open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, str(BENCH / "floor.py"), str(config_path),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log,
                env=_clean_env(), cwd=str(ROOT),
            )  # fmt: skip
        assert proc.stdout is not None
        try:
            line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
        except TimeoutError:
            proc.kill()
            raise SystemExit(f"error: the floor did not start; see {log_path}") from None
        if not line.startswith("READY "):
            raise SystemExit(f"error: the floor failed to start ({line!r}); see {log_path}")
        return cls(proc, int(line.split()[1]))

    async def stop(self) -> None:
        if self.proc.returncode is not None:
            return
        assert self.proc.stdin is not None
        with contextlib.suppress(ConnectionError):
            self.proc.stdin.write(b"stop\n")
            await self.proc.stdin.drain()
        try:
            await asyncio.wait_for(self.proc.wait(), 60)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
