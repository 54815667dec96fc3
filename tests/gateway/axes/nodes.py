"""Three nodes in one process: the national node and the Cao Bằng (H14) and Lạng Sơn (H37)
provincial nodes, linked through in-process transports (issue 4).

On the ``services`` backend each node has its own PostgreSQL schema and its own RabbitMQ vhost
(created with ``rabbitmqctl``, see :func:`ensure_vhosts`).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.app import create_app
from gateway.core.clock import SystemClock
from gateway.core.secrets import SecretBox
from gateway.core.systems import SystemAdmin
from gateway.settings import Settings
from tests.conftest import TEST_AMQP_URL
from tests.gateway.exchange.conftest import Node, drop_services, node_settings

#: The provincial nodes as systems of the national node.
CAO_BANG, LANG_SON = "node-h14", "node-h37"
#: Agencies: a sender and a local recipient in Cao Bằng, two recipients in Lạng Sơn.
SENDER, LOCAL = "000.00.00.H14", "000.00.91.H14"
REMOTE, REMOTE2 = "000.00.91.H37", "000.00.92.H37"
#: Document systems of each province: (system id, secret, grants).
H14_SYSTEMS = [(SENDER, "secret-sender", ("H14",)), (LOCAL, "secret-local", (LOCAL,))]
H37_SYSTEMS = [(REMOTE, "secret-remote", (REMOTE,)), (REMOTE2, "secret-remote2", (REMOTE2,))]
VHOSTS = {"national": "truc_axes_national", "h14": "truc_axes_h14", "h37": "truc_axes_h37"}

Systems = list[tuple[str, str, tuple[str, ...]]]


def ensure_vhosts() -> dict[str, str]:
    """One RabbitMQ vhost per node (guest may use it): name by node.

    Vhosts are an administration matter AMQP cannot reach, so they are created with
    ``rabbitmqctl``. Where that tool cannot be used (another host, no rights), the nodes share the
    default vhost, each under its own queue prefix (still isolated), with a warning: the test
    still runs against the real broker, it is not skipped.
    """
    rabbitmqctl = shutil.which("rabbitmqctl")
    problem = None
    if rabbitmqctl is None:
        problem = "rabbitmqctl is not on PATH"
    else:
        try:
            problem = _create_vhosts(rabbitmqctl)
        except (OSError, subprocess.SubprocessError) as exc:
            problem = f"rabbitmqctl failed: {exc}"
    if problem is not None:
        warnings.warn(
            f"{problem}: the three nodes share the default vhost, one queue prefix each",
            stacklevel=2,
        )
        return {}
    return VHOSTS


def _create_vhosts(rabbitmqctl: str) -> str | None:
    listed = subprocess.run(
        [rabbitmqctl, "-q", "list_vhosts"], capture_output=True, text=True, timeout=60
    )
    if listed.returncode != 0:
        return f"rabbitmqctl list_vhosts failed: {listed.stderr.strip()}"
    have = set(listed.stdout.split())
    for vhost in VHOSTS.values():
        if vhost in have:
            continue
        for command in (
            ["add_vhost", vhost],
            ["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        ):
            done = subprocess.run(
                [rabbitmqctl, "-q", *command], capture_output=True, text=True, timeout=60
            )
            if done.returncode != 0:
                return f"rabbitmqctl {command[0]} failed: {done.stderr.strip()}"
    return None


def _amqp_in(vhost: str) -> str:
    return TEST_AMQP_URL.rstrip("/") + "/" + vhost


@dataclass
class Axes:
    """The three running nodes."""

    national: Node
    cao_bang: Node
    lang_son: Node
    #: Set to make the national node unreachable from the provincial nodes.
    down: asyncio.Event


class _Switch(httpx.AsyncBaseTransport):
    """An in-process link that can be cut: while ``down`` is set, every call fails to connect."""

    def __init__(self, inner: httpx.AsyncBaseTransport, down: asyncio.Event) -> None:
        self.inner = inner
        self.down = down

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down.is_set():
            raise httpx.ConnectError("national node down (test)", request=request)
        return await self.inner.handle_async_request(request)


async def _register(node: Node, systems: Systems) -> None:
    runtime = node.runtime
    admin = SystemAdmin(
        runtime.store,
        SecretBox(node.settings.secret_key.get_secret_value()),
        runtime.registry,
        SystemClock(),
    )
    # At the national node the provincial nodes' systems are node links (docs/axes.md).
    links = node.settings.role.value == "national"
    for system_id, secret, grants in systems:
        await admin.add(system_id, grants, secret=secret, node_link=links)


@asynccontextmanager
async def _node(
    settings: Settings, systems: Systems, upstream_http: httpx.AsyncClient | None = None
) -> AsyncIterator[Node]:
    app = create_app(settings, upstream_http=upstream_http)
    node = Node(app, settings)
    try:
        async with app.router.lifespan_context(app):
            await _register(node, systems)
            yield node
            for client in node.clients:
                await client.aclose()
            for http in node.https:
                await http.aclose()
    finally:
        await drop_services(settings)


@asynccontextmanager
async def three_nodes(
    backend: str, tmp_path: Path, *, tweak: Callable[[str, dict[str, Any]], None] | None = None
) -> AsyncIterator[Axes]:
    """Start the national node, then Cao Bằng's and Lạng Sơn's, linked to it."""
    vhosts = ensure_vhosts() if backend == "services" else {}

    def settings(name: str, **values: Any) -> Settings:
        values.setdefault("upstream_poll_seconds", 0.05)
        if name in vhosts:
            values["amqp_url"] = _amqp_in(vhosts[name])
        if tweak is not None:
            tweak(name, values)
        base = node_settings(backend, tmp_path / name, **values)
        return base

    down = asyncio.Event()
    async with AsyncExitStack() as stack:
        national = await stack.enter_async_context(
            _node(
                settings("national", role="national", node_id="000.00.00.G22"),
                [(CAO_BANG, "secret-h14", ("H14",)), (LANG_SON, "secret-h37", ("H37",))],
            )
        )
        provincial: list[Node] = []
        for name, code, system_id, secret, systems in (
            ("h14", "H14", CAO_BANG, "secret-h14", H14_SYSTEMS),
            ("h37", "H37", LANG_SON, "secret-h37", H37_SYSTEMS),
        ):
            link = httpx.AsyncClient(
                transport=_Switch(httpx.ASGITransport(app=national.app), down), timeout=30
            )
            stack.push_async_callback(link.aclose)
            node = await stack.enter_async_context(
                _node(
                    settings(
                        name,
                        node_id=f"000.00.00.{code}",
                        province_codes=code,
                        upstream_url="http://national.test/vxp",
                        upstream_system_id=system_id,
                        upstream_secret=secret,
                    ),
                    systems,
                    upstream_http=link,
                )
            )
            provincial.append(node)
        yield Axes(national, provincial[0], provincial[1], down)
