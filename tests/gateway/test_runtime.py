"""Opening the node's store: only the commands allowed to create a database create one."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from gateway.runtime import open_runtime, open_store
from gateway.settings import Settings
from gateway.store.database import StoreMissing, create_engine


async def test_open_store_without_create_refuses_a_missing_sqlite_file(tmp_path: Path) -> None:
    """`create=False` on a data directory with no database raises STORE_MISSING naming the
    directory, and creates neither the directory nor the file."""
    data = tmp_path / "data"
    with pytest.raises(StoreMissing) as raised:
        async with open_store(Settings(data_dir=data), create=False):
            pass
    assert raised.value.code == "STORE_MISSING"
    assert str(data.resolve()) in str(raised.value)
    assert "python -m gateway migrate" in str(raised.value)
    assert not data.exists()


async def test_open_runtime_without_create_leaves_no_data_directory(tmp_path: Path) -> None:
    """The worker's runtime (`create=False`) refuses a missing database before creating
    the data directory."""
    data = tmp_path / "data"
    with pytest.raises(StoreMissing):
        async with open_runtime(Settings(data_dir=data), workers=False, create=False):
            pass
    assert not data.exists()


async def test_open_store_creates_and_then_reopens_without_create(tmp_path: Path) -> None:
    """`create=True` (serve, migrate) makes the database; `create=False` then opens it."""
    settings = Settings(data_dir=tmp_path / "data")
    async with open_store(settings):
        pass
    async with open_store(settings, create=False) as store:
        assert await store.list_systems() == []


async def test_open_store_without_create_refuses_an_empty_postgres_schema(
    postgres_url: str, tmp_path: Path
) -> None:
    """On PostgreSQL a schema without the node's tables is STORE_MISSING, and `create=False`
    does not create the schema."""
    schema = f"s_{uuid.uuid4().hex[:10]}"
    settings = Settings(
        data_dir=tmp_path, database_url=postgres_url, database_schema=schema, auto_migrate=True
    )
    with pytest.raises(StoreMissing) as raised:
        async with open_store(settings, create=False):
            pass
    assert f"schema {schema}" in str(raised.value)
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
                {"s": schema},
            )
    finally:
        await engine.dispose()
    assert found == 0
