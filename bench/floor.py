"""The floor: the least any node on our stack must do per call, measured beside the node.

A raw ASGI app (no framework) served by uvicorn with the options of ``python -m gateway serve``
(:func:`gateway.server.uvicorn_options`: same loop, HTTP parser, keep-alive), on its own
PostgreSQL schema, in a child process (``python bench/floor.py CONFIG``; ``stop`` on stdin).

Its code path, the whole of it (docs/benchmarks.md prints it):

- every call: find ``XroadVnpt-systemid``, ``-sign-header`` and ``-hash-header`` in the raw
  headers, :func:`~connectors.vxp.protocol.parse_signed_params` of the sign header, the system id
  must match, :func:`~connectors.vxp.protocol.verify_signed_headers` with the system's secret
  (held in memory);
- ``sendEdoc``: read the body, :func:`~connectors.vxp.protocol.extract_hashed_document` (CRLF
  and ``hash-file``, keeping its SHA-256 for the blob key), :func:`edxml.read_package` (the
  hardened parser and the typed header: sender, recipient), the recipient's system from an
  in-memory table, then **one** asyncpg statement,
  hence one transaction: a CTE inserting the bytes into ``floor_blobs`` (storage as the node's
  ``blobs``), one ``floor_documents`` row and one ``floor_copies`` row (``available``); answer
  ``{"status":"OK","ErrorCode":"0","ErrorDesc":"Success","DocId":…}``;
- ``getReceivedEdocList`` / ``countReceiveEdoc``: one indexed ``SELECT`` on ``floor_copies``
  (``system_id, kind, state, created_at``) and the JSON answer.

No validation beyond the parse, no dedup, no events, no outbox, no logging: a floor, not a node.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from connectors.vxp.protocol import (
    ascii_json,
    extract_hashed_document,
    parse_signed_params,
    verify_signed_headers,
)
from edxml import read_package

_SYSTEMID = b"xroadvnpt-systemid"
_SIGN = b"xroadvnpt-sign-header"
_HASH = b"xroadvnpt-hash-header"

SCHEMA_SQL = """
CREATE TABLE floor_blobs (sha256 text PRIMARY KEY, size bigint NOT NULL, data bytea NOT NULL);
ALTER TABLE floor_blobs ALTER COLUMN data SET STORAGE {storage};
CREATE TABLE floor_documents (
    document_id uuid PRIMARY KEY, kind text NOT NULL, sender_system text NOT NULL,
    sha256 text NOT NULL REFERENCES floor_blobs, edxml_document_id text,
    accepted_at timestamptz NOT NULL);
CREATE TABLE floor_copies (
    copy_id uuid PRIMARY KEY, document_id uuid NOT NULL REFERENCES floor_documents,
    system_id text NOT NULL, kind text NOT NULL, state text NOT NULL,
    created_at timestamptz NOT NULL);
