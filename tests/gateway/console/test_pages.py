"""The console's pages over plain HTTP: the frame (no outside asset, not in OpenAPI, +07:00
times, coded error pages), and the changes of the systems, registry, calendar and users pages,
each made through its use case and audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from gateway.console.pages import vn_time
from gateway.core.actors import Action
from tests.gateway.console.conftest import Console, csrf_of, failed_copies
from tests.scenarios.exchange.conftest import SECRETS

TEMPLATES = Path(__file__).resolve().parents[3] / "gateway" / "console" / "templates"


async def _actions(console: Console) -> list[str]:
    return [e.action for e in await console.node.runtime.audit.page(limit=200)]


def test_times_read_in_vietnam() -> None:
    """An instant shows in +07:00 as dd/mm/yyyy HH:MM."""
    assert vn_time(datetime(2026, 9, 1, 17, 5, tzinfo=UTC)) == "02/09/2026 00:05"
    assert vn_time(None) == "—"


def test_templates_name_no_outside_address() -> None:
    """No template links a CDN or any other site: every asset is the node's."""
    for template in TEMPLATES.glob("*.html"):
        assert not re.search(r"(?:src|href)=\"(?:https?:)?//", template.read_text("utf-8")), (
            template
        )


async def test_console_is_not_in_the_openapi_document_and_its_assets_are_served(
    embedded_console: Console,
) -> None:
    """/openapi.json lists no console path; the stylesheet and icon come from the node."""
    http = embedded_console.client()
    spec = (await http.get("/openapi.json")).json()
    assert not [p for p in spec["paths"] if p.startswith("/console")]
    page = await http.get("/console/login")
    for asset in re.findall(r'(?:src|href)="(/console/static/[^"]+)"', page.text):
        answer = await http.get(asset)
        assert answer.status_code == 200, asset
    assert (await http.get("/console/static/nope.js")).status_code == 404


async def test_unknown_pages_and_copies_answer_coded_error_pages(embedded_console: Console) -> None:
    """An unknown page is a 404 page in the frame; an unknown copy names DELIVERY_UNKNOWN."""
    http, _ = await embedded_console.signed_in("kiemtoan")
    page = await http.get("/console/khong-co")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "NOT_FOUND" in page.text
    assert 'href="/console/deliveries"' in page.text  # the signed-in person's menu
    copy = await http.get("/console/deliveries/khong-co")
    assert copy.status_code == 404
    assert "DELIVERY_UNKNOWN" in copy.text


async def test_systems_disable_rotate_and_grant(embedded_console: Console) -> None:
    """Disabling stops VXP calls, a new secret is shown once and signs, grants change; audited."""
    http, token = await embedded_console.signed_in("vanhanh1")
    system = "000.00.00.H41"
    answer = await http.post(f"/console/systems/{system}/disable", data={"csrf": token})
    assert answer.status_code == 303
    runtime = embedded_console.node.runtime
    found = await runtime.store.get_system(system)
    assert found is not None
    assert not found.enabled
    await http.post(f"/console/systems/{system}/enable", data={"csrf": token})
    rotated = await http.post(f"/console/systems/{system}/rotate", data={"csrf": token})
    secret = re.search(r'<code id="secret">([^<]+)</code>', rotated.text)
    assert secret
    assert secret.group(1) != SECRETS[system]
    client = embedded_console.node.client(system, secret.group(1))
    assert await client.count_receive_edoc() == 0  # the new secret signs
    assert secret.group(1) not in (await http.get("/console/systems")).text  # shown once
    await http.post(f"/console/systems/{system}/grants", data={"csrf": token, "codes": "H42"})
    granted = await runtime.store.get_system(system)
    assert granted is not None
    assert "H42" in granted.grants
    actions = await _actions(embedded_console)
    for action in (
        Action.SYSTEM_DISABLED,
        Action.SYSTEM_ENABLED,
        Action.SYSTEM_SECRET_ROTATED,
        Action.SYSTEM_GRANTED,
    ):
        assert action.value in actions


