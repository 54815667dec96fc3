"""Server CPU per request of candidate HTTP stacks, on a trivial ASGI app (docs/benchmarks.md).

``python bench/http_stack.py [--requests N]``: for each stack (uvicorn h11 + asyncio, uvicorn
httptools + uvloop, granian ASGI with one worker), a child process serves an ASGI app that
answers ``GET /`` with 15 bytes and ``POST /`` (a 139 KB body, read whole) with 15 bytes; the
lean load generator's connection sends N keep-alive requests of each, one at a time, and the
server's CPU (all its processes and threads, /proc) is divided by N. This is the HTTP stack's own
cost per call, the part of every node call that the stack decides. granian is not a project
dependency: it is measured when installed (``.venv/bin/pip install granian``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import time
from pathlib import Path

import cpu
from loadgen import _Connection
from served import free_port

BENCH = Path(__file__).resolve().parent
STACKS = ("uvicorn-h11-asyncio", "uvicorn-httptools-uvloop", "granian-asgi")


async def app(scope: dict, receive, send) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Answer every request with a small JSON body after reading the whole request body."""
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    body = b'{"status":"ok"}'
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"15")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def serve(stack: str, port: int) -> None:
    """Child: serve :func:`app` with ``stack`` on ``port``."""
    sys.path.insert(0, str(BENCH))
    if stack.startswith("uvicorn"):
        import uvicorn

        from gateway.server import listen_socket, uvicorn_options

        _, http, loop = stack.split("-")
        config = uvicorn.Config(
            "http_stack:app", lifespan="off", **uvicorn_options("warning", loop=loop, http=http)
        )
        uvicorn.Server(config).run(sockets=[listen_socket("127.0.0.1", port)])
    else:
        from granian.constants import HTTPModes, Interfaces, Loops
        from granian.server import Server

        Server(
            "http_stack:app", address="127.0.0.1", port=port, interface=Interfaces.ASGI,
            workers=1, loop=Loops.uvloop, http=HTTPModes.http1, log_enabled=False,
        ).serve()  # fmt: skip


async def drive(port: int, requests: int, body: bytes) -> tuple[float, float]:
    """(mean latency ms, server CPU ms) per request for GET (empty body) or POST ``body``."""
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + 30
    while True:
        try:
            _, conn = await loop.create_connection(_Connection, "127.0.0.1", port)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
    raw = head + body if body else b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    for _ in range(200):  # warm-up
        await conn.request(raw)
    return await _timed(conn, raw, requests, port)


async def _timed(conn: _Connection, raw: bytes, requests: int, port: int) -> tuple[float, float]:
    server_pid = _server_pid(port)
    before = cpu.snapshot({"server": server_pid})
    t0 = time.perf_counter()
    for _ in range(requests):
        status, _ = await conn.request(raw)
        assert status == 200
    elapsed = time.perf_counter() - t0
    used = cpu.delta(before, cpu.snapshot({"server": server_pid})).get("server", 0.0)
    return elapsed / requests * 1000, used / requests * 1000


_CHILD: dict[int, int] = {}


def _server_pid(port: int) -> int:
    return _CHILD[port]


async def main_async(args: argparse.Namespace) -> None:
    from workload import KB, make_docs, party, pdf_bytes

    package = make_docs("H", 1, [party("s", "H14", 1)], [party("r", "H41", 1)], pdf_bytes(
        100 * KB, 2026
    ))[0].data  # fmt: skip
    print(f"HTTP stack cost per keep-alive request, trivial ASGI app, {args.requests} requests:")
    print(f"{'stack':<26} {'GET CPU ms':>10} {'GET lat ms':>10} {'POST 139 KB CPU ms':>19}")
    stacks = list(STACKS)
    if importlib.util.find_spec("granian") is None:  # not a project dependency
        stacks.remove("granian-asgi")
        print("(granian is not installed: `.venv/bin/pip install granian` to include it)")
    for _ in range(args.rounds):
        for stack in stacks:
            port = free_port()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--_serve", stack, str(port),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": f"{BENCH}:{BENCH.parent}"},
            )  # fmt: skip
            _CHILD[port] = proc.pid
            try:
                get_lat, get_cpu = await drive(port, args.requests, b"")
                _, post_cpu = await drive(port, args.requests // 4, package)
                print(f"{stack:<26} {get_cpu:>10.3f} {get_lat:>10.3f} {post_cpu:>19.3f}")
            finally:
                proc.terminate()
                await proc.wait()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