CREATE INDEX ix_floor_copies_pull ON floor_copies (system_id, kind, state, created_at);
"""

INSERT = """
WITH blob AS (
    INSERT INTO floor_blobs (sha256, size, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING
), document AS (
    INSERT INTO floor_documents (document_id, kind, sender_system, sha256, edxml_document_id,
                                 accepted_at)
    VALUES ($4, $5, $6, $1, $7, now())
)
INSERT INTO floor_copies (copy_id, document_id, system_id, kind, state, created_at)
VALUES ($8, $4, $9, $5, 'available', now())
"""

PULL = """
SELECT copy_id, document_id, created_at FROM floor_copies
WHERE system_id = $1 AND kind = $2 AND state = 'available' ORDER BY created_at LIMIT 500
"""
COUNT = (
    "SELECT count(*) FROM floor_copies WHERE system_id = $1 AND kind = $2 AND state = 'available'"
)


def _answer(payload: dict[str, Any]) -> bytes:
    return ascii_json({"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", **payload})


def _fail(message: str) -> bytes:
    return ascii_json({"status": "FAIL", "ErrorCode": "15", "ErrorDesc": message, "DocId": ""})


class FloorApp:
    """The floor's ASGI app: HMAC check, then send (parse + one insert) or pull (one select)."""

    def __init__(self, pool: Any, secrets: dict[str, str], owners: dict[str, str]) -> None:
        self.pool = pool
        self.secrets = secrets  # system id -> secret
        self.owners = owners  # agency code (QCVN 102) -> system id

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        status, body = 200, b""
        try:
            body = await self.handle(scope, receive)
        except Exception as exc:  # a floor answers every error alike
            status, body = 500, _fail(f"{type(exc).__name__}: {exc}")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def handle(self, scope: dict[str, Any], receive: Any) -> bytes:
        path: str = scope["path"]
        if path == "/healthz":
            return b'{"status":"ok"}'
        system = sign = given = None
        for name, value in scope["headers"]:
            if name == _SYSTEMID:
                system = value
            elif name == _SIGN:
                sign = value
            elif name == _HASH:
                given = value
        if system is None or sign is None or given is None:
            return _fail("missing header")
        params = parse_signed_params(sign)
        system_id = params.get("systemid", "")
        secret = self.secrets.get(system_id)
        if system_id != system.decode("latin-1") or secret is None:
            return _fail("unknown system")
        if not verify_signed_headers(sign, given.decode("latin-1"), secret):
            return _fail("bad signature")
        action = path.rstrip("/").rsplit("/", 1)[-1]
        kind = params.get("messagetype", "edoc")
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        if action == "sendEdoc":
            return await self.send_edoc(system_id, kind, params, b"".join(chunks))
        if action == "getReceivedEdocList":
            rows = await self.pool.fetch(PULL, system_id, kind)
            items = [
                {"docId": str(r[0]), "senderDocId": str(r[1]), "created_time": r[2].isoformat()}
                for r in rows
            ]
            return _answer({"data": items})
        if action in ("countReceiveEdoc", "countReceiveStatus"):
            count = await self.pool.fetchval(COUNT, system_id, kind)
            return _answer({"count": count})
        return _fail(f"not a floor action: {action}")

    async def send_edoc(
        self, system_id: str, kind: str, params: dict[str, str], body: bytes
    ) -> bytes:
        data, digest = extract_hashed_document(body, params.get("hash-file", ""))
        package = read_package(data).package
        if kind == "status":
            target = package.response_for.organ_id if package.response_for else None  # type: ignore[union-attr]
            edxml_id = package.response_for.document_id if package.response_for else None  # type: ignore[union-attr]
        else:
            target = package.header.to[0].organ_id  # type: ignore[union-attr]
            edxml_id = package.header.document_id  # type: ignore[union-attr]
        recipient = self.owners[str(target)]
        document_id = uuid.uuid4()
        await self.pool.execute(
            INSERT,
            digest.hex(),
            len(data),
            data,
            document_id,
            kind,
            system_id,
            edxml_id,
            uuid.uuid4(),
            recipient,
        )
        return _answer({"DocId": str(document_id)})


async def serve(config: dict[str, Any]) -> None:
    import asyncpg
    import uvicorn

    from gateway.server import listen_socket, uvicorn_options

    schema = config["schema"]
    dsn = config["dsn"]
    setup = await asyncpg.connect(dsn)
    try:
        await setup.execute(f'CREATE SCHEMA "{schema}"')
        await setup.execute(f'SET search_path TO "{schema}"')
        await setup.execute(SCHEMA_SQL.format(storage=config["storage"]))
    finally:
        await setup.close()
    pool = await asyncpg.create_pool(
        dsn, min_size=4, max_size=20, server_settings={"search_path": schema}
    )
    app = FloorApp(pool, dict(config["secrets"]), dict(config["owners"]))
    options = uvicorn_options("warning", loop=config["loop"], http=config["http"])
    options["loop"] = "none"  # the loop is already running (asyncio.run or uvloop.run below)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", **options))
    sock = listen_socket("127.0.0.1", 0)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def commands() -> None:
        await reader.readline()  # "stop" or EOF
        server.should_exit = True

    task = asyncio.create_task(commands())
    print(f"READY {sock.getsockname()[1]}", flush=True)
    await server.serve(sockets=[sock])
    task.cancel()
    await pool.close()
    drop = await asyncpg.connect(dsn)
    try:
        await drop.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await drop.close()
    print("STOPPED", flush=True)


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    if config["loop"] == "uvloop":
        import uvloop

        uvloop.run(serve(config))
    else:
        asyncio.run(serve(config))


if __name__ == "__main__":
    main()
