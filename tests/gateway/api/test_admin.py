"""``/api/v1/admin``: people and the audit log, each route checked for every role and for
anonymous callers; personal tokens, disabled users, sign-in for a token, the audit chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.core.actors import ROLE_CAPABILITIES, Capability, Role
from tests.gateway.api.native_support import SENDER
from tests.gateway.api.people_support import PASSWORD, PEOPLE, PeopleNode, open_people_node


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[PeopleNode]:
    """A node with a person of each role and a person to act on (``target``)."""
    async with open_people_node(tmp_path) as opened:
        await opened.runtime.people.add("target", Role.OPERATOR, password=PASSWORD)
        yield opened


#: (method, path, JSON body, capability needed, success status) of every admin route.
ROUTES: list[tuple[str, str, dict[str, Any] | None, Capability | None, int]] = [
    ("GET", "/api/v1/admin/users", None, Capability.MANAGE_USERS, 200),
    ("POST", "/api/v1/admin/users", {"username": "newbie", "role": "auditor"},
     Capability.MANAGE_USERS, 201),
    ("POST", "/api/v1/admin/users/target/disable", None, Capability.MANAGE_USERS, 200),
    ("POST", "/api/v1/admin/users/target/enable", None, Capability.MANAGE_USERS, 200),
    ("POST", "/api/v1/admin/users/target/password", {}, Capability.MANAGE_USERS, 200),
    ("GET", "/api/v1/admin/audit", None, Capability.READ_AUDIT, 200),
    ("GET", "/api/v1/admin/audit/verify", None, Capability.READ_AUDIT, 200),
    ("POST", "/api/v1/admin/tokens", None, None, 201),
]  # fmt: skip


@pytest.mark.parametrize("who", [None, *Role], ids=["anonymous", *(r.value for r in Role)])
@pytest.mark.parametrize(
    ("method", "path", "body", "capability", "success"),
    ROUTES,
    ids=[f"{m} {p.removeprefix('/api/v1/admin')}" for m, p, *_ in ROUTES],
)
async def test_role_matrix(
    node: PeopleNode,
    who: Role | None,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    capability: Capability | None,
    success: int,
) -> None:
    """Anonymous: 401 AUTH_REQUIRED; a role without the capability: 403 AUTH_ROLE; else done."""
    response = await node.client.request(method, path, json=body, headers=node.auth(who))
    if who is None:
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "AUTH_REQUIRED"
        assert response.headers["www-authenticate"] == "Bearer"
    elif capability is not None and capability not in ROLE_CAPABILITIES[who]:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "AUTH_ROLE"
    else:
        assert response.status_code == success, response.text


async def test_add_user_answers_the_generated_password_once(node: PeopleNode) -> None:
    """POST /users without a password answers one that signs in; the list never shows it."""
    response = await node.client.post(
        "/api/v1/admin/users", json={"username": "Lan", "role": "operator"},
        headers=node.auth(Role.ADMIN),
    )  # fmt: skip
    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["username"], added["role"], added["enabled"]) == ("lan", "operator", True)
    assert added["created_at"].endswith("+07:00")
    listed = (await node.client.get("/api/v1/admin/users", headers=node.auth(Role.ADMIN))).json()
    assert "lan" in [u["username"] for u in listed]
    assert all("password" not in u for u in listed)
    token = await node.client.post(
        "/api/v1/admin/tokens", json={"username": "lan", "password": added["password"]}
    )
    assert token.status_code == 201, token.text


async def test_user_errors_are_coded(node: PeopleNode) -> None:
    """A taken name is 409 USER_EXISTS, a weak password 422, an unknown user 404 USER_UNKNOWN."""
    admin = node.auth(Role.ADMIN)
    taken = await node.client.post(
        "/api/v1/admin/users", json={"username": "olga", "role": "auditor"}, headers=admin
    )
    weak = await node.client.post(
        "/api/v1/admin/users",
        json={"username": "weak", "role": "auditor", "password": "short"},
        headers=admin,
    )
    unknown = await node.client.post("/api/v1/admin/users/nobody/disable", headers=admin)
    last = await node.client.post("/api/v1/admin/users/root/disable", headers=admin)
    found = [(r.status_code, r.json()["error"]["code"]) for r in (taken, weak, unknown, last)]
    assert found == [
        (409, "USER_EXISTS"),
        (422, "USER_PASSWORD_WEAK"),
        (404, "USER_UNKNOWN"),
        (409, "USER_LAST_ADMIN"),
    ]


async def test_a_disabled_persons_token_stops_working_at_once(node: PeopleNode) -> None:
    """Once the auditor is disabled their token gets 401 AUTH_USER_DISABLED; enabled, 200."""
    admin = node.auth(Role.ADMIN)
    path = "/api/v1/admin/audit"
    assert (await node.client.get(path, headers=node.auth(Role.AUDITOR))).status_code == 200
    body = {"reason": "left the office"}
    disabled = await node.client.post("/api/v1/admin/users/ali/disable", json=body, headers=admin)
    assert disabled.json()["enabled"] is False
    refused = await node.client.get(path, headers=node.auth(Role.AUDITOR))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "AUTH_USER_DISABLED"
    await node.client.post("/api/v1/admin/users/ali/enable", headers=admin)
    assert (await node.client.get(path, headers=node.auth(Role.AUDITOR))).status_code == 200
    (entry,) = await node.runtime.audit.page(action="user_disabled")
    assert (entry.actor, entry.channel, entry.reason) == ("root", "token", "left the office")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({"Authorization": "Bearer gwp_not-a-token"}, "AUTH_TOKEN"),
        ({"Authorization": "Basic cm9vdDpwdw=="}, "AUTH_SCHEME"),
    ],
)
async def test_bad_credentials_are_refused(
    node: PeopleNode, header: dict[str, str], code: str
) -> None:
    """An unknown token or another scheme is 401 with its code."""
    response = await node.client.get("/api/v1/admin/users", headers=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code


async def test_a_systems_token_is_no_persons(node: PeopleNode) -> None:
    """A document system's bearer token is refused on the admin API (AUTH_TOKEN)."""
    response = await node.client.get("/api/v1/admin/audit", headers=node.native.auth(SENDER))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTH_TOKEN"


