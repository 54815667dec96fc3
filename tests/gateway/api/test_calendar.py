"""``/api/v1/calendar``: legal time and days for anyone, override rows for admin systems, and the
legal measures of the native trace."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

import gateway.app
from gateway.core.calendar import Override, OverrideKind
from gateway.core.clock import VN_TZ, FrozenClock
from gateway.core.legal import StoredOverride
from gateway.core.systems import SystemAdmin
from gateway.runtime import open_runtime
from tests.gateway.api.native_support import RECEIVER, SENDER, NativeNode, open_node

ADMIN = "sys-admin"


def vn(text: str) -> datetime:
    """An instant written in +07:00."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


@pytest.fixture
async def native(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[NativeNode, FrozenClock]]:
    """A node (clock frozen at Monday 2026-03-02 16:30 +07:00) with an admin system added."""
    clock = FrozenClock(vn("2026-03-02T16:30"))
    monkeypatch.setattr(gateway.app, "open_runtime", functools.partial(open_runtime, clock=clock))
    async with open_node(tmp_path) as node:
        runtime = node.runtime
        admin = SystemAdmin(runtime.store, runtime.exchange.secrets, runtime.registry, clock)
        node.tokens[ADMIN] = (await admin.add(ADMIN, ("000.00.00.H14",), admin=True)).token
        yield node, clock


@pytest.mark.parametrize(
    ("at", "legal", "office", "notice"),
    [
        (
            "2025-12-31T17:30:00+07:00",
            "2026-01-05T07:30:00+07:00",
            False,
            "2026-01-05T17:00:00+07:00",
        ),
        ("2026-03-02T09:00", "2026-03-02T09:00:00+07:00", True, "2026-03-02T17:00:00+07:00"),
        ("2026-03-02T04:45:00Z", "2026-03-02T13:30:00+07:00", False, "2026-03-02T17:00:00+07:00"),
    ],
)
async def test_legal_time_is_public(
    native: tuple[NativeNode, FrozenClock], at: str, legal: str, office: bool, notice: str
) -> None:
    """Anyone may ask the legal receipt time of an instant; answers are in +07:00."""
    node, _ = native
    response = await node.client.get("/api/v1/calendar/legal-time", params={"at": at})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["legal_time"], body["office_time"], body["notice_deadline"]) == (
        legal,
        office,
        notice,
    )
    assert body["at"].endswith("+07:00")
    assert body["calendar_version"] == node.runtime.calendar.legal.version


@pytest.mark.parametrize(
    ("at", "code"),
    [
        ("2026-03-02", "REQUEST_PARAMETER"),
        ("soon", "REQUEST_PARAMETER"),
        ("1800-01-01T09:00", "CALENDAR_RANGE"),
    ],
)
async def test_legal_time_refuses_bad_instants(
    native: tuple[NativeNode, FrozenClock], at: str, code: str
) -> None:
    """A date alone, a non-instant or a year outside the calendar is refused with its code."""
    node, _ = native
    response = await node.client.get("/api/v1/calendar/legal-time", params={"at": at})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == "at"


async def test_days_show_holidays_and_make_up_days(native: tuple[NativeNode, FrozenClock]) -> None:
    """`/days` lists each day with its kind, name, source and sessions."""
    node, _ = native
    response = await node.client.get(
        "/api/v1/calendar/days", params={"from": "2026-01-01", "to": "2026-01-12"}
    )
    assert response.status_code == 200, response.text
    days = {d["date"]: d for d in response.json()["days"]}
    assert len(days) == 12
    assert days["2026-01-01"]["kind"] == "holiday"
    assert days["2026-01-02"]["kind"] == "holiday"
    assert days["2026-01-02"]["source"]
    assert days["2026-01-03"] | {"sessions": None} == {
        "date": "2026-01-03",
        "kind": "weekend",
        "working": False,
        "name": None,
        "source": None,
        "confidence": None,
        "sessions": None,
    }
    assert days["2026-01-10"]["kind"] == "make_up"
    assert days["2026-01-10"]["sessions"] == ["07:30-11:30", "13:30-17:00"]
    assert days["2026-01-12"]["working"] is True
    single = await node.client.get("/api/v1/calendar/days", params={"from": "2026-01-10"})
    assert [d["date"] for d in single.json()["days"]] == ["2026-01-10"]


