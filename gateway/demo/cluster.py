"""Three axis nodes in one process: a national node and two provincial ones, on local ports.

Each node is the ordinary app (:func:`gateway.app.create_app`) on the embedded default (SQLite and
the in-process bus, its own data directory and ``secret_key``), served by uvicorn as a task of the
demo's event loop. The provincial nodes link to the national node over real HTTP, as clients of
its VXP-compatible API; the national node knows them as ordinary systems owning their province's
code subtree (docs/axes.md). The demo document systems are registered on their node with a
generated secret, and talk to it with the SDK-faithful :class:`connectors.vxp.client.VxpClient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from connectors.vxp.client import VxpClient
from connectors.vxp.retry import RetryPolicy as ClientRetry
from gateway.app import create_app
from gateway.core.clock import SystemClock
from gateway.core.secrets import SecretBox
from gateway.core.systems import SystemAdmin
from gateway.runtime import Runtime
from gateway.settings import Environment, NodeRole, Settings
from identifiers import Agency, Registry

NATIONAL, CAO_BANG, LANG_SON = "national", "H14", "H37"


class DemoError(Exception):
    """A step of the demo failed or timed out; the message names the step."""


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One node of the demo."""

    key: str  # NATIONAL, CAO_BANG or LANG_SON
    name: str
    node_id: str  # its OrganId in trace headers
    province: str | None = None  # None: the national node

    @property
    def link_id(self) -> str:
        """How the national node knows this provincial node (its system id there)."""
        return f"node-{self.key.lower()}"


@dataclass(frozen=True, slots=True)
class DemoSystem:
    """A demo document system: connected to one node, acting for one agency."""

    system_id: str
    node: str
    agency: str
    name: str


NODES = (
    NodeSpec(NATIONAL, "national node", "000.00.00.G22"),
    NodeSpec(CAO_BANG, "Cao Bằng node (H14)", "000.00.00.H14", "H14"),
    NodeSpec(LANG_SON, "Lạng Sơn node (H37)", "000.00.00.H37", "H37"),
)
SYSTEMS = (
    DemoSystem("vpubnd-caobang", CAO_BANG, "000.00.00.H14", "UBND tỉnh Cao Bằng"),
    DemoSystem("sonv-caobang", CAO_BANG, "000.00.91.H14", "Sở Nội vụ tỉnh Cao Bằng [DEMO]"),
    DemoSystem("vpubnd-langson", LANG_SON, "000.00.00.H37", "UBND tỉnh Lạng Sơn"),
    DemoSystem("sonv-langson", LANG_SON, "000.00.91.H37", "Sở Nội vụ tỉnh Lạng Sơn [DEMO]"),
)
#: Agencies only Lạng Sơn's own registry knows: the national node routes them by subtree.
LANG_SON_AGENCIES = (
    Agency(
        code="H37.91",
        code102="000.00.91.H37",
        name="Sở Nội vụ tỉnh Lạng Sơn [DEMO]",
        parent="H37",
        level=2,
        demo=True,
        evidence="DEMO: fictitious code of the three-node demo; not a real agency",
    ),
)


class DemoSettings(Settings):
    """A demo node's settings from the demo's values only: no GATEWAY_* variable, no .env."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves the signals alone: the demo stops its three nodes itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:``port`` (0: a free port the system picks)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as error:
        sock.close()
        raise DemoError(f"cannot listen on 127.0.0.1:{port}: {error.strerror}") from error
    return sock


def _demo_registry(path: Path, extra: tuple[Agency, ...]) -> Path:
    """Write the bundled registry plus the ``extra`` agencies it lacks to ``path`` (blocking)."""
    registry = Registry.load_default()
    for agency in extra:
        if agency.code102 is None or registry.get(agency.code102) is None:
            registry.add(agency)
    registry.to_json(path)
    return path


@dataclass
class RunningNode:
    """A started node: its settings, app, server task and listening socket."""

    spec: NodeSpec
    settings: Settings
    app: FastAPI
    server: uvicorn.Server
    sock: socket.socket
    task: asyncio.Task[None]

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        return int(self.sock.getsockname()[1])

    @property
    def url(self) -> str:
        """Its base URL (the native API under /api/v1, its docs at /docs)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def vxp_url(self) -> str:
        """The VXP endpoint an SDK points at."""
        return f"{self.url}/vxp"

    @property
    def runtime(self) -> Runtime:
        """The node's open resources (store, exchange, registry…)."""
        runtime = self.app.state.runtime
        if not isinstance(runtime, Runtime):
            raise DemoError(f"{self.spec.name} is not running")
        return runtime


