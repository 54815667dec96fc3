"""Replay through the admin API on a running node (embedded, and PostgreSQL + RabbitMQ): the
disabled-system story, a replay racing a confirmation, an approved request run by the replay
runner worker."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.core.model import DeliveryState, EventKind
from gateway.core.systems import SystemAdmin
from tests.scenarios.exchange.conftest import Node, eventually
from tests.scenarios.exchange.packages import document

H14, H41 = "000.00.00.H14", "000.00.00.H41"
PASSWORD = "correct horse battery"


async def _people(node: Node) -> dict[str, dict[str, str]]:
    """Two operators and their Authorization headers."""
    headers = {}
    for name in ("olga", "oscar"):
        await node.runtime.people.add(name, "operator", password=PASSWORD)
        token = await node.runtime.people.create_token(name)
        headers[name] = {"Authorization": f"Bearer {token}"}
    return headers


def _systems(node: Node) -> SystemAdmin:
    runtime = node.runtime
    return SystemAdmin(runtime.store, runtime.exchange.secrets, runtime.registry, runtime.clock)


async def _pull_ids(node: Node) -> list[str]:
    return [i.doc_id for i in await node.client(H41).get_received_edoc_list("edoc")]


async def _copy(node: Node, document_id: str) -> Any:
    copies = await node.runtime.store.deliveries_of(document_id)
    assert len(copies) == 1
    return copies[0]


async def _replay(node: Node, who: dict[str, str], ids: list[str], reason: str) -> Any:
    answer = await node.http().post(
        "/api/v1/admin/deliveries/replay", json={"delivery_ids": ids, "reason": reason}, headers=who
    )
    assert answer.status_code in (200, 202), answer.text
    return answer.json()


async def test_a_copy_to_a_disabled_system_is_replayed_into_its_pull_list_once(
    node: Node,
) -> None:
    """A copy failed for a disabled system is replayed via the API into its pull list once."""
    who = await _people(node)
    systems = _systems(node)
    await systems.set_enabled(H41, False)
    document_id = await node.client(H14).send_edoc(document(H14, (H41,)), from_code=H14)
    failed = await eventually(
        lambda: _copy(node, document_id), lambda c: c.state is DeliveryState.FAILED
    )
    assert (failed.last_error or "").startswith("no connected system serves")
    assert failed.fail_code == "ROUTE_NO_SYSTEM"
    await systems.set_enabled(H41, True)
    answer = await _replay(node, who["olga"], [failed.delivery_id], "H41 enabled again")
    assert answer["results"][0]["outcome"] == "replayed"
    assert answer["results"][0]["system_id"] == H41
    assert await _pull_ids(node) == [failed.delivery_id]
    again = await _replay(node, who["oscar"], [failed.delivery_id], "twice")
    assert again["results"][0]["outcome"] == "skipped"
    await asyncio.sleep(0.2)  # any work the replays wrote has been relayed and handled
    assert await _pull_ids(node) == [failed.delivery_id]
    trace = await node.runtime.store.trace(document_id)
    assert trace is not None
    replayed = [e for e in trace.events[failed.delivery_id] if e.kind is EventKind.REPLAYED]
    assert [(e.actor, e.detail["reason"]) for e in replayed] == [("olga", "H41 enabled again")]
    copy = await _copy(node, document_id)
    assert copy.created_at == failed.created_at  # the legal send time is kept
    await node.client(H41).update_status(failed.delivery_id, "done")
    assert (await _copy(node, document_id)).state is DeliveryState.RECEIVED
    assert await _pull_ids(node) == []


async def _given_up(node: Node) -> Any:
    """A copy H41 failed on three times (the test node's limit): failed."""
    receiver = node.client(H41)
    document_id = await node.client(H14).send_edoc(document(H14, (H41,)), from_code=H14)
    copy = await _copy(node, document_id)
    for _ in range(3):
        await eventually(lambda: _pull_ids(node), lambda v: copy.delivery_id in v)
        await receiver.update_status(copy.delivery_id, "fail")
    return await eventually(
        lambda: _copy(node, document_id), lambda c: c.state is DeliveryState.FAILED
    )


async def test_a_replay_racing_a_confirmation_lists_the_copy_at_most_once(node: Node) -> None:
    """A replay racing a late done ends received, out of the pull list, replayed at most once."""
    who = await _people(node)
    for _ in range(2):
        copy = await _given_up(node)
        await asyncio.gather(
            _replay(node, who["olga"], [copy.delivery_id], "race"),
            node.client(H41).update_status(copy.delivery_id, "done"),
        )
        now = await _copy(node, copy.document_id)
        assert now.state is DeliveryState.RECEIVED
        assert copy.delivery_id not in await _pull_ids(node)
        trace = await node.runtime.store.trace(copy.document_id)
        assert trace is not None
        kinds = [e.kind for e in trace.events[copy.delivery_id]]
        assert kinds.count(EventKind.REPLAYED) <= 1
        assert kinds.count(EventKind.CONFIRMED) == 1


async def test_an_approved_request_is_run_by_the_replay_runner(node: Node) -> None:
    """An approved filter request is run by the node's replay runner, each copy once."""
    who = await _people(node)
    copies = [await _given_up(node) for _ in range(2)]
    http = node.http()
    made = await http.post(
        "/api/v1/admin/replays",
        json={"filter": {"system": H41}, "reason": "receiver fixed"},
        headers=who["olga"],
    )
    assert made.status_code == 201, made.text
    request_id = made.json()["request_id"]
    approved = await http.post(f"/api/v1/admin/replays/{request_id}/approve", headers=who["oscar"])
    assert approved.status_code == 200, approved.text

    async def shown() -> Any:
        answer = await http.get(f"/api/v1/admin/replays/{request_id}", headers=who["olga"])
        return answer.json()

    done = await eventually(shown, lambda r: r["state"] == "done")
    assert done["progress"]["replayed"] == 2
    assert sorted(await _pull_ids(node)) == sorted(c.delivery_id for c in copies)
