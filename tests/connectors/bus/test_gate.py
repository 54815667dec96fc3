"""The urgent-first gate that shares a subscription's slots between its two queues."""

from __future__ import annotations

import asyncio

import pytest

from connectors.bus.gate import UrgentFirstGate


async def test_a_freed_slot_goes_to_urgent_waiters_first() -> None:
    """With the only slot taken, a later urgent waiter is admitted before earlier normal ones."""
    gate = UrgentFirstGate(1)
    order: list[str] = []
    await gate.acquire(urgent=False)

    async def wait(name: str, *, urgent: bool) -> None:
        async with gate.slot(urgent=urgent):
            order.append(name)

    tasks = [asyncio.create_task(wait(f"n{i}", urgent=False)) for i in range(3)]
    tasks.append(asyncio.create_task(wait("u", urgent=True)))
    await asyncio.sleep(0)  # one turn of the loop: every new task runs up to the gate
    assert gate.waiting == 4
    gate.release()
    await asyncio.gather(*tasks)
    assert order == ["u", "n0", "n1", "n2"]
    assert gate.free == 1


async def test_slots_bound_the_holders() -> None:
    """No more than ``slots`` holders at once; free slots are taken without waiting."""
    gate = UrgentFirstGate(2)
    await gate.acquire(urgent=False)
    await gate.acquire(urgent=True)
    assert gate.free == 0
    third = asyncio.create_task(gate.acquire(urgent=True))
    await asyncio.sleep(0)
    assert not third.done()
    gate.release()
    await third
    assert gate.free == 0


async def test_a_cancelled_waiter_does_not_swallow_a_slot() -> None:
    """A waiter cancelled as it is handed the slot passes the slot on."""
    gate = UrgentFirstGate(1)
    await gate.acquire(urgent=False)
    first = asyncio.create_task(gate.acquire(urgent=False))
    second = asyncio.create_task(gate.acquire(urgent=False))
    await asyncio.sleep(0)
    assert gate.waiting == 2
    gate.release()  # hands the slot to `first` ...
    first.cancel()  # ... which is cancelled before it runs
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.wait_for(second, 1)
    assert gate.free == 0
    gate.release()
    assert gate.free == 1


def test_a_gate_needs_a_slot() -> None:
    """Zero slots would deadlock every handler: refused."""
    with pytest.raises(ValueError, match="slots"):
        UrgentFirstGate(0)
