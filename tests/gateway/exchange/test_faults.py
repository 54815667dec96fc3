"""Nothing accepted is lost or shown twice: crashes between commit, publish and mark."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from connectors.bus import Message, PublishFailed
from gateway.core.errors import StoreUnavailable
from tests.gateway.exchange.conftest import (
    Node,
    drop_services,
    eventually,
    node_settings,
    start_node,
)
from tests.gateway.exchange.packages import document

H14, H41 = "000.00.00.H14", "000.00.00.H41"


async def _ids(node: Node) -> list[str]:
    items = await node.client(H41).get_received_edoc_list("edoc")
    return [i.doc_id for i in items]


async def test_accepted_while_no_worker_runs_is_delivered_once(
    backend: str, tmp_path: Path
) -> None:
    """Packages committed while no relay runs (worker killed) are listed at once, once each; their
    work (the notify events) goes out when a worker runs again."""
    settings = node_settings(backend, tmp_path, run_workers=False)
    try:
        async for node in start_node(settings, cleanup=False):
            for _ in range(5):
                await node.client(H14).send_edoc(document(H14, (H41,)), from_code=H14)
            assert (await node.runtime.store.stats())["outbox_pending"] == 5
            assert len(set(await _ids(node))) == 5  # visible at commit: no worker needed
        restarted = settings.model_copy(update={"run_workers": True})
        async for node in start_node(restarted, register=False, cleanup=False):
            ids = await eventually(lambda n=node: _ids(n), lambda v: len(v) == 5)
            assert len(set(ids)) == 5
            await eventually(node.runtime.store.stats, lambda s: s["outbox_pending"] == 0)
            assert len(await _ids(node)) == 5
    finally:
        await drop_services(settings)


async def test_crash_between_confirm_and_mark_duplicates_nothing(node: Node) -> None:
    """A relay that published but could not mark the rows publishes again; no copy is doubled."""
    store = node.runtime.store
    real = store.mark_published
    failures = {"left": 2}

    async def flaky(outbox_ids: Sequence[int], now: object) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise StoreUnavailable("database went away after the broker confirmed")
        await real(outbox_ids, now)  # type: ignore[arg-type]

    store.mark_published = flaky  # type: ignore[method-assign]
    for _ in range(3):
        await node.client(H14).send_edoc(document(H14, (H41,)), from_code=H14)
    await eventually(store.stats, lambda s: s["outbox_pending"] == 0)
    ids = await eventually(lambda: _ids(node), lambda v: len(v) == 3)
    assert len(set(ids)) == 3
    assert failures["left"] == 0


async def test_broker_refusing_publishes_keeps_rows_pending(node: Node) -> None:
    """While the broker refuses (connection lost mid-publish), rows stay pending, then go out."""
    bus = node.runtime.bus
    real = bus.publish
    failures = {"left": 3}

    async def refusing(messages: Sequence[Message]) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise PublishFailed("connection lost mid-publish")
        await real(messages)

    bus.publish = refusing  # type: ignore[method-assign]
    doc_id = await node.client(H14).send_edoc(document(H14, (H41,)), from_code=H14)
    ids = await _ids(node)
    assert len(ids) == 1  # the copy never waited for the broker
    await eventually(node.runtime.store.stats, lambda s: s["outbox_pending"] == 0)
    assert failures["left"] == 0
    rows = await node.client(H14).get_sent_edoc_list(doc_id)
    assert [r.receiver_doc_id for r in rows] == ids