@pytest.mark.parametrize(
    "params",
    [{"from": "2026-01-10", "to": "2026-01-09"}, {"from": "2026-01-01", "to": "2027-01-02"}],
)
async def test_days_refuse_bad_ranges(
    native: tuple[NativeNode, FrozenClock], params: dict[str, str]
) -> None:
    """`to` before `from`, or more than 366 days, is refused."""
    node, _ = native
    response = await node.client.get("/api/v1/calendar/days", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "to"


async def test_days_outside_the_calendar_are_refused(
    native: tuple[NativeNode, FrozenClock],
) -> None:
    """Days before 1900 or after 2199 are refused with CALENDAR_RANGE."""
    node, _ = native
    response = await node.client.get("/api/v1/calendar/days", params={"from": "1899-12-31"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "CALENDAR_RANGE"


OVERRIDE = {"date": "2026-03-06", "kind": "day_off", "name": "Nghỉ", "source": "CV 9/2026"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/calendar/overrides", None),
        ("POST", "/api/v1/calendar/overrides", OVERRIDE),
        ("POST", "/api/v1/calendar/overrides", {"date": "x"}),  # refused before the body
        ("DELETE", "/api/v1/calendar/overrides/2026-03-06", None),
    ],
)
async def test_overrides_are_for_admin_systems(
    native: tuple[NativeNode, FrozenClock], method: str, path: str, body: Any
) -> None:
    """A system without the admin grant gets 403 AUTH_FORBIDDEN; no token gets 401."""
    node, _ = native
    refused = await node.client.request(method, path, json=body, headers=node.auth(SENDER))
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "AUTH_FORBIDDEN"
    anonymous = await node.client.request(method, path, json=body)
    assert anonymous.status_code == 401


async def test_admin_adds_lists_and_removes_an_override(
    native: tuple[NativeNode, FrozenClock],
) -> None:
    """An admin's row changes the calendar at once (new version); it can be removed again."""
    node, _ = native
    headers = node.auth(ADMIN)
    before = node.runtime.calendar.legal.version
    added = await node.client.post("/api/v1/calendar/overrides", json=OVERRIDE, headers=headers)
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["override"] | {"created_at": None} == {
        **OVERRIDE,
        "confidence": "high",
        "created_at": None,
        "created_by": ADMIN,
    }
    assert body["override"]["created_at"].endswith("+07:00")
    assert body["calendar_version"] != before
    assert "recompute" in body["note"]
    day = await node.client.get("/api/v1/calendar/days", params={"from": "2026-03-06"})
    assert day.json()["days"][0]["kind"] == "holiday"
    legal = await node.client.get("/api/v1/calendar/legal-time", params={"at": "2026-03-06T09:00"})
    assert legal.json()["legal_time"] == "2026-03-09T07:30:00+07:00"

    again = await node.client.post("/api/v1/calendar/overrides", json=OVERRIDE, headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CALENDAR_OVERRIDE_EXISTS"
    listed = await node.client.get("/api/v1/calendar/overrides", headers=headers)
    assert [row["date"] for row in listed.json()] == ["2026-03-06"]

    removed = await node.client.delete("/api/v1/calendar/overrides/2026-03-06", headers=headers)
    assert removed.status_code == 200, removed.text
    assert removed.json()["calendar_version"] == before
    gone = await node.client.delete("/api/v1/calendar/overrides/2026-03-06", headers=headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "CALENDAR_OVERRIDE_UNKNOWN"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({**OVERRIDE, "kind": "holiday"}, "REQUEST_INVALID", "kind"),
        ({**OVERRIDE, "source": ""}, "REQUEST_INVALID", "source"),
        ({**OVERRIDE, "source": "   "}, "CALENDAR_FORMAT", "source"),
        ({**OVERRIDE, "date": "2300-01-01"}, "CALENDAR_RANGE", "date"),
        ({**OVERRIDE, "extra": 1}, "REQUEST_INVALID", "extra"),
    ],
)
async def test_bad_override_rows_are_refused(
    native: tuple[NativeNode, FrozenClock], body: dict[str, Any], code: str, field: str
) -> None:
    """An override row needs a known kind, a source and a date the calendar covers."""
    node, _ = native
    response = await node.client.post(
        "/api/v1/calendar/overrides", json=body, headers=node.auth(ADMIN)
    )
    assert response.status_code == 422, response.text
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)


async def test_trace_shows_the_legal_measures(native: tuple[NativeNode, FrozenClock]) -> None:
    """The native trace carries the document's and each copy's legal measures in +07:00."""
    node, clock = native
    document_id, delivery_id = await node.send_routed()
    clock.at = vn("2026-03-02T17:10")
    assert (await node.confirm(RECEIVER, delivery_id, "done")).status_code == 200
    trace = (await node.get(SENDER, f"/api/v1/documents/{document_id}/trace")).json()
    version = node.runtime.calendar.legal.version
    assert trace["document"]["legal"] == {
        "sent_at": "2026-03-02T16:30:00+07:00",
        "send_deadline": "2019-01-18T11:30:00+07:00",  # PromulgationDate 2019/01/17
        "sent_on_time": False,
        "due_at": "2018-06-25T17:00:00+07:00",  # DueDate 2018/06/25
        "calendar_version": version,
    }
    assert trace["recipients"][0]["legal"] == {
        "sent_at": "2026-03-02T16:30:00+07:00",
        "received_at": "2026-03-02T17:10:00+07:00",
        "legal_received_at": "2026-03-03T07:30:00+07:00",
        "received_out_of_hours": True,
        "notice_deadline": "2026-03-03T17:00:00+07:00",
        "notice_on_time": None,
        "due_at": "2018-06-25T17:00:00+07:00",
        "overdue": True,  # no 06 and long past due
        "urgent_handover_minutes": None,
        "calendar_version": version,
    }
    sent = (await node.get(SENDER, "/api/v1/sent")).json()["items"]
    assert sent[0]["legal"] == trace["recipients"][0]["legal"]


async def test_rows_changed_elsewhere_are_picked_up(native: tuple[NativeNode, FrozenClock]) -> None:
    """A row another process stored (the CLI) is used after the periodic reload."""
    node, clock = native
    calendar = node.runtime.calendar
    before = calendar.legal.version
    row = StoredOverride(
        Override(date(2026, 3, 6), OverrideKind.DAY_OFF, "Nghỉ", "CV 9/2026"), clock.now(), "cli"
    )
    await node.runtime.store.add_calendar_override(row)
    assert calendar.legal.version == before  # not yet seen
    assert await calendar.reload()
    assert calendar.legal.version != before
    assert not await calendar.reload()  # nothing new


async def test_office_hours_and_calendar_file_settings(tmp_path: Path) -> None:
    """GATEWAY_OFFICE_HOURS and GATEWAY_CALENDAR_FILE shape the node's calendar."""
    table = tmp_path / "province.csv"
    table.write_text(
        "date,kind,name,source\n2026-03-06,day_off,Ngày tỉnh,QĐ 1/2026/QĐ-UBND\n", encoding="utf-8"
    )
    async with open_node(
        tmp_path, office_hours="07:00-11:30,13:30-17:00", calendar_file=str(table)
    ) as node:
        early = await node.client.get(
            "/api/v1/calendar/legal-time", params={"at": "2026-03-02T07:10"}
        )
        assert early.json()["office_time"] is True
        day = await node.client.get("/api/v1/calendar/days", params={"from": "2026-03-06"})
        assert day.json()["days"][0]["source"] == "QĐ 1/2026/QĐ-UBND"
        new_year = await node.client.get("/api/v1/calendar/days", params={"from": "2026-01-02"})
        assert new_year.json()["days"][0]["kind"] == "working"  # the shipped table is replaced
