"""Business-calendar benchmark with raw baselines measured in the same run (docs/calendar.md).

Run from the project root: ``scripts/bench calendar [--quick] [--count N] [--repeat R]``.

What is measured, over ``--count`` (default one million) random instants uniform in 2024–2026,
given once in +07:00 and once in UTC (what the node's clock returns):

- ours: ``BusinessCalendar.legal_receipt_time(t)`` of the shipped calendar (holidays VN plus the
  shipped override table), already warm;
- raw bisect baseline: ``t.timestamp()``, ``bisect_right`` over the sorted epoch bounds of the same
  sessions precomputed by the benchmark, ``t`` or ``datetime.fromtimestamp(bound, +07:00)``;
- raw datetime baseline: ``t.astimezone(+07:00)`` compared with the day's session datetimes from a
  precomputed dict, walking forward day by day;
- as information: ``legal_receipt_epoch`` on floats, ``business_minutes`` and
  ``add_business_minutes``, the cold start (load + first answer), ``version``, and the CLI on
  100 000 lines of stdin.

Both baselines are checked to give the same answers as ours before timing (exit 1 if not).
Target: legal receipt times >= 200 000/s for both inputs. A missed target prints MISS but never
changes the exit status; only errors do.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from business_calendar import VN_TZ
from business_calendar.calendar import BusinessCalendar
from business_calendar.table import load_calendar

TARGET = 200_000
FIRST, LAST = date(2024, 1, 1), date(2026, 12, 31)
ROOT = Path(__file__).resolve().parent.parent


def instants(count: int, seed: int = 2026) -> tuple[list[datetime], list[datetime]]:
    """``count`` random instants in 2024–2026 (second resolution), in +07:00 and in UTC."""
    rng = random.Random(seed)  # noqa: S311 (benchmark data, not secrets)
    start = datetime.combine(FIRST, datetime.min.time(), VN_TZ)
    span = int((LAST - FIRST).days + 1) * 86400
    local = [start + timedelta(seconds=rng.randrange(span)) for _ in range(count)]
    return local, [t.astimezone(UTC) for t in local]


def session_table(cal: BusinessCalendar) -> dict[date, tuple[tuple[datetime, datetime], ...]]:
    """The sessions of every working day 2024–2027 as datetimes (the baselines' own data)."""
    table = {}
    day = FIRST
    while day.year <= LAST.year + 1:
        found = cal.day(day)
        if found.working:
            table[day] = tuple(
                (datetime.combine(day, s.start, VN_TZ), datetime.combine(day, s.end, VN_TZ))
                for s in found.sessions
            )
        day += timedelta(days=1)
    return table


def bisect_baseline(
    table: dict[date, tuple[tuple[datetime, datetime], ...]],
) -> Callable[..., datetime]:
    """The raw bisect over precomputed epoch session bounds."""
    bounds = sorted(int(t.timestamp()) for pair in table.values() for s in pair for t in s)

    def legal(t: datetime) -> datetime:
        i = bisect_right(bounds, t.timestamp())
        if i & 1:
            return t if t.tzinfo is VN_TZ else t.astimezone(VN_TZ)
        return datetime.fromtimestamp(bounds[i], VN_TZ)

    return legal


def datetime_baseline(
    table: dict[date, tuple[tuple[datetime, datetime], ...]],
) -> Callable[..., datetime]:
    """The raw walk with datetime comparisons over the precomputed sessions."""
    one_day = timedelta(days=1)

    def legal(t: datetime) -> datetime:
        local = t if t.tzinfo is VN_TZ else t.astimezone(VN_TZ)
        day = local.date()
        while True:
            for start, end in table.get(day, ()):
                if local < start:
                    return start
                if local < end:
                    return local
            day += one_day

    return legal


def timed(fn: Callable[[datetime], object], data: Sequence[datetime]) -> float:
    """Seconds for one pass of ``fn`` over ``data``."""
    t0 = time.perf_counter()
    for _ in map(fn, data):
        pass
    return time.perf_counter() - t0


def measure(
    fns: dict[str, tuple[Callable[..., object], Sequence[object]]], repeat: int
) -> dict[str, float]:
    """Median seconds per pass, the functions interleaved round by round."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, (fn, data) in fns.items():
            samples[name].append(timed(fn, data))  # type: ignore[arg-type]
    return {name: statistics.median(values) for name, values in samples.items()}


def cli_lines(lines: list[datetime]) -> float:
    """Seconds for ``python -m gateway calendar legal-time -`` on ``lines``, start-up included."""
    text = "".join(f"{t.isoformat()}\n" for t in lines)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "calendar", "legal-time", "-"],
        input=text,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=300,
    )
    elapsed = time.perf_counter() - t0
    if done.returncode != 0 or done.stdout.count("\n") != len(lines):
        raise SystemExit(f"error: the CLI failed: {done.stderr[-500:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 000 instants, 3 rounds, no CLI")
    parser.add_argument("--count", type=int, default=0, help="instants (default 1 000 000)")
    parser.add_argument("--repeat", type=int, default=0, help="rounds (default 5)")
    args = parser.parse_args()
    count = args.count or (200_000 if args.quick else 1_000_000)
    repeat = args.repeat or (3 if args.quick else 5)

    t0 = time.perf_counter()
    cal = load_calendar()
    cal.legal_receipt_time(datetime(2025, 6, 2, 20, tzinfo=VN_TZ))
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    cal_version = cal.version
    version_s = time.perf_counter() - t0

    local, utc = instants(count)
    for t in [*local[:1000], datetime(2026, 12, 31, 17, tzinfo=VN_TZ)]:
        cal.legal_receipt_time(t)  # warm: every year of the run is built
    table = session_table(cal)
    by_bisect, by_datetime = bisect_baseline(table), datetime_baseline(table)
    for sample in (local[:20_000], utc[:20_000]):
        for t in sample:
            answer = cal.legal_receipt_time(t)
            if not answer == by_bisect(t) == by_datetime(t):
                raise SystemExit(f"error: answers differ for {t.isoformat()}")
    epochs = [t.timestamp() for t in local]
    pairs = list(zip(local, utc[1:] + utc[:1], strict=True))

    fns: dict[str, tuple[Callable[..., object], Sequence[object]]] = {
        "ours +07": (cal.legal_receipt_time, local),
        "bisect +07": (by_bisect, local),
        "datetime +07": (by_datetime, local),
        "ours UTC": (cal.legal_receipt_time, utc),
        "bisect UTC": (by_bisect, utc),
        "datetime UTC": (by_datetime, utc),
        "epoch": (cal.legal_receipt_epoch, epochs),
        "business_minutes": (lambda p: cal.business_minutes(*p), pairs[: count // 4]),
        "add_business_minutes": (lambda t: cal.add_business_minutes(t, 90), local[: count // 4]),
    }
    seconds = measure(fns, repeat)
    cli = None if args.quick else cli_lines(local[:100_000])

    rate = {name: len(fns[name][1]) / s for name, s in seconds.items()}
    print(
        f"calendar benchmark: Python {platform.python_version()}, holidays {version('holidays')}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, {count:,} instants in "
        f"{FIRST.year}-{LAST.year}, median of {repeat} interleaved rounds"
    )
    print(
        f"calendar {cal.label} {cal_version}: cold start (load + first answer) "
        f"{cold * 1000:.0f} ms, version {version_s * 1000:.0f} ms"
    )
    print()
    print(f"{'operation':<42} {'per s':>12} {'us/op':>8} {'ours/base':>10}")
    for zone in ("+07", "UTC"):
        ours = rate[f"ours {zone}"]
        print(f"{'legal_receipt_time, input ' + zone:<42} {ours:>12,.0f} {1e6 / ours:>8.2f}")
        for base, label in (
            ("bisect", "raw bisect over epoch bounds"),
            ("datetime", "raw datetime comparisons"),
        ):
            r = rate[f"{base} {zone}"]
            print(f"{'  ' + label:<42} {r:>12,.0f} {1e6 / r:>8.2f} {ours / r:>10.2f}")
    print("info:")
    for name in ("epoch", "business_minutes", "add_business_minutes"):
        print(f"{'  ' + name:<42} {rate[name]:>12,.0f} {1e6 / rate[name]:>8.2f}")
    if cli is not None:
        print(
            f"{'  CLI legal-time -, 100 000 lines':<42} {100_000 / cli:>12,.0f} "
            f"{'':>8} ({cli:.2f} s with start-up)"
        )
    print()
    print(f"target: legal receipt times >= {TARGET:,}/s")
    for zone in ("+07", "UTC"):
        ours = rate[f"ours {zone}"]
        verdict = "PASS" if ours >= TARGET else "MISS"
        print(f"  {verdict}  input {zone:<5} {ours:>12,.0f}/s")


if __name__ == "__main__":
    main()
