"""PostgreSQL CPU of storing package bytes: ``bytea`` with ``STORAGE EXTENDED`` (the default:
pglz tries to compress every value over ~2 KB before moving it out of line) against ``STORAGE
EXTERNAL`` (out of line, never compressed).

The benchmark's packages carry a PDF base64-encoded: incompressible for pglz, which still scans
them. Each variant inserts the same packages one per statement on one connection; the backend's
CPU comes from ``/proc/<pid>/task/*/schedstat`` of that connection's server process
(``pg_backend_pid()``), so only the database's own work is counted. Standalone:
``python bench/blob_storage.py [DSN]``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import uuid
from dataclasses import dataclass

STORAGES = ("EXTENDED", "EXTERNAL")


@dataclass
class StorageCost:
    storage: str
    rows: int
    backend_ms: float  # PostgreSQL backend CPU per insert
    stored_bytes: int  # pg_total_relation_size after the inserts


def _backend_seconds(pid: int) -> float:
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="ascii") as f:
            total += int(f.read().split()[0])
    return total / 1e9


async def measure(dsn: str, packages: list[bytes], rounds: int = 3) -> list[StorageCost]:
    """Insert ``packages`` into a fresh table per storage, ``rounds`` times interleaved."""
    import asyncpg

    schema = f"blobcheck_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(dsn)
    spent = dict.fromkeys(STORAGES, 0.0)
    sizes = dict.fromkeys(STORAGES, 0)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"')
        pid = await conn.fetchval("SELECT pg_backend_pid()")
        for storage in STORAGES:
            await conn.execute(
                f"CREATE TABLE blobs_{storage.lower()} (sha256 text PRIMARY KEY, data bytea);"
                f"ALTER TABLE blobs_{storage.lower()} ALTER COLUMN data SET STORAGE {storage}"
            )
        for r in range(rounds):
            for storage in STORAGES:
                insert = f"INSERT INTO blobs_{storage.lower()} VALUES ($1, $2)"  # noqa: S608 (a constant)
                statement = await conn.prepare(insert)
                before = _backend_seconds(pid)
                for data in packages:
                    key = hashlib.sha256(data + bytes([r])).hexdigest()
                    await statement.fetch(key, data)
                spent[storage] += _backend_seconds(pid) - before
        for storage in STORAGES:
            sizes[storage] = await conn.fetchval(
                f"SELECT pg_total_relation_size('blobs_{storage.lower()}')"
            )
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()
    rows = len(packages) * rounds
    return [StorageCost(s, rows, spent[s] / rows * 1000, sizes[s]) for s in STORAGES]


def report(costs: list[StorageCost], package_kb: float) -> str:
    lines = [f"PostgreSQL backend CPU per {package_kb:.1f} KB package insert (bytea, one row):"]
    for c in costs:
        lines.append(
            f"  STORAGE {c.storage:<9} {c.backend_ms:6.3f} ms   ({c.rows} rows, "
            f"{c.stored_bytes / c.rows / 1024:.1f} KB stored per row)"
        )
    return "\n".join(lines)


async def _main(dsn: str) -> None:
    sys.path.insert(0, os.path.dirname(__file__))
    from workload import KB, make_docs, party, pdf_bytes

    attachment = pdf_bytes(100 * KB, seed=2026)
    sender, receiver = party("s", "H14", 1), party("r", "H41", 1)
    packages = [d.data for d in make_docs("B", 100, [sender], [receiver], attachment)]
    print(report(await measure(dsn, packages), len(packages[0]) / KB))


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1/test"))
