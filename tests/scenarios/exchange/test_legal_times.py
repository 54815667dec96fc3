"""Legal measures end to end through the VXP API, on both backends, with the node's clock frozen:
send deadline, legal receipt after hours, urgent hand-over minutes, receipt notice, overdue."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import gateway.app
from connectors.vxp.client import VxpClient
from edxml import Priority
from gateway.core.clock import VN_TZ, FrozenClock
from gateway.runtime import open_runtime
from tests.scenarios.exchange.conftest import Node, eventually, node_settings, start_node
from tests.scenarios.exchange.packages import document, edxml_id, status

H14, H41 = "000.00.00.H14", "000.00.00.H41"


def vn(text: str) -> datetime:
    """An instant written in +07:00."""
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


@pytest.fixture
async def timed(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Node, FrozenClock]]:
    """A started node whose clock stands at Monday 2026-03-02 16:30 (+07:00) until moved."""
    clock = FrozenClock(vn("2026-03-02T16:30"))
    monkeypatch.setattr(gateway.app, "open_runtime", functools.partial(open_runtime, clock=clock))
    async for node in start_node(node_settings(backend, tmp_path)):
        yield node, clock


async def _received(node: Node, receiver: VxpClient) -> str:
    items = await eventually(lambda: receiver.get_received_edoc_list("edoc"), lambda v: len(v) == 1)
    return items[0].doc_id


async def _row(sender: VxpClient, doc_id: str) -> dict[str, Any]:
    (row,) = await sender.get_sent_edoc_list(doc_id)
    return dict(row.extra)


async def test_urgent_document_received_after_hours(timed: tuple[Node, FrozenClock]) -> None:
    """An urgent copy confirmed at 17:45 counts from 07:30 next day; notice, due and overdue."""
    node, clock = timed
    sender, receiver = node.client(H14), node.client(H41)
    data = document(
        H14, (H41,), promulgated=date(2026, 3, 2), due=date(2026, 3, 7), priority=Priority.KHAN
    )
    doc_id = await sender.send_edoc(data, from_code=H14)
    copy_id = await _received(node, receiver)
    clock.at = vn("2026-03-02T17:45")
    await receiver.update_status(copy_id, "done")

    row = await _row(sender, doc_id)
    version = node.runtime.calendar.legal.version
    assert row["sendDeadline"] == "2026-03-03T11:30:00+07:00"
    assert row["sentOnTime"] is True
    assert row["dueTime"] == "2026-03-09T17:00:00+07:00"  # DueDate on a Saturday
    assert row["legalReceivedTime"] == "2026-03-03T07:30:00+07:00"
    assert row["receivedOutOfHours"] is True
    assert row["noticeDeadline"] == "2026-03-03T17:00:00+07:00"
    assert row["urgentHandoverMinutes"] == 30  # 16:30 → 17:00 of office time
    assert row["overdue"] is False
    assert "noticeOnTime" not in row  # pending: no 01/03 yet, deadline ahead
    assert row["calendarVersion"] == row["receiptCalendarVersion"] == version

    clock.at = vn("2026-03-03T09:00")
    target = edxml_id(data)
    await receiver.send_edoc(status("01", document_id=target), from_code=H41, messagetype="status")
    assert (await _row(sender, doc_id))["noticeOnTime"] is True

    clock.at = vn("2026-03-10T08:00")  # past the due time, no 06: overdue as of now
    assert (await _row(sender, doc_id))["overdue"] is True
    await receiver.send_edoc(status("06", document_id=target), from_code=H41, messagetype="status")
    clock.at += timedelta(days=30)
    row = await _row(sender, doc_id)
    assert (row["overdue"], row["statusCode"]) == (True, "06")  # the 06 came late


async def test_receipt_notice_missing_then_late(timed: tuple[Node, FrozenClock]) -> None:
    """No 01/03 by the end of the receipt day is late, and a later 01 stays late."""
    node, clock = timed
    clock.at = vn("2026-03-02T09:00")
    sender, receiver = node.client(H14), node.client(H41)
    data = document(H14, (H41,), promulgated=date(2026, 2, 26))
    doc_id = await sender.send_edoc(data, from_code=H14)
    copy_id = await _received(node, receiver)
    clock.at = vn("2026-03-02T09:30")
    await receiver.update_status(copy_id, "done")

    row = await _row(sender, doc_id)
    assert row["sentOnTime"] is False  # due by Friday 27 Feb 11:30
    assert row["legalReceivedTime"] == "2026-03-02T09:30:00+07:00"
    assert row["receivedOutOfHours"] is False
    assert not {"urgentHandoverMinutes", "dueTime", "overdue"} & set(row)  # neither applies
    clock.at = vn("2026-03-02T17:00:01")
    assert (await _row(sender, doc_id))["noticeOnTime"] is False
    clock.at = vn("2026-03-03T08:00")
    await receiver.send_edoc(
        status("03", document_id=edxml_id(data)), from_code=H41, messagetype="status"
    )
    assert (await _row(sender, doc_id))["noticeOnTime"] is False
