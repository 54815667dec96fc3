"""The demo's script: start three nodes, exchange documents and statuses, revoke, print.

Every step that waits for something another node does polls with a deadline and fails naming the
step (``DemoError``), so a broken path ends the demo quickly with a clear message instead of
hanging; the timelines gathered so far are printed either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sys
import tempfile
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import httpx

from connectors.vxp.errors import VxpError
from edxml import Priority
from gateway.core.clock import VN_TZ
from gateway.core.errors import ExchangeError
from gateway.demo.cluster import (
    CAO_BANG,
    LANG_SON,
    NATIONAL,
    SYSTEMS,
    Cluster,
    DemoError,
    DemoSystem,
)
from gateway.demo.mailbox import Mailbox
from gateway.demo.packages import STATUS_ANSWERS, Letter, document_package, status_package
from gateway.demo.timeline import Tracked, print_timelines, when

T = TypeVar("T")
Writer = Callable[[str], None]

#: Seconds between two polls of a step that waits for another node.
POLL_SECONDS = 0.15


def _stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """How to run the demo."""

    base_port: int | None = None  # national, H14, H37 on base, base+1, base+2; None: free ports
    keep_running: bool = False
    step_timeout: float = 15.0  # how long a step may wait for the other nodes
    start_timeout: float = 30.0  # how long a node may take to start (migrations included)
    log_level: str = "WARNING"


def _system(system_id: str) -> DemoSystem:
    return next(s for s in SYSTEMS if s.system_id == system_id)


@dataclass
class Demo:
    """One run: the cluster, the systems' mailboxes and the documents followed."""

    cluster: Cluster
    options: DemoOptions
    out: Writer
    mailboxes: dict[str, Mailbox] = field(default_factory=dict)
    tracked: list[Tracked] = field(default_factory=list)
    step: str = "start the nodes"  # the step under way, for an unexpected error's message

    # ------------------------------------------------------------------ steps

    def _done(self, name: str, started: float) -> None:
        elapsed = asyncio.get_running_loop().time() - started
        self.out(f"  ok {elapsed:6.2f}s  {name}")

    async def until(self, name: str, probe: Callable[[], Awaitable[T | None]]) -> T:
        """Poll ``probe`` until it returns a value; DemoError naming the step at the deadline."""
        self.step = name
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + self.options.step_timeout
        last_error: Exception | None = None
        while True:
            try:
                value = await probe()
            except (VxpError, httpx.HTTPError, ExchangeError) as error:
                last_error, value = error, None
            if value is not None:
                self._done(name, started)
                return value
            if loop.time() >= deadline:
                detail = f" (last error: {last_error})" if last_error is not None else ""
                raise DemoError(
                    f"step '{name}' timed out after {self.options.step_timeout:g}s{detail}"
                )
            await asyncio.sleep(POLL_SECONDS)

    async def once(self, name: str, action: Awaitable[T]) -> T:
        """Run one call; a refusal fails the step at once."""
        self.step = name
        started = asyncio.get_running_loop().time()
        try:
            value = await action
        except (VxpError, httpx.HTTPError, ExchangeError) as error:
            raise DemoError(f"step '{name}' failed: {error}") from error
        self._done(name, started)
        return value

    # ------------------------------------------------------------------ the script

    def _letters(self) -> list[Tracked]:
        today = datetime.now(VN_TZ).date()
        h14 = _system("vpubnd-caobang")

        def letter(
            number: str,
            to: DemoSystem,
            subject: str,
            priority: Priority = Priority.THUONG,
            revokes: str | None = None,
        ) -> Letter:
            return Letter(
                h14.agency, h14.name, to.agency, to.name, number, subject, today, priority, revokes
            )

        normal_to, urgent_to, local_to = (
            _system("vpubnd-langson"),
            _system("sonv-langson"),
            _system("sonv-caobang"),
        )
        normal = letter(
            "101",
            normal_to,
            f"V/v phối hợp tổ chức Hội chợ thương mại biên giới Cao Bằng - Lạng Sơn {today.year}",
        )
        return [
            Tracked(1, "normal, across provinces H14 -> H37", normal, h14, normal_to),
            Tracked(
                2,
                "urgent (hỏa tốc), across provinces H14 -> H37",
                letter(
                    "102",
                    urgent_to,
                    "V/v phối hợp ứng phó mưa lũ tại các huyện biên giới",
                    priority=Priority.HOA_TOC,
                ),
                h14,
                urgent_to,
            ),
            Tracked(
                3,
                "normal, inside the province H14 -> H14",
                letter("103", local_to, f"V/v rà soát biên chế năm {today.year}"),
                h14,
                local_to,
            ),
            Tracked(
                4,
                "revoke of document 1 (business type 1), H14 -> H37",
                letter(
                    "104",
                    normal_to,
                    f"Thu hồi Công văn số {normal.notation}",
                    revokes=normal.document_id,
                ),
                h14,
                normal_to,
            ),
        ]

    async def send(self, tracked: Tracked) -> None:
        """The sender's system sends the letter to its node (``sendEdoc``)."""
        letter = tracked.letter
        data = document_package(letter, datetime.now(VN_TZ))
        client = self.mailboxes[tracked.sender.system_id].client
        tracked.doc_id = await self.once(
            f"{tracked.sender.system_id} sends document {tracked.number} ({tracked.label}) "
            f"to {letter.to}",
            client.send_edoc(data, from_code=letter.sender),
        )

    async def deliver(self, tracked: Tracked) -> None:
        """The receiver's system pulls, reads and confirms the letter."""
        box = self.mailboxes[tracked.receiver.system_id]
        business = 1 if tracked.letter.revokes else 0

        async def probe() -> object | None:
            await box.collect("edoc")
            return box.document(tracked.letter.document_id, business)

        await self.until(
            f"{tracked.receiver.system_id} at the {self._node_name(tracked.receiver)} "
            f"receives and confirms document {tracked.number}",
            probe,
        )
        tracked.arrival = box.document(tracked.letter.document_id, business)

    async def answer(self, tracked: Tracked) -> None:
        """The receiver answers 01, 03 and 06, each a status package to the sender."""
        receiver = tracked.receiver
        client = self.mailboxes[receiver.system_id].client
        for code, description in STATUS_ANSWERS:
            issued = datetime.now(VN_TZ)
            data = status_package(
                tracked.letter, receiver.agency, receiver.name, code, description, issued
            )
            await self.once(
                f"{receiver.system_id} answers status {code.value} on document {tracked.number}",
                client.send_edoc(data, from_code=receiver.agency, messagetype="status"),
            )
            tracked.issued[code.value] = issued.replace(microsecond=0)

    async def statuses_back(self, tracked: Tracked) -> None:
        """The sender's system receives the three statuses (and confirms them)."""
        box = self.mailboxes[tracked.sender.system_id]
        codes = [code.value for code, _ in STATUS_ANSWERS]

        async def probe() -> bool | None:
            await box.collect("status")
            for code in codes:
                found = box.status(tracked.letter.document_id, code)
                if found is not None:
                    tracked.returned[code] = found
            return True if len(tracked.returned) == len(codes) else None

        await self.until(
            f"{tracked.sender.system_id} receives statuses {', '.join(codes)} "
            f"of document {tracked.number}",
            probe,
        )

    async def receipt_back(self, tracked: Tracked) -> None:
        """The sender's node learns when the receiver confirmed (``received_at`` of its copy)."""
        node = self.cluster.node(tracked.sender.node)

        async def probe() -> datetime | None:
            if tracked.doc_id is None:
                return None
            trace = await node.runtime.exchange.trace(None, tracked.doc_id)
            times = [c.received_at for c in trace.deliveries]
            return times[0] if times and all(times) else None

        await self.until(
            f"the {node.spec.name} sees document {tracked.number} received "
            f"(receipt back from the {self._node_name(tracked.receiver)})",
            probe,
        )

    def _node_name(self, system: DemoSystem) -> str:
        return self.cluster.node(system.node).spec.name

    async def run(self) -> None:
        """The whole script (the timelines are printed by :func:`run_demo`)."""
        self.out("Starting a national node and two provincial nodes (embedded default) ...")
        started = asyncio.get_running_loop().time()
        await self.cluster.start(self.options.start_timeout)
        self._done("start the national, Cao Bằng (H14) and Lạng Sơn (H37) nodes", started)
        for system in SYSTEMS:
            client = self.cluster.client(system.system_id, system.node)
            self.mailboxes[system.system_id] = Mailbox(system, client)
        self._describe()
        self.tracked = self._letters()
        normal, urgent, local, revoke = self.tracked
        self.out("")
        self.out("Steps:")
        for tracked in (normal, urgent, local):
            await self.send(tracked)
        # Inside the province first: it needs no other node.
        for tracked in (local, urgent, normal):
            await self.deliver(tracked)
            await self.answer(tracked)
            await self.statuses_back(tracked)
        for tracked in (urgent, normal):
            await self.receipt_back(tracked)
        await self.send(revoke)
        await self.deliver(revoke)
        await self.receipt_back(revoke)

    def _describe(self) -> None:
        out = self.out
        out("")
        out("Nodes:")
        for key in (NATIONAL, CAO_BANG, LANG_SON):
            node = self.cluster.node(key)
            link = ""
            if node.settings.upstream_url:
                link = f", upstream {node.settings.upstream_url} as {node.spec.link_id}"
            out(
                f"  {node.spec.name:<20} {node.url}  (VXP {node.vxp_url}, node id "
                f"{node.spec.node_id}{link})"
            )
        out("Document systems:")
        for system in SYSTEMS:
            out(
                f"  {system.system_id:<15} on the {self.cluster.node(system.node).spec.name}, "
                f"acts for {system.agency} {system.name}"
            )


