"""Fixtures of the node's tests: a clean environment, settings, the app with its lifespan."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from fastapi import FastAPI

from gateway.app import create_app
from gateway.settings import ENV_PREFIX, Settings
from tests.conftest import seeded


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run every test without GATEWAY_* variables, in an empty directory (no stray .env)."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Undo what configure_logging does to the root logger and structlog after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Dev settings with the data directory under the test's temporary directory, holding a
    database already migrated to head (:func:`tests.conftest.seed_migrated`)."""
    return seeded(Settings(data_dir=tmp_path / "var"))


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    """A node app built from the test settings (lifespan not started)."""
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process, with the app's lifespan running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as client:
            yield client
