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
#: (method, path as requested, route template, capability; None: any signed-in person).
ROUTES: tuple[tuple[str, str, str, Capability | None], ...] = (
    ("GET", "/console/", "/console/", C.READ_STATS),
    ("GET", "/console/systems", "/console/systems", C.READ_STATS),
    ("POST", "/console/systems/nope/enable", "/console/systems/{system_id}/enable", C.MANAGE_SYSTEMS),
    ("POST", "/console/systems/nope/disable", "/console/systems/{system_id}/disable", C.MANAGE_SYSTEMS),
    ("POST", "/console/systems/nope/rotate", "/console/systems/{system_id}/rotate", C.MANAGE_SYSTEMS),
    ("POST", "/console/systems/nope/grants", "/console/systems/{system_id}/grants", C.MANAGE_SYSTEMS),
    ("GET", "/console/registry", "/console/registry", C.READ_STATS),
    ("GET", "/console/registry/000.00.00.H14", "/console/registry/{code}", C.READ_STATS),
    ("POST", "/console/registry", "/console/registry", C.MANAGE_REGISTRY),
    ("POST", "/console/registry/NOPE.99/close", "/console/registry/{code}/close", C.MANAGE_REGISTRY),
    ("GET", "/console/calendar", "/console/calendar", C.READ_STATS),
    ("POST", "/console/calendar", "/console/calendar", C.MANAGE_CALENDAR),
    ("POST", "/console/calendar/2026-09-03/remove", "/console/calendar/{day}/remove", C.MANAGE_CALENDAR),
    ("GET", "/console/users", "/console/users", C.MANAGE_USERS),
    ("POST", "/console/users", "/console/users", C.MANAGE_USERS),
    ("POST", "/console/users/nobody/enable", "/console/users/{username}/enable", C.MANAGE_USERS),
    ("POST", "/console/users/nobody/disable", "/console/users/{username}/disable", C.MANAGE_USERS),
    ("POST", "/console/users/nobody/password", "/console/users/{username}/password", C.MANAGE_USERS),
    ("GET", "/console/audit", "/console/audit", C.READ_AUDIT),
    ("GET", "/console/audit?verify=1", "/console/audit", C.READ_AUDIT),
)  # fmt: skip
#: Routes anyone may reach (the sign-in form, the assets, the unknown-page answer).
OPEN = frozenset(
    {"/console/login", "/console/logout", "/console/static/{name}", "/console/{rest:path}"}
)
WHO = (None, *Role)


def test_the_table_names_every_console_route() -> None:
    """Each route of every console page is in :data:`ROUTES` (or open): a new page needs a row."""
    served = {
        (method, PREFIX + route.path)
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
    for method, path, _, capability in ROUTES:
        if method == "GET":
            answer = await http.get(path)
        else:
            answer = await http.post(path, data={"csrf": token, "date": "x", "username": ""})
        allowed = role is not None and (capability is None or capability in ROLE_CAPABILITIES[role])
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
