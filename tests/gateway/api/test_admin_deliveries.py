"""The admin deliveries and replay routes (gateway/api/deliveries_admin.py, replays.py): the role
matrix with anonymous callers, the list with its filters, cursor and counts, one copy's detail,
replay now and four-eyes requests, on a node without workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.gateway.api.native_support import RECEIVER, NativeNode, edoc, open_node

ROLES = ("auditor", "operator", "admin")
UNKNOWN = "00000000-0000-4000-8000-000000000000"
#: (method, path, JSON body, the capability's roles): every admin route of this room.
ROUTES: list[tuple[str, str, dict[str, Any] | None, frozenset[str]]] = [
    ("GET", "/api/v1/admin/deliveries", None, frozenset(ROLES)),
    ("GET", "/api/v1/admin/deliveries/stuck", None, frozenset(ROLES)),
    ("GET", f"/api/v1/admin/deliveries/{UNKNOWN}", None, frozenset(ROLES)),
    (
        "POST",
        "/api/v1/admin/deliveries/replay",
        {"delivery_ids": [UNKNOWN], "reason": "r"},
        frozenset({"operator", "admin"}),
    ),
    ("GET", "/api/v1/admin/replays", None, frozenset(ROLES)),
    (
        "POST",
        "/api/v1/admin/replays",
        {"delivery_ids": [UNKNOWN], "reason": "r"},
        frozenset({"operator", "admin"}),
    ),
    ("GET", f"/api/v1/admin/replays/{UNKNOWN}", None, frozenset(ROLES)),
    ("POST", f"/api/v1/admin/replays/{UNKNOWN}/approve", None, frozenset({"operator", "admin"})),
    (
        "POST",
        f"/api/v1/admin/replays/{UNKNOWN}/reject",
        {"reason": "no"},
        frozenset({"operator", "admin"}),
    ),
]


class Admin:
    """A node with one person per role and their tokens."""

    def __init__(self, node: NativeNode, tokens: dict[str, str]) -> None:
        self.node = node
        self.tokens = tokens

    async def call(
        self,
        who: str | None,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        **params: Any,
    ) -> Any:
        """Call ``path`` as ``who`` (a username; None: anonymous)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return await self.node.client.request(
            method, path, json=body, params=params or None, headers=headers
        )


@pytest.fixture
async def admin(tmp_path: Path) -> AsyncIterator[Admin]:
    """A node (a copy fails at the receiver's first ``fail``), a person per role plus a
    second operator, and their tokens; the approval threshold is 2."""
    async with open_node(tmp_path, max_receiver_failures=1, replay_approval_threshold=2) as node:
        people = node.runtime.people
        tokens = {}
        for name, role in (
            ("audrey", "auditor"),
            ("olga", "operator"),
            ("adam", "admin"),
            ("oscar", "operator"),
        ):
            await people.add(name, role, password="correct horse battery")
            tokens[name] = await people.create_token(name)
        yield Admin(node, tokens)


BY_ROLE = {"auditor": "audrey", "operator": "olga", "admin": "adam"}


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES)
async def test_every_route_checks_the_role_and_refuses_anonymous_callers(
    admin: Admin, method: str, path: str, body: dict[str, Any] | None, allowed: frozenset[str]
) -> None:
    """Anonymous callers get 401 AUTH_REQUIRED, roles without the capability 403 AUTH_ROLE."""
    anonymous = await admin.call(None, method, path, body)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["error"]["code"] == "AUTH_REQUIRED"
    system = await admin.node.client.request(
        method, path, json=body, headers=admin.node.auth(RECEIVER)
    )
    assert system.status_code == 401  # a system's token is no person's
    for role, name in BY_ROLE.items():
        answer = await admin.call(name, method, path, body)
        if role in allowed:
            assert answer.status_code in (200, 404, 422), (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)
            assert answer.json()["error"]["code"] == "AUTH_ROLE"


async def _failed_copy(admin: Admin, n: int = 0) -> str:
    """A copy for RECEIVER that failed (its first ``fail`` confirmation gives up)."""
    node = admin.node
    sent = await node.send("000.00.00.H14", edoc(f"doc-{n}"))
    assert sent.status_code == 201, sent.text
    await node.route()
    inbox = (await node.get(RECEIVER, "/api/v1/inbox")).json()
    copy_id = str(inbox[-1]["delivery_id"])
    failed = await node.confirm(RECEIVER, copy_id, "fail", "virus scanner down")
    assert failed.json()["state"] == "failed"
    return copy_id


async def test_list_filters_pages_and_counts(admin: Admin) -> None:
    """The node-wide list filters by state and failure code, pages by cursor, counts states."""
    first = await _failed_copy(admin, 1)
    await _failed_copy(admin, 2)
    page = (
        await admin.call("audrey", "GET", "/api/v1/admin/deliveries", state="failed", limit=1)
    ).json()
    assert len(page["items"]) == 1
    assert page["counts"]["failed"] == 2
    assert page["items"][0]["fail_code"] == "RECEIVER_FAILED"
    assert page["items"][0]["updated_at"].endswith("+07:00")
    rest = await admin.call(
        "audrey",
        "GET",
        "/api/v1/admin/deliveries",
        state="failed",
        limit=1,
        cursor=page["next_cursor"],
    )
    assert rest.json()["next_cursor"] is None
    ids = {page["items"][0]["delivery_id"], rest.json()["items"][0]["delivery_id"]}
    assert first in ids
    none = await admin.call(
        "audrey", "GET", "/api/v1/admin/deliveries", fail_code="ROUTE_NO_SYSTEM"
    )
    assert none.json()["items"] == []
    other = await admin.call(
        "audrey", "GET", "/api/v1/admin/deliveries", sort="created_at", cursor=page["next_cursor"]
    )
    assert other.status_code == 422  # a cursor of another order
    unknown = await admin.call("audrey", "GET", "/api/v1/admin/deliveries", status="failed")
    assert unknown.json()["error"]["code"] == "REQUEST_UNKNOWN_PARAMETER"