async def _wait_for_stop(stop: asyncio.Event | None) -> None:
    if stop is not None:
        await stop.wait()
        return
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, event.set)
    try:
        await event.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


async def run_demo(
    options: DemoOptions | None = None,
    *,
    out: Writer = _stdout,
    err: Writer = _stderr,
    stop: asyncio.Event | None = None,
) -> int:
    """Run the demo; 0 when every step passed, 1 (after saying which step) otherwise.

    With ``keep_running`` the nodes stay up after the script until ``stop`` is set (default:
    until SIGINT or SIGTERM, i.e. Ctrl-C).
    """
    options = options or DemoOptions()
    root = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="gateway-demo-"))
    cluster = Cluster(root, options.base_port, options.log_level)
    demo = Demo(cluster, options, out)
    failure: DemoError | None = None
    try:
        try:
            await demo.run()
        except DemoError as error:
            failure = error
        except Exception as error:  # a bug, not a slow node: still stop cleanly and say where
            failure = DemoError(
                f"step '{demo.step}' crashed: {type(error).__name__}: {error}\n"
                + traceback.format_exc()
            )
        if demo.tracked and cluster.nodes:
            out("")
            out(f"Timelines (times in ISO 8601, +07:00; printed at {when(datetime.now(VN_TZ))}):")
            client = demo.mailboxes["vpubnd-caobang"].client
            await print_timelines(cluster, demo.tracked, client, out)
        out("")
        if failure is not None:
            err(f"demo FAILED: {failure}")
        else:
            out("Demo finished: every step passed.")
        if options.keep_running and cluster.nodes:
            _print_access(cluster, out)
            await _wait_for_stop(stop)
    finally:
        with contextlib.suppress(asyncio.CancelledError):
            await cluster.stop()
        if options.keep_running:
            out(f"Data of the nodes kept in {root}")
        else:
            await asyncio.to_thread(shutil.rmtree, root, ignore_errors=True)
    return 1 if failure is not None else 0


def _print_access(cluster: Cluster, out: Writer) -> None:
    out("")
    out("The nodes keep running (Ctrl-C stops them):")
    for key in (NATIONAL, CAO_BANG, LANG_SON):
        node = cluster.node(key)
        out(f"  {node.spec.name:<20} {node.url}/docs  VXP {node.vxp_url}")
    out("Connect an SDK as one of the demo systems (system id, secret, endpoint):")
    for system in SYSTEMS:
        out(
            f"  {system.system_id:<15} {cluster.secrets[system.system_id]}  "
            f"{cluster.node(system.node).vxp_url}"
        )
