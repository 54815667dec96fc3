"""Shared fixtures: paths to the shared corpus and the real-service URLs.

Tests marked ``services`` talk to the real PostgreSQL and RabbitMQ. Locally they skip when a
service is unreachable; under ``CI=true`` an unreachable service is a failure, never a skip.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from gateway.settings import Settings
from gateway.store.database import sqlite_file

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SDK_SAMPLES = SHARED / "data" / "edxml" / "sdk-samples"
IN_CI = os.environ.get("CI", "").lower() == "true"

TEST_DATABASE_URL = os.environ.get(
    "GATEWAY_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
TEST_AMQP_URL = os.environ.get("GATEWAY_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        address = (parts.hostname or "127.0.0.1", parts.port or default_port)
        with socket.create_connection(address, 2):
            return True
    except OSError:
        return False


def require_service(name: str, url: str, default_port: int) -> str:
    """Return ``url`` if the service answers; skip locally, fail under CI=true."""
    if _reachable(url, default_port):
        return url
    message = f"{name} is not reachable at {url}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: service tests must run, not skip)")
    pytest.skip(message)


@functools.cache
def _migrated_template() -> Path:
    """A SQLite database migrated to head by the node's own migrations, once per test process."""
    from alembic import command
    from sqlalchemy import create_engine

    from gateway.store.database import _config

    directory = Path(tempfile.mkdtemp(prefix="gateway-template-"))
    atexit.register(shutil.rmtree, directory, True)
    path = directory / "gateway.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            command.upgrade(_config(connection), "head")
    finally:
        engine.dispose()
    return path


def seed_migrated(database: Path) -> Path:
    """Put a database migrated to head at ``database`` (a SQLite file that must not exist yet).

    A fresh test store is a copy of one template database the migrations built once per
    process, instead of running the 13 migrations again for every test (0.4 s each). The
    migrations themselves are tested on empty databases in tests/gateway/store/test_migrations.py
    and by the commands' tests, which never seed.
    """
    if database.exists():
        raise FileExistsError(f"{database} exists: a seeded store must be new")
    database.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_template(), database)
    return database


def seeded(settings: Settings) -> Settings:
    """``settings``, with their SQLite database seeded by :func:`seed_migrated` when it does not
    exist yet (PostgreSQL schemas and existing files are left to the node's own migrations)."""
    database = sqlite_file(settings.database_url)
    if database is not None and not database.exists():
        seed_migrated(database)
    return settings


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared/ folder beside the project (specs and real data)."""
    if not SHARED.is_dir():
        pytest.fail(f"shared/ not found beside the project at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL test database."""
    return require_service("PostgreSQL", TEST_DATABASE_URL, 5432)


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """URL of the real RabbitMQ broker."""
    return require_service("RabbitMQ", TEST_AMQP_URL, 5672)


#: Debian's Chromium, driven by Playwright for Python (no browser download; scripts/browser).
CHROMIUM = Path("/usr/bin/chromium")
#: Chromium's flags on this closed network (no background connections, no sandbox as root).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The Chromium executable; skip locally when missing, fail under CI=true."""
    if CHROMIUM.is_file():
        return CHROMIUM
    message = f"{CHROMIUM} is not installed (scripts/browser installs it)"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: browser tests must run, not skip)")
    pytest.skip(message)
