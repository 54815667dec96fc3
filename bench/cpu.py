"""CPU accounting from /proc (Linux): who burnt the cores during a measurement.

Every process is put in a group: the node (one or more process trees, given by their root pids),
the floor app, the benchmark itself (``clients``: the load generator), PostgreSQL, RabbitMQ, or
``other`` (everything else on the shared machine). PostgreSQL and RabbitMQ are shared with other
sessions' tests: a PostgreSQL backend counts as ``postgres`` only when its client (the port in
its process title) is a connection of a named group's processes (``clients`` for the
benchmark's own), the postmaster and its writers (WAL writer, checkpointer, background writer)
count too, autovacuum and other sessions' backends are ``other``. RabbitMQ is one process for
everybody and cannot be split; :mod:`costs` takes medians of several batches against bursts.
CPU is read per thread from ``/proc/<pid>/task/<tid>/schedstat`` (nanoseconds of run time, so
short measurements are not rounded to 10 ms ticks), falling back to ``utime + stime`` of
``/proc/<pid>/stat``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_RABBIT = ("beam.smp", "erl_child_setup", "epmd", "inet_gethost")

#: pid -> (group, CPU seconds used so far)
Snapshot = dict[int, tuple[str, float]]


def _seconds(pid: int, stat_fields: list[str]) -> float:
    total = 0
    found = False
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat", encoding="ascii") as f:
                    total += int(f.read().split()[0])
                    found = True
            except (OSError, ValueError, IndexError):
                continue
    except OSError:
        pass
    if found:
        return total / 1e9
    return (int(stat_fields[11]) + int(stat_fields[12])) / _TICK


def _socket_inodes(pids: list[int]) -> set[int]:
    inodes: set[int] = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
        except OSError:
            continue
    return inodes


def _ports_to(inodes: set[int], port: int) -> set[int]:
    """Local ports of the TCP connections (``inodes``) whose remote port is ``port``."""
    out: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if int(fields[2].rsplit(":", 1)[1], 16) == port and int(fields[9]) in inodes:
                        out.add(int(fields[1].rsplit(":", 1)[1], 16))
        except (OSError, StopIteration, ValueError, IndexError):
            continue
    return out


def _pg_client_port(pid: int) -> int | None:
    """The client port in a backend's title (``postgres: user db 127.0.0.1(54321) idle``)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            title = f.read().decode("ascii", "replace")
    except OSError:
        return None
    if "autovacuum" in title:
        return -1
    open_at = title.find("(")
    if not title.startswith("postgres:") or open_at < 0:
        return None
    digits = title[open_at + 1 : title.find(")", open_at)]
    return int(digits) if digits.isdigit() else None


def snapshot(roots: Mapping[str, int | list[int]] | None = None, pg_port: int = 5432) -> Snapshot:
    """Per process: (group, CPU seconds so far). ``roots`` names groups by their root pids; the
    descendants of a root belong to its group (``gateway serve --workers N`` forks its workers)."""
    stats: dict[int, tuple[str, int, list[str]]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        stats[pid] = (comm, int(fields[1]), fields)
    root_group: dict[int, str] = {}
    for group, pids in (roots or {}).items():
        for pid in [pids] if isinstance(pids, int) else pids:
            root_group[pid] = group
    me = os.getpid()

    def group_of(pid: int) -> str:
        seen = 0
        current = pid
        while current > 1 and seen < 64:
            if current in root_group:
                return root_group[current]
            current = stats[current][1] if current in stats else 0
            seen += 1
        comm = stats[pid][0]
        if pid == me:
            return "clients"
        if comm == "postgres":
            return "postgres"
        if comm in _RABBIT or comm.startswith("erl"):
            return "rabbitmq"
        return "other"

    groups = {pid: group_of(pid) for pid in stats}
    members: dict[str, list[int]] = {}
    for pid, group in groups.items():
        if group not in ("postgres", "rabbitmq", "other"):
            members.setdefault(group, []).append(pid)
    owner_of_port: dict[int, str] = {}
    for group, pids in members.items():
        for port in _ports_to(_socket_inodes(pids), pg_port):
            owner_of_port[port] = group
    out: Snapshot = {}
    for pid, (_, _, fields) in stats.items():
        group = groups[pid]
        if group == "postgres":
            client = _pg_client_port(pid)
            if client == -1:
                group = "other"  # autovacuum: whoever's tables
            elif client is not None:
                owner = owner_of_port.get(client)
                group = "postgres" if owner not in (None, "clients") else (owner or "other")
        out[pid] = (group, _seconds(pid, fields))
    return out


def delta(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds by group between two snapshots (processes that ended are not counted)."""
    out: dict[str, float] = {}
    for pid, (group, seconds) in after.items():
        out[group] = out.get(group, 0.0) + seconds - before.get(pid, (group, 0.0))[1]
    return out


def by_process(before: Snapshot, after: Snapshot, group: str) -> dict[int, float]:
    """CPU seconds of each process of ``group`` between two snapshots."""
    return {
        pid: seconds - before.get(pid, (g, 0.0))[1]
        for pid, (g, seconds) in after.items()
        if g == group
    }


def top(before: Snapshot, after: Snapshot, group: str, count: int = 3) -> list[tuple[str, float]]:
    """The ``count`` processes of ``group`` that used the most CPU: ("comm[pid]", seconds)."""
    used = sorted(by_process(before, after, group).items(), key=lambda kv: -kv[1])[:count]
    out = []
    for pid, seconds in used:
        try:
            with open(f"/proc/{pid}/comm", encoding="ascii", errors="replace") as f:
                name = f.read().strip()
        except OSError:
            name = "?"
        out.append((f"{name}[{pid}]", seconds))
    return out


def tree(root: int) -> list[int]:
    """``root`` and its descendants now."""
    parent: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as f:
                    stat = f.read()
            except OSError:
                continue
            parent[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    out = [root]
    for pid in parent:
        current, hops = pid, 0
        while current in parent and current != root and hops < 64:
            current, hops = parent[current], hops + 1
        if current == root and pid != root:
            out.append(pid)
    return out


def seconds_of(pids: list[int]) -> float:
    """CPU seconds used so far by ``pids`` (all their threads)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                stat = f.read()
        except OSError:
            continue
        total += _seconds(pid, stat[stat.rindex(")") + 2 :].split())
    return total