async def test_sign_in_for_a_token_is_throttled_and_audited(node: PeopleNode) -> None:
    """POST /tokens: wrong passwords are 401, the 5th locks (429 even when right), all audited."""
    wrong = {"username": "olga", "password": "not her password"}
    for _ in range(5):
        response = await node.client.post("/api/v1/admin/tokens", json=wrong)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "AUTH_PASSWORD"
    right = {"username": "olga", "password": PASSWORD}
    locked = await node.client.post("/api/v1/admin/tokens", json=right)
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "AUTH_LOCKED"
    failed = await node.runtime.audit.page(action="sign_in_failed")
    assert [e.reason for e in failed] == ["AUTH_LOCKED", *["AUTH_PASSWORD"] * 5]
    assert len(await node.runtime.audit.page(action="user_locked")) == 1


async def test_a_person_sets_their_own_password_but_not_anothers(node: PeopleNode) -> None:
    """An operator may set their own password (200), not the auditor's (403 AUTH_ROLE)."""
    own = await node.client.post(
        "/api/v1/admin/users/olga/password", json={"password": "my own new password"},
        headers=node.auth(Role.OPERATOR),
    )  # fmt: skip
    assert own.status_code == 200, own.text
    assert own.json()["password"] is None
    other = await node.client.post(
        "/api/v1/admin/users/ali/password", json={}, headers=node.auth(Role.OPERATOR)
    )
    assert other.status_code == 403


async def test_a_token_for_the_caller_acts_with_their_role(node: PeopleNode) -> None:
    """POST /tokens with a token answers a new token for the same person and role."""
    response = await node.client.post("/api/v1/admin/tokens", headers=node.auth(Role.AUDITOR))
    assert response.status_code == 201
    issued = response.json()
    assert issued["username"] == "ali"
    new = {"Authorization": f"Bearer {issued['token']}"}
    assert (await node.client.get("/api/v1/admin/audit", headers=new)).status_code == 200
    assert (await node.client.get("/api/v1/admin/users", headers=new)).status_code == 403


async def test_audit_pages_and_verify(node: PeopleNode) -> None:
    """The audit log pages newest first, filters by action and actor, verifies; times +07:00."""
    auditor = node.auth(Role.AUDITOR)
    first = (await node.client.get("/api/v1/admin/audit?limit=2", headers=auditor)).json()
    assert len(first["entries"]) == 2
    assert first["entries"][0]["seq"] > first["entries"][1]["seq"]
    assert first["entries"][0]["at"].endswith("+07:00")
    second = (
        await node.client.get(
            f"/api/v1/admin/audit?limit=2&before={first['next_before']}", headers=auditor
        )
    ).json()
    assert second["entries"][0]["seq"] == first["entries"][1]["seq"] - 1
    added = (
        await node.client.get(
            "/api/v1/admin/audit", params={"action": "user_added", "actor": "cli"}, headers=auditor
        )
    ).json()["entries"]
    assert sorted(e["target"] for e in added) == sorted(
        f"user:{n}" for n in [*PEOPLE.values(), "target"]
    )
    bad = await node.client.get("/api/v1/admin/audit?action=nope", headers=auditor)
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "action")
    verdict = (await node.client.get("/api/v1/admin/audit/verify", headers=auditor)).json()
    assert verdict["ok"] is True
    assert verdict["entries"] == 7  # 4 people added, 3 tokens made


async def test_admin_routes_are_in_the_openapi_document(node: PeopleNode) -> None:
    """Every admin route is described, with the personal-token scheme."""
    spec = (await node.client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/api/v1/admin/users", "/api/v1/admin/users/{username}/disable",
        "/api/v1/admin/users/{username}/enable", "/api/v1/admin/users/{username}/password",
        "/api/v1/admin/audit", "/api/v1/admin/audit/verify", "/api/v1/admin/tokens",
    ):  # fmt: skip
        assert path in paths, path
    assert "PersonalToken" in spec["components"]["securitySchemes"]


async def test_the_runtime_audits_registry_and_calendar_changes(node: PeopleNode) -> None:
    """The node's registry and calendar use cases append to the node's audit log."""
    runtime = node.runtime
    assert runtime.registry_admin.audit is runtime.audit
    assert runtime.calendar.audit is runtime.audit
    assert runtime.people.audit is runtime.audit
