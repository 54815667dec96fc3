"""The role matrix: every console route, for every role and for nobody signed in, answers only
those whose role has the route's capability (enforced server-side, whatever a page shows).

Plain HTTP (no browser). Forms are posted with the session's CSRF token and a target that does not
exist or data the use case refuses, so an allowed role gets the use case's own answer (404, 422)
and changes nothing, while a role without the capability gets 403 ``AUTH_ROLE`` first.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from gateway.console.router import PAGES, PREFIX
from gateway.core.actors import ROLE_CAPABILITIES, Capability, Role
from tests.gateway.console.conftest import BY_ROLE, Console

C = Capability
#: (method, path as requested, route template, capability), under ``/console``.
ROUTES: tuple[tuple[str, str, str, Capability], ...] = (
    ("GET", "/", "/", C.READ_STATS),
    ("GET", "/stats", "/stats", C.READ_STATS),
    ("GET", "/stats?period=2026-H1&agency=H14", "/stats", C.READ_STATS),
    ("GET", "/stats/tables/agencies?period=2026-H1", "/stats/tables/{name}", C.READ_STATS),
    ("GET", "/stats/summary?period=2026&format=csv", "/stats/summary", C.READ_STATS),
    ("GET", "/stats/report?period=2026-H1", "/stats/report", C.READ_STATS),
    ("GET", "/deliveries", "/deliveries", C.READ_DELIVERIES),
    ("GET", "/deliveries?state=failed&stuck=1", "/deliveries", C.READ_DELIVERIES),
    ("GET", "/deliveries/nope", "/deliveries/{delivery_id}", C.READ_DELIVERIES),
    ("POST", "/deliveries/nope/replay", "/deliveries/{delivery_id}/replay", C.REPLAY),
    ("GET", "/replays", "/replays", C.READ_DELIVERIES),
    ("POST", "/replays", "/replays", C.REPLAY),
    ("POST", "/replays/nope/approve", "/replays/{request_id}/approve", C.APPROVE_REPLAY),
    ("POST", "/replays/nope/reject", "/replays/{request_id}/reject", C.APPROVE_REPLAY),
    ("GET", "/systems", "/systems", C.READ_STATS),
    ("POST", "/systems/nope/enable", "/systems/{system_id}/enable", C.MANAGE_SYSTEMS),
    ("POST", "/systems/nope/disable", "/systems/{system_id}/disable", C.MANAGE_SYSTEMS),
    ("POST", "/systems/nope/rotate", "/systems/{system_id}/rotate", C.MANAGE_SYSTEMS),
    ("POST", "/systems/nope/grants", "/systems/{system_id}/grants", C.MANAGE_SYSTEMS),
    ("GET", "/registry", "/registry", C.READ_STATS),
    ("GET", "/registry/000.00.00.H14", "/registry/{code}", C.READ_STATS),
    ("POST", "/registry", "/registry", C.MANAGE_REGISTRY),
    ("POST", "/registry/NOPE.99/close", "/registry/{code}/close", C.MANAGE_REGISTRY),
    ("GET", "/calendar", "/calendar", C.READ_STATS),
    ("POST", "/calendar", "/calendar", C.MANAGE_CALENDAR),
    ("POST", "/calendar/2026-09-03/remove", "/calendar/{day}/remove", C.MANAGE_CALENDAR),
    ("GET", "/users", "/users", C.MANAGE_USERS),
    ("POST", "/users", "/users", C.MANAGE_USERS),
    ("POST", "/users/nobody/enable", "/users/{username}/enable", C.MANAGE_USERS),
    ("POST", "/users/nobody/disable", "/users/{username}/disable", C.MANAGE_USERS),
    ("POST", "/users/nobody/password", "/users/{username}/password", C.MANAGE_USERS),
    ("GET", "/audit", "/audit", C.READ_AUDIT),
    ("GET", "/audit?verify=1", "/audit", C.READ_AUDIT),
)
#: Routes anyone may reach (the sign-in form, the assets, the unknown-page answer).
OPEN = frozenset({"/login", "/logout"})
WHO = (None, *Role)


def test_the_table_names_every_console_route() -> None:
    """Each route of every console page is in :data:`ROUTES` (or open): a new page needs a row."""
    served = {
        (method, route.path)
        for module in PAGES
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
        if method != "HEAD"
    }
    listed = {(method, template) for method, _, template, _ in ROUTES}
    assert {s for s in served if s[1] not in OPEN} == listed


@pytest.mark.parametrize("role", WHO, ids=lambda r: r.value if r else "anonymous")
async def test_only_roles_with_the_capability_pass(
    embedded_console: Console, role: Role | None
) -> None:
    """Allowed: the route's own answer; another role: 403 AUTH_ROLE; nobody: sign in first."""
    if role is None:
        http, token = embedded_console.client(), "none"
    else:
        http, token = await embedded_console.signed_in(BY_ROLE[role])
    wrong: list[str] = []
    for method, route, _, capability in ROUTES:
        path = PREFIX + route
        if method == "GET":
            answer = await http.get(path)
        else:
            answer = await http.post(path, data={"csrf": token, "date": "x", "username": ""})
        allowed = role is not None and capability in ROLE_CAPABILITIES[role]
        if role is None:
            expected_ok = (
                (
                    answer.status_code == 303
                    and "/console/login" in answer.headers.get("location", "")
                )
                if method == "GET"
                else (answer.status_code == 401 and "AUTH_REQUIRED" in answer.text)
            )
        elif allowed:
            expected_ok = answer.status_code not in (401, 403) and answer.status_code < 500
        else:
            expected_ok = answer.status_code == 403 and "AUTH_ROLE" in answer.text
        if not expected_ok:
            wrong.append(f"{method} {path}: {answer.status_code}")
    assert wrong == []


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
async def test_the_navigation_shows_only_allowed_pages(
    embedded_console: Console, role: Role
) -> None:
    """The menu links only the pages the role may open (auditors see no users page)."""
    http, _ = await embedded_console.signed_in(BY_ROLE[role])
    home = (await http.get("/console/")).text
    assert ('href="/console/users"' in home) is (Capability.MANAGE_USERS in ROLE_CAPABILITIES[role])
    assert 'href="/console/audit"' in home


async def test_every_form_refuses_a_wrong_csrf_token(embedded_console: Console) -> None:
    """Every form, sign-out included, answers 403 CSRF_INVALID without the session's own token."""
    http, _ = await embedded_console.signed_in(BY_ROLE[Role.ADMIN])
    posts = [PREFIX + route for method, route, _, _ in ROUTES if method == "POST"]
    for path in [*posts, "/console/logout"]:
        answer = await http.post(path, data={"csrf": "not-this-session", "username": "x"})
        assert answer.status_code == 403, path
        assert "CSRF_INVALID" in answer.text, path