async def test_detail_shows_the_copys_story(admin: Admin) -> None:
    """The detail has events, attempts, legal times, document facts and hops, never content."""
    copy_id = await _failed_copy(admin)
    detail = (await admin.call("audrey", "GET", f"/api/v1/admin/deliveries/{copy_id}")).json()
    assert detail["copy"]["state"] == "failed"
    assert [e["kind"] for e in detail["events"]][-1] == "failed"
    assert all(e["at"].endswith("+07:00") for e in detail["events"])
    assert detail["events"][-1]["actor"] == RECEIVER
    assert detail["attempts"][0]["outcome"] == "receiver_failed"
    assert detail["attempts"][0]["fetches"] == 0
    assert detail["replayable"] is True
    assert detail["document"]["sender_system"] == "000.00.00.H14"
    assert detail["hops"]
    assert detail["legal"]["sent_at"].endswith("+07:00")
    assert "data" not in str(detail["document"]["attachments"])


async def test_replay_now_and_four_eyes_requests(admin: Admin) -> None:
    """Few copies replay at once; more become a request another operator approves and runs."""
    node = admin.node
    a, b = await _failed_copy(admin, 1), await _failed_copy(admin, 2)
    now = await admin.call(
        "olga",
        "POST",
        "/api/v1/admin/deliveries/replay",
        {"delivery_ids": [a, b], "reason": "scanner fixed"},
    )
    assert now.status_code == 200, now.text
    assert [r["outcome"] for r in now.json()["results"]] == ["replayed", "replayed"]
    again = await admin.call(
        "olga", "POST", "/api/v1/admin/deliveries/replay", {"delivery_ids": [a], "reason": "again"}
    )
    assert again.json()["results"][0]["outcome"] == "skipped"
    inbox = [i["delivery_id"] for i in (await node.get(RECEIVER, "/api/v1/inbox")).json()]
    assert sorted(inbox) == sorted([a, b])
    for copy_id in (a, b):
        await node.confirm(RECEIVER, copy_id, "fail", "down again")
    c = await _failed_copy(admin, 3)
    asked = await admin.call(
        "olga",
        "POST",
        "/api/v1/admin/deliveries/replay",
        {"delivery_ids": [a, b, c], "reason": "bulk"},
    )
    assert asked.status_code == 202, asked.text
    request_id = asked.json()["request"]["request_id"]
    assert asked.json()["request"]["state"] == "pending"
    own = await admin.call("olga", "POST", f"/api/v1/admin/replays/{request_id}/approve")
    assert own.status_code == 403
    assert own.json()["error"]["code"] == "REPLAY_SELF_APPROVAL"
    approved = await admin.call("oscar", "POST", f"/api/v1/admin/replays/{request_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "approved"
    await node.runtime.replays.run_all(request_id)  # the runner's job (no workers here)
    shown = (await admin.call("audrey", "GET", f"/api/v1/admin/replays/{request_id}")).json()
    assert shown["state"] == "done"
    assert shown["progress"] == {
        "total": 3,
        "done": 3,
        "replayed": 3,
        "skipped": 0,
        "percent": 100.0,
    }
    inbox = [i["delivery_id"] for i in (await node.get(RECEIVER, "/api/v1/inbox")).json()]
    assert sorted(inbox) == sorted([a, b, c])
    closed = await admin.call(
        "adam", "POST", f"/api/v1/admin/replays/{request_id}/reject", {"reason": "late"}
    )
    assert closed.status_code == 409
    assert closed.json()["error"]["code"] == "REPLAY_REQUEST_CLOSED"
    entries = [e async for e in node.runtime.audit.entries()]
    actions = [e.action for e in entries if e.action.startswith("replay")]
    assert actions == [
        "replay_run",
        "replay_run",
        "replay_run",
        "replay_requested",
        "replay_approved",
        "replay_completed",
    ]


async def test_a_filter_request_is_always_a_request(admin: Admin) -> None:
    """A filter freezes the failed copies as a request; no match is REPLAY_EMPTY."""
    await _failed_copy(admin)
    made = await admin.call(
        "olga",
        "POST",
        "/api/v1/admin/replays",
        {"filter": {"recipient": "000.00.15.H51"}, "reason": "all"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["total"] == 1
    assert made.json()["selection"]["filter"] == {"state": "failed", "recipient": "000.00.15.H51"}
    empty = await admin.call(
        "olga",
        "POST",
        "/api/v1/admin/replays",
        {"filter": {"sender": "000.00.99.H14"}, "reason": "all"},
    )
    assert empty.json()["error"]["code"] == "REPLAY_EMPTY"
    both = await admin.call(
        "olga",
        "POST",
        "/api/v1/admin/replays",
        {"filter": {}, "delivery_ids": ["x"], "reason": "r"},
    )
    assert both.status_code == 422
    listed = (await admin.call("audrey", "GET", "/api/v1/admin/replays")).json()["items"]
    assert [r["request_id"] for r in listed] == [made.json()["request_id"]]
