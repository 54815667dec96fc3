"""``/api/v1/calendar/overrides`` for people: a personal token with MANAGE_CALENDAR may change
the rows (admin systems still may, for compatibility); every change is audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.core.actors import Role
from gateway.core.systems import SystemAdmin
from tests.gateway.api.people_support import PeopleNode, open_people_node

OVERRIDE = {
    "date": "2026-09-04",
    "kind": "day_off",
    "name": "Nghỉ bù Quốc khánh",
    "source": "Thông báo 123/TB-BNV",
}
ADMIN_SYSTEM = "sys-admin"


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[PeopleNode]:
    """A node with a person of each role and an admin system (no agency grant)."""
    async with open_people_node(tmp_path) as opened:
        runtime = opened.runtime
        admin = SystemAdmin(
            runtime.store, runtime.exchange.secrets, runtime.registry, runtime.clock
        )
        opened.native.tokens[ADMIN_SYSTEM] = (await admin.add(ADMIN_SYSTEM, (), admin=True)).token
        yield opened


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ADMIN])
async def test_people_who_manage_the_calendar_add_and_remove_rows(
    node: PeopleNode, role: Role
) -> None:
    """An operator's or admin's token adds and removes a row; both are audited as the person."""
    headers = node.auth(role)
    added = await node.client.post("/api/v1/calendar/overrides", json=OVERRIDE, headers=headers)
    assert added.status_code == 201, added.text
    name = {Role.OPERATOR: "olga", Role.ADMIN: "root"}[role]
    assert added.json()["override"]["created_by"] == name
    listed = await node.client.get("/api/v1/calendar/overrides", headers=headers)
    assert [row["date"] for row in listed.json()] == ["2026-09-04"]
    removed = await node.client.delete("/api/v1/calendar/overrides/2026-09-04", headers=headers)
    assert removed.status_code == 200, removed.text
    entries = await node.runtime.audit.page(action="calendar_override")
    assert [(e.actor, e.channel, e.extra["change"]) for e in entries] == [
        (name, "token", "removed"),
        (name, "token", "added"),
    ]
    assert entries[1].target == "calendar:2026-09-04"
    assert entries[1].after == {
        "kind": "day_off", "name": OVERRIDE["name"], "source": OVERRIDE["source"],
        "confidence": "high",
    }  # fmt: skip
    assert entries[0].before == entries[1].after


async def test_an_auditor_may_not(node: PeopleNode) -> None:
    """An auditor's token is refused with 403 AUTH_ROLE; nothing is stored or audited."""
    for method, path, body in (
        ("GET", "/api/v1/calendar/overrides", None),
        ("POST", "/api/v1/calendar/overrides", OVERRIDE),
        ("DELETE", "/api/v1/calendar/overrides/2026-09-04", None),
    ):
        response = await node.client.request(
            method, path, json=body, headers=node.auth(Role.AUDITOR)
        )
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "AUTH_ROLE"
    assert await node.runtime.audit.page(action="calendar_override") == []


async def test_admin_systems_keep_working_and_are_audited_as_systems(node: PeopleNode) -> None:
    """An admin system's token still adds a row; the audit log names it system:<id>."""
    headers = node.native.auth(ADMIN_SYSTEM)
    added = await node.client.post("/api/v1/calendar/overrides", json=OVERRIDE, headers=headers)
    assert added.status_code == 201, added.text
    assert added.json()["override"]["created_by"] == ADMIN_SYSTEM
    (entry,) = await node.runtime.audit.page(action="calendar_override")
    assert (entry.actor, entry.channel) == (f"system:{ADMIN_SYSTEM}", None)


async def test_a_disabled_persons_token_is_refused(node: PeopleNode) -> None:
    """Once disabled, an operator's token gets 401 AUTH_USER_DISABLED on the calendar too."""
    await node.runtime.people.set_enabled("olga", False)
    response = await node.client.get("/api/v1/calendar/overrides", headers=node.auth(Role.OPERATOR))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTH_USER_DISABLED"