async def test_registry_add_close_into_successor_and_history(embedded_console: Console) -> None:
    """An operator adds an agency, closes another into it, and the history shows the closing."""
    http, token = await embedded_console.signed_in("vanhanh1")
    added = await http.post(
        "/console/registry",
        data={"csrf": token, "code": "000.00.99.H14", "name": "Sở Thử nghiệm"},
    )
    assert added.status_code == 303
    assert (await http.get("/console/registry?q=thử nghiệm")).text.count("000.00.99.H14") >= 1
    other = await http.post(
        "/console/registry",
        data={"csrf": token, "code": "000.00.97.H14", "name": "Sở Sáp nhập"},
    )
    assert other.status_code == 303
    closing = await http.post(
        "/console/registry/000.00.97.H14/close",
        data={"csrf": token, "successor": "000.00.99.H14", "effective": "2026-12-01"},
    )
    assert closing.status_code == 303
    page = await http.get("/console/registry/000.00.97.H14")
    assert "Đã đóng" in page.text
    assert "000.00.99.H14" in page.text
    assert Action.REGISTRY_CHANGED.value in await _actions(embedded_console)


async def test_calendar_override_with_its_source(embedded_console: Console) -> None:
    """An override row needs its source; it shows in the month with who added it; removed."""
    http, token = await embedded_console.signed_in("vanhanh1")
    refused = await http.post(
        "/console/calendar",
        data={"csrf": token, "date": "2026-09-04", "kind": "day_off", "name": "Nghỉ", "source": ""},
    )
    assert refused.status_code == 422
    assert "CALENDAR_FORMAT" in refused.text
    data = {
        "csrf": token,
        "date": "2026-09-04",
        "kind": "day_off",
        "name": "Nghỉ bù thử",
        "source": "Công văn 123/UBND-VP",
    }
    assert (await http.post("/console/calendar", data=data)).status_code == 303
    month = await http.get("/console/calendar?month=2026-09")
    assert "Công văn 123/UBND-VP" in month.text
    assert "vanhanh1" in month.text
    removed = await http.post("/console/calendar/2026-09-04/remove", data={"csrf": token})
    assert removed.status_code == 303
    assert "Công văn 123/UBND-VP" not in (await http.get("/console/calendar?month=2026-09")).text
    assert Action.CALENDAR_OVERRIDE.value in await _actions(embedded_console)


async def test_users_add_disable_and_the_last_admin(embedded_console: Console) -> None:
    """An admin adds a person, disables them (their session stops); the last admin stays."""
    admin, token = await embedded_console.signed_in("quantri")
    added = await admin.post(
        "/console/users", data={"csrf": token, "username": "nguoimoi", "role": "auditor"}
    )
    password = re.search(r'<code id="password">([^<]+)</code>', added.text)
    assert password
    newcomer = embedded_console.client()
    page = await newcomer.get("/console/login")
    signed = await newcomer.post(
        "/console/login",
        data={"csrf": csrf_of(page.text), "username": "nguoimoi", "password": password.group(1)},
    )
    assert signed.status_code == 303
    assert (await newcomer.get("/console/")).status_code == 200
    await admin.post("/console/users/nguoimoi/disable", data={"csrf": token})
    assert (await newcomer.get("/console/")).status_code == 303  # their session stopped
    last = await admin.post("/console/users/quantri/disable", data={"csrf": token})
    assert last.status_code == 409
    assert "USER_LAST_ADMIN" in last.text


async def test_deliveries_filter_order_and_refusals(embedded_console: Console) -> None:
    """Filtered and ordered copies with counts; a bad state is a 422 page; auditors only read."""
    ids = await failed_copies(embedded_console, 2)
    http, _ = await embedded_console.signed_in("kiemtoan")
    page = await http.get("/console/deliveries?state=failed&sort=created_at&lang=en")
    assert page.status_code == 200
    assert page.text.index(ids[0]) < page.text.index(ids[1])  # oldest accepted first
    assert 'id="chip-failed"' in page.text
    assert "Failed: 2" in page.text
    assert 'name="delivery_id"' not in page.text  # auditors replay nothing
    bad = await http.get("/console/deliveries?state=lost")
    assert bad.status_code == 422
    assert "REQUEST_PARAMETER" in bad.text
    detail = await http.get(f"/console/deliveries/{ids[0]}")
    assert "Receiver failed" in detail.text  # in English: the switch is remembered
    assert 'id="replay-form"' not in detail.text


async def test_the_calendar_page_keeps_the_node_version_in_its_footer(
    embedded_console: Console,
) -> None:
    """The month shows the calendar's version; the footer still names the node's release."""
    from gateway import package_version

    http, _ = await embedded_console.signed_in("vanhanh1")
    page = (await http.get("/console/calendar")).text
    legal = embedded_console.node.runtime.calendar.legal
    assert f"<code>{legal.version}</code>" in page
    assert f"<footer>truc-lienthong {package_version()}</footer>" in page
