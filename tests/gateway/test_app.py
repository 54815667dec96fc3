"""The app factory and its lifespan: nothing at import, registry once, clean shutdown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.directory import load_registry
from gateway.runtime import Runtime
from gateway.settings import Settings
from identifiers import Agency, Registry, RegistryFormatError


def test_importing_the_node_reads_no_environment(tmp_path: Path) -> None:
    """Importing gateway.app and gateway.cli succeeds even when the environment is invalid."""
    env = {**os.environ, "GATEWAY_ENV": "prod", "GATEWAY_PORT": "not-a-port"}
    result = subprocess.run(
        [sys.executable, "-c", "import gateway.app, gateway.cli"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


async def test_lifespan_loads_the_registry_once_and_clears_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry is read once at start-up, shared by requests, and dropped at shutdown."""
    loads: list[Settings] = []

    def counting_load(settings: Settings) -> Registry:
        loads.append(settings)
        return load_registry(settings)

    monkeypatch.setattr("gateway.runtime.load_registry", counting_load)
    app = create_app(settings)
    assert loads == []  # building the app opens nothing
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        assert runtime.registry.get("G22") is not None
        assert settings.data_dir.is_dir()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as client:
            assert (await client.get("/api/v1/agencies/G22")).status_code == 200
            assert (await client.get("/api/v1/agencies/G12")).status_code == 200
        assert app.state.runtime is runtime
    assert loads == [settings]
    assert app.state.runtime is None


async def test_registry_file_replaces_the_bundled_registry(tmp_path: Path) -> None:
    """With registry_file the node serves that registry and no bundled code."""
    path = tmp_path / "registry.csv"
    Registry([Agency(name="Sở thử nghiệm", code="H99.01")]).to_csv(path)
    app = create_app(Settings(data_dir=tmp_path / "var", registry_file=path))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node.test") as client:
            assert (await client.get("/api/v1/agencies/H99.01")).status_code == 200
            assert (await client.get("/api/v1/agencies/G22")).status_code == 404


async def test_bad_registry_file_stops_start_up(tmp_path: Path) -> None:
    """A malformed registry file fails the lifespan with a coded error: the node does not start."""
    path = tmp_path / "registry.csv"
    path.write_text("not,a,registry\n1,2,3\n", encoding="utf-8")
    app = create_app(Settings(data_dir=tmp_path / "var", registry_file=path))
    with pytest.raises(RegistryFormatError):
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover - start-up must fail before this
    assert app.state.runtime is None


async def test_openapi_and_docs_are_served(client: httpx.AsyncClient) -> None:
    """/openapi.json lists the native API with the coded error model; /docs serves Swagger UI."""
    spec = (await client.get("/openapi.json")).json()
    for path in ("/healthz", "/readyz", "/api/v1/node", "/api/v1/agencies", "/api/v1/codes/{code}"):
        assert path in spec["paths"]
    lookup = spec["paths"]["/api/v1/agencies/{code}"]["get"]["responses"]
    assert lookup["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert lookup["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
