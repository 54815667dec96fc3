"""Cursor paging and time ranges of /api/v1/sent and /deliveries (gateway/api/native/paging.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.api.native.paging import decode_cursor, encode_cursor
from gateway.core.errors import BadRequest
from tests.gateway.api.native_support import RECEIVER, SENDER, NativeNode, edoc, open_node


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NativeNode]:
    """A started node with three connected systems."""
    async with open_node(tmp_path) as started:
        yield started


async def _send(node: NativeNode) -> str:
    """A distinct document from SENDER to the sample's one recipient: its id."""
    response = await node.send(SENDER, edoc(str(uuid.uuid4())))
    assert response.status_code == 201, response.text
    document_id: str = response.json()["document_id"]
    return document_id


async def _pages(node: NativeNode, system_id: str, path: str, **params: Any) -> list[list[str]]:
    """Follow `next_cursor` to the end: the document ids (/sent) or copy ids of each page."""
    key = "document_id" if path.endswith("/sent") else "delivery_id"
    pages: list[list[str]] = []
    cursor = None
    while True:
        query = dict(params, cursor=cursor) if cursor else params
        response = await node.get(system_id, path, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(list(dict.fromkeys(row[key] for row in body["items"])))
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


async def test_sent_pages_follow_the_cursor_to_a_null_end(node: NativeNode) -> None:
    """`/sent?limit=2` pages the caller's documents newest first; the last page's
    `next_cursor` is null."""
    sent = [await _send(node) for _ in range(5)]
    pages = await _pages(node, SENDER, "/api/v1/sent", limit=2)
    assert pages == [sent[4:2:-1], sent[2:0:-1], sent[0:1]]


async def test_a_send_between_two_pages_shifts_nothing(node: NativeNode) -> None:
    """A document accepted while the client pages is not on the next page, and no row of the
    first page comes again (keyset, not OFFSET)."""
    older = [await _send(node) for _ in range(3)]
    first = (await node.get(SENDER, "/api/v1/sent", limit=2)).json()
    await _send(node)
    second = (await node.get(SENDER, "/api/v1/sent", limit=2, cursor=first["next_cursor"])).json()
    assert [row["document_id"] for row in first["items"]] == [older[2], older[1]]
    assert [row["document_id"] for row in second["items"]] == [older[0]]
    assert second["next_cursor"] is None


async def test_deliveries_page_with_a_cursor(node: NativeNode) -> None:
    """`/deliveries?limit=1` pages the copies most recently changed first, each once, for the
    sender and, once routed, the receiver."""
    for _ in range(3):
        await _send(node)
    await node.route()
    for system_id in (SENDER, RECEIVER):
        pages = await _pages(node, system_id, "/api/v1/deliveries", limit=1)
        assert [len(page) for page in pages] == [1, 1, 1]
        assert len({copy for page in pages for copy in page}) == 3


async def test_since_and_until_bound_the_lists(node: NativeNode) -> None:
    """`since` (inclusive) and `until` (exclusive) take aware instants in any offset."""
    first = await _send(node)
    [row] = (await node.get(SENDER, "/api/v1/sent")).json()["items"]
    accepted = datetime.fromisoformat(row["created_at"])
    second = await _send(node)
    both = await node.get(SENDER, "/api/v1/sent", since=accepted.isoformat())
    assert [r["document_id"] for r in both.json()["items"]] == [second, first]
    later = (accepted + timedelta(microseconds=1)).astimezone(UTC).isoformat()
    only_second = await node.get(SENDER, "/api/v1/sent", since=later)
    assert [r["document_id"] for r in only_second.json()["items"]] == [second]
    only_first = await node.get(SENDER, "/api/v1/sent", until=later)
    assert [r["document_id"] for r in only_first.json()["items"]] == [first]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    changed = await node.get(SENDER, "/api/v1/deliveries", since=future)
    assert changed.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("path", ["/api/v1/sent", "/api/v1/deliveries"])
@pytest.mark.parametrize("name", ["since", "until"])
async def test_a_time_without_offset_is_refused(node: NativeNode, path: str, name: str) -> None:
    """A naive `since`/`until` answers 422 REQUEST_INVALID naming the parameter."""
    response = await node.get(SENDER, path, **{name: "2026-03-02T08:00:00"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("REQUEST_INVALID", name)


async def test_a_reversed_range_is_refused(node: NativeNode) -> None:
    """`until` not after `since` answers 422 REQUEST_PARAMETER on `until`."""
    response = await node.get(
        SENDER, "/api/v1/sent", since="2026-03-02T08:00:00Z", until="2026-03-02T08:00:00Z"
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("REQUEST_PARAMETER", "until")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "AAAA",
        encode_cursor("sent", datetime(2026, 3, 2, tzinfo=UTC), "x"),  # another list's
        "x" * 401,
    ],
)
async def test_a_bad_cursor_is_refused(node: NativeNode, cursor: str) -> None:
    """A cursor /deliveries did not give out answers 422 naming `cursor`."""
    response = await node.get(SENDER, "/api/v1/deliveries", cursor=cursor)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] in ("REQUEST_PARAMETER", "REQUEST_INVALID")
    assert error["field"] == "cursor"


def test_a_cursor_names_its_position_and_list() -> None:
    """A cursor decodes to the (time, id) it was made of, in its own list only."""
    at = datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC)
    cursor = encode_cursor("deliveries", at, "b6c0-…")
    assert decode_cursor("deliveries", cursor) == (at, "b6c0-…")
    assert decode_cursor("deliveries", None) is None
    with pytest.raises(BadRequest):
        decode_cursor("sent", cursor)


async def test_limit_is_bounded(node: NativeNode) -> None:
    """`limit` outside 1..500 answers 422 REQUEST_INVALID on `limit`."""
    for path in ("/api/v1/sent", "/api/v1/deliveries"):
        for limit in (0, 501):
            response = await node.get(SENDER, path, limit=limit)
            assert response.status_code == 422
            assert response.json()["error"]["field"] == "limit"


async def test_forwarded_copies_are_listed_and_filterable(node: NativeNode) -> None:
    """`state=forwarded` is accepted, and a forwarded copy shows as such in both lists."""
    document_id = await _send(node)
    [row] = (await node.get(SENDER, "/api/v1/sent")).json()["items"]
    runtime = node.runtime
    now = runtime.clock.now()
    handed = await runtime.store.confirm(
        row["delivery_id"],
        done=True,
        actor=RECEIVER,
        now=now,
        max_failures=3,
        retry_at=lambda n: now,
        reason=None,
        next_doc_id="downstream-1",  # a downstream node took the copy on
    )
    assert handed is not None
    assert handed.changed
    response = await node.get(SENDER, "/api/v1/deliveries", state="forwarded")
    assert response.status_code == 200, response.text
    [copy] = response.json()["items"]
    assert (copy["document_id"], copy["state"]) == (document_id, "forwarded")
    [sent] = (await node.get(SENDER, "/api/v1/sent")).json()["items"]
    assert sent["state"] == "forwarded"