@dataclass
class Cluster:
    """The three nodes, the secrets of the links and of the demo systems, and their clients."""

    root: Path
    base_port: int | None = None
    log_level: str = "WARNING"
    nodes: dict[str, RunningNode] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # system id → VXP secret
    _clients: list[VxpClient] = field(default_factory=list)

    def node(self, key: str) -> RunningNode:
        """A started node by key."""
        return self.nodes[key]

    def _settings(self, spec: NodeSpec, port: int, **extra: object) -> Settings:
        data_dir = self.root / spec.key.lower()
        values: dict[str, Any] = {
            "env": Environment.DEV,
            "role": NodeRole.NATIONAL if spec.province is None else NodeRole.PROVINCIAL,
            "node_id": spec.node_id,
            "host": "127.0.0.1",
            "port": port,
            "data_dir": data_dir,
            "database_url": "",
            "amqp_url": None,
            "database_schema": None,
            "auto_migrate": True,
            "run_workers": True,
            "secret_key": secrets.token_urlsafe(32),
            "registry_file": None,
            "trust_file": None,
            "calendar_file": None,
            "office_hours": None,
            "calendar_refresh_seconds": 0,
            "province_codes": spec.province or "",
            "upstream_url": None,
            "upstream_system_id": None,
            "upstream_secret": None,
            "upstream_poll_seconds": 0.2,
            "upstream_timeout_seconds": 5.0,
            "bus_retry_delays": "0.2,0.5,1,2,5",
            "log_level": self.log_level,
            "log_json": False,
        }
        values.update(extra)
        return DemoSettings(**values)

    async def start(self, within: float) -> None:
        """Start the national node, register the provincial links, then the provincial nodes."""
        ports = [0, 0, 0] if self.base_port is None else [self.base_port + i for i in range(3)]
        socks = [_listen(port) for port in ports]
        try:
            national_spec, *provincial_specs = NODES
            national = self._settings(national_spec, socks[0].getsockname()[1])
            await self._start_node(national_spec, national, socks[0], within)
            admin = self._admin(self.node(NATIONAL))
            for spec in provincial_specs:
                secret = secrets.token_urlsafe(24)
                self.secrets[spec.link_id] = secret
                await admin.add(spec.link_id, [spec.province or ""], secret=secret, node_link=True)
            for spec, sock in zip(provincial_specs, socks[1:], strict=True):
                extra: dict[str, object] = {
                    "upstream_url": self.node(NATIONAL).vxp_url,
                    "upstream_system_id": spec.link_id,
                    "upstream_secret": self.secrets[spec.link_id],
                }
                if spec.key == LANG_SON:
                    path = self.root / "registry-h37.json"
                    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
                    extra["registry_file"] = await asyncio.to_thread(
                        _demo_registry, path, LANG_SON_AGENCIES
                    )
                settings = self._settings(spec, sock.getsockname()[1], **extra)
                await self._start_node(spec, settings, sock, within)
            for system in SYSTEMS:
                secret = secrets.token_urlsafe(24)
                self.secrets[system.system_id] = secret
                await self._admin(self.node(system.node)).add(
                    system.system_id, [system.agency], secret=secret, description=system.name
                )
        except BaseException:
            for sock in socks:
                if not any(node.sock is sock for node in self.nodes.values()):
                    sock.close()
            raise

    @staticmethod
    def _admin(node: RunningNode) -> SystemAdmin:
        runtime = node.runtime
        box = SecretBox(node.settings.secret_key.get_secret_value())
        return SystemAdmin(runtime.store, box, runtime.registry, SystemClock())

    async def _start_node(
        self, spec: NodeSpec, settings: Settings, sock: socket.socket, within: float
    ) -> None:
        app = create_app(settings)
        config = uvicorn.Config(
            app,
            log_config=None,  # create_app configured logging
            # None: uvicorn leaves its loggers' levels alone (they are process-wide; the root
            # level set by create_app applies).
            log_level=None,
            lifespan="on",
            access_log=False,
            server_header=False,
        )
        server = _Server(config)

        async def serve() -> None:
            try:
                await server.serve(sockets=[sock])
            except SystemExit as stopped:  # uvicorn's way to report a failed start-up
                raise DemoError(f"{spec.name} failed to start (exit {stopped.code})") from None

        task = asyncio.create_task(serve(), name=f"demo-{spec.key}")
        node = RunningNode(spec, settings, app, server, sock, task)
        self.nodes[spec.key] = node
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
                raise DemoError(f"{spec.name} stopped while starting")
            if loop.time() > deadline:
                raise DemoError(f"step 'start {spec.name}' timed out after {within:g}s")
            await asyncio.sleep(0.05)

    def client(self, system_id: str, node: str) -> VxpClient:
        """An SDK-like client of ``system_id`` on ``node`` (closed by :meth:`stop`)."""
        client = VxpClient(
            self.node(node).vxp_url,
            system_id,
            self.secrets[system_id],
            timeout=10.0,
            retry=ClientRetry(attempts=2),
        )
        self._clients.append(client)
        return client

    async def stop(self) -> None:
        """Close the clients, then stop the provincial nodes and last the national node."""
        for client in self._clients:
            await client.aclose()
        self._clients.clear()
        for key in (LANG_SON, CAO_BANG, NATIONAL):
            node = self.nodes.pop(key, None)
            if node is not None:
                await self._stop_node(node)

    @staticmethod
    async def _stop_node(node: RunningNode) -> None:
        node.server.should_exit = True
        done, _ = await asyncio.wait({node.task}, timeout=10)
        if not done:
            node.server.force_exit = True
            node.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, DemoError):
            await node.task
        node.sock.close()
