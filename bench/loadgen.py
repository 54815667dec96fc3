"""The benchmark's load generator: a lean HTTP/1.1 client speaking the SDK's wire protocol.

It shares the two cores with the node, so it must cost little: requests are the bytes
:class:`connectors.vxp.request.SdkRequestBuilder` builds (header for header what the SDK sends),
serialised once by hand and written on a keep-alive connection of a small per-system pool; the
answers are read by an :class:`asyncio.Protocol` that only splits status, ``Content-Length`` and
body. What the SDK itself reuses is precomputed: its timestamp is frozen per tenant, so the
requests of ``getReceivedEdocList`` and ``countReceiveEdoc`` (same parameters every time) are
built and signed once per system. Documents' ``getEdoc`` answers (≈190 KB of JSON) are checked
by their envelope prefix, not decoded: the benchmark knows which document a copy is from its list
item's ``senderDocId``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workload import Doc, Party, edxml_id

from connectors.vxp.protocol import SERVICE_TYPE, Action, hash_file
from connectors.vxp.request import SdkRequestBuilder

#: Every success answer of the node (``ascii_json`` keeps this order) and of the floor.
OK_PREFIX = b'{"status":"OK","ErrorCode":"0"'
_EMPTY_JSON = b"{}"


class CallFailed(Exception):
    """An answer that was not a success envelope: an error of the benchmark run."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.head_end = -1
        self.need = -1
        self.status = 0
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.waiter is None:
            return
        if self.need < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                self.waiter.set_exception(CallFailed(f"no Content-Length: {head[:300]!r}"))
                return
            stop = head.find(b"\r\n", at + 2)
            self.head_end = end + 4
            self.need = self.head_end + int(head[at + 17 : stop if stop > 0 else len(head)])
        if len(self.buf) >= self.need:
            body = bytes(self.buf[self.head_end : self.need])
            del self.buf[: self.need]
            self.need = -1
            waiter, self.waiter = self.waiter, None
            waiter.set_result((self.status, body))

    async def request(self, raw: bytes, *more: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        for part in more:  # a package: written as is, not copied into one buffer
            self.transport.write(part)
        return await self.waiter


class _Sized(bytes):
    """Stands for a body of ``length`` bytes where only its length is read."""

    def __new__(cls, length: int) -> _Sized:
        return super().__new__(cls)

    def __init__(self, length: int) -> None:
        self.length = length

    def __len__(self) -> int:
        return self.length


class LeanClient:
    """One connected system: SDK-identical requests on a pool of keep-alive connections."""

    def __init__(self, host: str, port: int, system_id: str, secret: str) -> None:
        self.host, self.port = host, port
        self.builder = SdkRequestBuilder(f"http://{host}:{port}/vxp", system_id, secret)
        self._idle: list[_Connection] = []
        self._open: list[_Connection] = []
        self._fixed: dict[tuple[Action, str], bytes] = {}
        self.calls = 0

    def _head(self, action: Action, params: Sequence[tuple[str, str]], length: int) -> bytes:
        # The builder only reads the body's length (Content-Length): pass a stand-in of that size
        # rather than copying a package.
        request = self.builder.build(action, params, _Sized(length))  # type: ignore[arg-type]
        head = b"%s %s HTTP/1.1\r\n" % (request.method.encode(), request.url.raw_path)
        return head + b"".join(k + b": " + v + b"\r\n" for k, v in request.headers.raw) + b"\r\n"

    def _raw(self, action: Action, params: Sequence[tuple[str, str]], body: bytes) -> bytes:
        return self._head(action, params, len(body)) + body

    def _fixed_request(self, action: Action, messagetype: str) -> bytes:
        key = (action, messagetype)
        raw = self._fixed.get(key)
        if raw is None:
            params = [("servicetype", SERVICE_TYPE), ("messagetype", messagetype)]
            raw = self._fixed[key] = self._raw(action, params, _EMPTY_JSON)
        return raw

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(_Connection, self.host, self.port)
        self._open.append(connection)
        return connection

    async def _call(self, raw: bytes, *more: bytes) -> bytes:
        connection = None
        while self._idle:
            candidate = self._idle.pop()
            if not candidate.closed:
                connection = candidate
                break
        reused = connection is not None
        if connection is None:
            connection = await self._connect()
        self.calls += 1
        try:
            status, body = await connection.request(raw, *more)
        except ConnectionError:
            # The server closed an idle keep-alive connection (KEEP_ALIVE_SECONDS) just as this
            # request went out on it: nothing was answered, so send it again on a fresh one, as
            # an HTTP client does (every VXP call the benchmark makes is idempotent).
            if not reused or connection.buf:
                raise
            connection = await self._connect()
            status, body = await connection.request(raw, *more)
        self._idle.append(connection)
        if status != 200 or not body.startswith(OK_PREFIX):
            raise CallFailed(f"HTTP {status}: {body[:300]!r}")
        return body

    async def send_edoc(self, data: bytes, *, from_code: str, messagetype: str = "edoc") -> str:
        """``sendEdoc``; returns the DocId."""
        params = [
            ("servicetype", SERVICE_TYPE),
            ("messagetype", messagetype),
            ("hash-file", hash_file(data)),
            ("from", from_code),
        ]
        head = self._head(Action.SEND_EDOC, params, len(data) + 2)
        answer = json.loads(await self._call(head, data, b"\r\n"))
        return str(answer["DocId"])

    async def get_received_edoc_list(self, messagetype: str = "edoc") -> list[dict[str, Any]]:
        """``getReceivedEdocList``: the items (JSON objects with ``docId``, ``senderDocId``…)."""
        raw = self._fixed_request(Action.GET_RECEIVED_EDOC_LIST, messagetype)
        items: list[dict[str, Any]] = json.loads(await self._call(raw))["data"]
        return items

    async def count_receive_edoc(self) -> int:
        raw = self._fixed_request(Action.COUNT_RECEIVE_EDOC, "edoc")
        return int(json.loads(await self._call(raw))["count"])

    async def get_edoc(self, doc_id: str) -> bytes:
        """``getEdoc``: the answer's bytes (a success envelope), not decoded."""
        return await self._call(self._raw(Action.GET_EDOC, [("docId", doc_id)], _EMPTY_JSON))

    async def update_status(self, doc_id: str, status: str = "done") -> None:
        params = [("docId", doc_id), ("status", status)]
        await self._call(self._raw(Action.UPDATE_STATUS, params, _EMPTY_JSON))

    async def get(self, path: str) -> None:
        """A plain GET (``/healthz``)."""
        await self._call_plain(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode()
        )

    async def _call_plain(self, raw: bytes) -> None:
        connection = self._idle.pop() if self._idle else None
        if connection is None or connection.closed:
            loop = asyncio.get_running_loop()
            _, connection = await loop.create_connection(_Connection, self.host, self.port)
            self._open.append(connection)
        self.calls += 1
        status, _ = await connection.request(raw)
        self._idle.append(connection)
        if status != 200:
            raise CallFailed(f"GET: HTTP {status}")

    async def aclose(self) -> None:
        for connection in self._open:
            if connection.transport is not None:
                connection.transport.close()
        self._open.clear()
        self._idle.clear()


def package_of(answer: bytes) -> bytes:
    """The package inside a ``getEdoc`` answer (used for the small status packages only)."""
    return base64.b64decode(json.loads(answer)["data"])


# ------------------------------------------------------------------------------------------------
# Driving the load: senders, receivers, and the two phases


@dataclass
class Fleet:
    """One lean client per system."""

    host: str
    port: int
    clients: dict[str, LeanClient] = field(default_factory=dict)

    def client(self, p: Party) -> LeanClient:
        if p.system_id not in self.clients:
            self.clients[p.system_id] = LeanClient(self.host, self.port, p.system_id, p.secret)
        return self.clients[p.system_id]

    @property
    def calls(self) -> int:
        return sum(c.calls for c in self.clients.values())

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


@dataclass
class Phase:
    """What one phase measured."""

    name: str
    docs: list[Doc]
    started: float = 0.0
    sent: float = 0.0  # last sendEdoc answer
    finished: float = 0.0  # last copy available (ingest) / last status confirmed (lifecycle)
    copies: list[Any] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    per_process: dict[int, float] = field(default_factory=dict)
    polls: int = 0
    empty_polls: int = 0
    calls: int = 0  # HTTP calls the load generator made
    loadgen_cpu: float = 0.0  # its own CPU seconds (process time of the benchmark process)
    rate: float = 0.0  # documents per second offered (0: each sender as fast as answered)


async def limited(items: Sequence[Any], limit: int, fn: Callable[[Any], Awaitable[None]]) -> None:
    """Run ``fn`` on every item, at most ``limit`` at a time; the first error cancels the rest."""
    semaphore = asyncio.Semaphore(limit)

    async def one(item: Any) -> None:
        async with semaphore:
            await fn(item)

    async with asyncio.TaskGroup() as group:
        for item in items:
            group.create_task(one(item))


async def pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def send_all(
    fleet: Fleet,
    phase: Phase,
    docs: Sequence[Doc],
    index: dict[str, Doc] | None = None,
    early_seen: dict[str, float] | None = None,
    schedule: tuple[float, float] | None = None,
) -> None:
    """One sender: its packages one after the other (one sendEdoc in flight).

    ``schedule`` = ``(first, interval)``: an open-loop sender, the k-th package sent at
    ``first + k × interval`` (wall clock) or at once when the sender is behind.
    """
    for k, doc in enumerate(docs):
        if schedule is not None:
            wait = schedule[0] + k * schedule[1] - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        client = fleet.client(doc.sender)
        doc.sent_at = time.time()
        doc.doc_id = await client.send_edoc(doc.data, from_code=doc.sender.code)
        doc.answered_at = time.time()
        if early_seen and doc.doc_id in early_seen:  # listed before this answer was read
            doc.seen_at = max(doc.answered_at, early_seen.pop(doc.doc_id))
        if index is not None:
            index[doc.doc_id] = doc
    phase.sent = max(phase.sent, time.time())


async def receive_loop(
    fleet: Fleet,
    phase: Phase,
    me: Party,
    by_doc_id: dict[str, Doc],
    early_seen: dict[str, float],
    stop: asyncio.Event,
    concurrency: int,
    poll: float,
) -> None:
    """A receiving system: pull the list, then fetch, confirm and answer status 01 for each item.

    "First seen" is the time of the first list answer that holds a copy, measured on the client.
    """
    client = fleet.client(me)

    async def handle(item: dict[str, Any]) -> None:
        doc = by_doc_id[str(item["senderDocId"])]
        await client.get_edoc(item["docId"])
        await client.update_status(item["docId"], "done")
        await client.send_edoc(doc.status, from_code=me.code, messagetype="status")

    while not stop.is_set():
        items = await client.get_received_edoc_list("edoc")
        phase.polls += 1
        if not items:
            phase.empty_polls += 1
            await pause(stop, poll)
            continue
        now = time.time()
        for item in items:
            sender_doc_id = str(item.get("senderDocId", ""))
            doc = by_doc_id.get(sender_doc_id)
            if doc is None:
                # Listed before its sender read the answer: seen now (send_all takes it from
                # here), handled at the next poll.
                early_seen.setdefault(sender_doc_id, now)
            elif not doc.seen_at:
                doc.seen_at = now
        await limited([i for i in items if str(i["senderDocId"]) in by_doc_id], concurrency, handle)


async def status_loop(
    fleet: Fleet,
    phase: Phase,
    me: Party,
    by_edxml: dict[str, Doc],
    remaining: list[int],
    done: asyncio.Event,
    stop: asyncio.Event,
    concurrency: int,
    poll: float,
) -> None:
    """A sending system: pull its statuses, fetch and confirm each; count finished documents."""
    client = fleet.client(me)

    async def handle(item: dict[str, Any]) -> None:
        answer = await client.get_edoc(item["docId"])
        await client.update_status(item["docId"], "done")
        doc = by_edxml.get(edxml_id(package_of(answer)))
        if doc is not None and not doc.done_at:
            doc.done_at = time.time()
            remaining[0] -= 1
            if remaining[0] == 0:
                phase.finished = doc.done_at
                done.set()

    while not stop.is_set():
        items = await client.get_received_edoc_list("status")
        phase.polls += 1
        if not items:
            phase.empty_polls += 1
            await pause(stop, poll)
            continue
        await limited(items, concurrency, handle)


def by_sender(docs: Sequence[Doc]) -> dict[str, list[Doc]]:
    out: dict[str, list[Doc]] = {}
    for doc in docs:
        out.setdefault(doc.sender.system_id, []).append(doc)
    return out


async def run_lifecycle(
    fleet: Fleet,
    phase: Phase,
    senders: Sequence[Party],
    receivers: Sequence[Party],
    concurrency: int,
    poll: float,
    limit_s: float,
    rate: float = 0.0,
) -> None:
    """Send every package and drive each through the full lifecycle; returns when all are done.

    ``rate`` > 0: the senders together offer that many documents per second, evenly spread
    (each sender every ``senders / rate`` s, their starts staggered), instead of each sending
    its next package as soon as the last one was answered.
    """
    docs = phase.docs
    by_edxml = {d.edxml_id: d for d in docs}
    by_doc_id: dict[str, Doc] = {}
    early_seen: dict[str, float] = {}
    remaining = [len(docs)]
    done, stop = asyncio.Event(), asyncio.Event()

    phase.started = time.time()
    calls, cpu = fleet.calls, time.process_time()
    try:
        async with asyncio.timeout(limit_s), asyncio.TaskGroup() as group:
            for p in receivers:
                group.create_task(
                    receive_loop(fleet, phase, p, by_doc_id, early_seen, stop, concurrency, poll)
                )
            for p in senders:
                group.create_task(
                    status_loop(fleet, phase, p, by_edxml, remaining, done, stop, concurrency, poll)
                )
            batches = list(by_sender(docs).values())
            for i, batch in enumerate(batches):
                schedule = None
                if rate > 0:
                    schedule = (phase.started + i / rate, len(batches) / rate)
                group.create_task(send_all(fleet, phase, batch, by_doc_id, early_seen, schedule))
            await done.wait()
            stop.set()
    except TimeoutError:
        raise SystemExit(
            f"error: {phase.name}: {remaining[0]} of {len(docs)} documents did not finish their "
            f"lifecycle within {limit_s:.0f} s"
        ) from None
    phase.calls = fleet.calls - calls
    phase.loadgen_cpu = time.process_time() - cpu


async def run_ingest(
    fleet: Fleet,
    phase: Phase,
    available: Callable[[], Awaitable[int]],
    limit_s: float,
    in_flight: int = 1,
    at_sent: Callable[[], None] | None = None,
) -> None:
    """Send every package to receivers that never pull; wait until every copy is available.

    ``in_flight``: sendEdoc calls each sender keeps in flight (each on its own connection);
    ``at_sent`` is called once the last sendEdoc was answered.
    """
    phase.started = time.time()
    calls, cpu = fleet.calls, time.process_time()
    try:
        async with asyncio.timeout(limit_s):
            async with asyncio.TaskGroup() as group:
                for batch in by_sender(phase.docs).values():
                    for lane in range(in_flight):
                        group.create_task(send_all(fleet, phase, batch[lane::in_flight]))
            phase.calls = fleet.calls - calls
            phase.loadgen_cpu = time.process_time() - cpu
            if at_sent is not None:
                at_sent()
            # Polling the database: the node announces nothing to wait on.
            while await available() < len(phase.docs):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise SystemExit(
            f"error: {phase.name}: copies not all available within {limit_s:.0f} s"
        ) from None
