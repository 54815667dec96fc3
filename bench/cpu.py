"""CPU accounting from /proc (Linux): who burnt the cores during a measurement.

Every process is put in a group: the node (one or more process trees, given by their root pids),
the floor app, the benchmark itself (``clients``: the load generator), PostgreSQL, RabbitMQ, or
``other`` (everything else on the shared machine). CPU is read per thread from
``/proc/<pid>/task/<tid>/schedstat`` (nanoseconds of run time, so short measurements are not
rounded to 10 ms ticks), falling back to ``utime + stime`` of ``/proc/<pid>/stat``.
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


def snapshot(roots: Mapping[str, int | list[int]] | None = None) -> Snapshot:
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

    out: Snapshot = {}
    for pid, (_, _, fields) in stats.items():
        out[pid] = (group_of(pid), _seconds(pid, fields))
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
