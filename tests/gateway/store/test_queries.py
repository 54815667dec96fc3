"""Keyset pages of the sent list and of the copies (gateway/store/queries.py), on both backends."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from gateway.core.model import AcceptPlan, DeliveryState, MessageType
from gateway.store.repository import SqlStore
from tests.gateway.store.conftest import NOW, accepted, add_system, plan


def _at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


async def _sent(
    store: SqlStore,
    minutes: int,
    copies: int = 1,
    sender: str = "sys-a",
    system: str | None = "sys-b",
) -> AcceptPlan:
    """A document accepted ``minutes`` after NOW with ``copies`` copies for ``system`` (None:
    no system known yet, so the copies stay queued for the router)."""
    recipients = tuple((f"000.00.0{i}.H41", system) for i in range(1, copies + 1))
    p = plan(sender=sender, recipients=recipients)
    return await accepted(store, replace(p, document=replace(p.document, accepted_at=_at(minutes))))


async def _all_sent_pages(store: SqlStore, limit: int, **window: datetime) -> list[list[str]]:
    """Page through sys-a's sent documents, ``limit`` at a time: the document ids per page."""
    pages: list[list[str]] = []
    before: tuple[datetime, str] | None = None
    while True:
        rows = await store.sent_rows(
            "sys-a", None, MessageType.EDOC, limit, before=before, **window
        )
        if not rows:
            return pages
        ids = list(dict.fromkeys(doc.document_id for doc, _ in rows))
        pages.append(ids)
        last = rows[-1][0]
        before = (last.accepted_at, last.document_id)


async def test_sent_pages_cover_every_document_once_newest_first(store: SqlStore) -> None:
    """Pages after the previous page's last (accepted_at, document_id) list each document once,
    newest first, equal times ordered by id, each with all its copies."""
    docs = [await _sent(store, minutes, copies=2) for minutes in (0, 5, 5, 5, 9)]
    pages = await _all_sent_pages(store, 2)
    assert [len(page) for page in pages] == [2, 2, 1]
    listed = [doc_id for page in pages for doc_id in page]
    expected = sorted(
        docs, key=lambda p: (p.document.accepted_at, p.document.document_id), reverse=True
    )
    assert listed == [p.document.document_id for p in expected]
    rows = await store.sent_rows("sys-a", None, MessageType.EDOC, 1)
    assert len(rows) == 2  # one document, both its copies
    assert [copy.delivery_id for _, copy in rows] == sorted(copy.delivery_id for _, copy in rows)


async def test_a_document_accepted_while_paging_does_not_shift_the_pages(store: SqlStore) -> None:
    """A document committed between two pages is not seen by the next page and repeats nothing."""
    for minutes in (1, 2, 3, 4):
        await _sent(store, minutes)
    first = await store.sent_rows("sys-a", None, MessageType.EDOC, 2)
    last = first[-1][0]
    await _sent(store, 10)  # newer than everything: belongs before the first page
    await _sent(store, 2)  # same time as a document not listed yet: listed in its place
    second = await store.sent_rows(
        "sys-a", None, MessageType.EDOC, 10, before=(last.accepted_at, last.document_id)
    )
    seen = {doc.document_id for doc, _ in first}
    assert not seen & {doc.document_id for doc, _ in second}
    assert [doc.accepted_at for doc, _ in second] == [_at(2), _at(2), _at(1)]


async def test_sent_rows_filter_by_time_range(store: SqlStore) -> None:
    """`since` is inclusive, `until` exclusive, on the time the node accepted the document."""
    docs = {minutes: await _sent(store, minutes) for minutes in (0, 5, 10, 15)}
    rows = await store.sent_rows("sys-a", None, MessageType.EDOC, 10, since=_at(5), until=_at(15))
    assert [doc.document_id for doc, _ in rows] == [
        docs[10].document.document_id,
        docs[5].document.document_id,
    ]
    pages = await _all_sent_pages(store, 1, since=_at(5))
    assert len(pages) == 3


async def test_sent_rows_are_the_senders_only(store: SqlStore) -> None:
    """Another sender's documents are never on the page."""
    mine = await _sent(store, 0)
    await _sent(store, 1, sender="sys-c")
    rows = await store.sent_rows("sys-a", None, MessageType.EDOC, 10)
    assert {doc.document_id for doc, _ in rows} == {mine.document.document_id}


async def _all_delivery_pages(
    store: SqlStore, limit: int, system_id: str | None = None, **window: datetime
) -> list[list[str]]:
    pages: list[list[str]] = []
    before: tuple[datetime, str] | None = None
    while True:
        copies = await store.list_deliveries(
            state=None, system_id=system_id, limit=limit, before=before, **window
        )
        if not copies:
            return pages
        pages.append([c.delivery_id for c in copies])
        before = (copies[-1].updated_at, copies[-1].delivery_id)


async def test_delivery_pages_cover_every_copy_once_latest_change_first(store: SqlStore) -> None:
    """Copies page by (updated_at, delivery_id), most recent change first, each once."""
    for minutes in (0, 3, 3, 7):
        await _sent(store, minutes, copies=2)
    everything = await store.list_deliveries(state=None, system_id=None, limit=100)
    assert len(everything) == 8
    keys = [(c.updated_at, c.delivery_id) for c in everything]
    assert keys == sorted(keys, reverse=True)
    pages = await _all_delivery_pages(store, 3)
    assert [len(page) for page in pages] == [3, 3, 2]
    assert [i for page in pages for i in page] == [c.delivery_id for c in everything]


async def test_delivery_pages_filter_by_time_and_state(store: SqlStore) -> None:
    """`since`/`until` bound the last change; a copy made available later moves to the front."""
    old = await _sent(store, 0, system=None)
    await _sent(store, 5, system=None)
    moved = old.recipients[0].delivery_id
    assert await store.make_available(moved, _at(20), "sys-b")
    [first, *_] = await store.list_deliveries(state=None, system_id=None, limit=10)
    assert first.delivery_id == moved
    recent = await store.list_deliveries(state=None, system_id=None, limit=10, since=_at(5))
    assert [c.updated_at for c in recent] == [_at(20), _at(5)]
    early = await store.list_deliveries(state=None, system_id=None, limit=10, until=_at(20))
    assert [c.updated_at for c in early] == [_at(5)]
    available = await store.list_deliveries(state=DeliveryState.AVAILABLE, system_id=None, limit=10)
    assert [c.delivery_id for c in available] == [moved]


async def test_a_queued_copy_is_its_senders_only(store: SqlStore) -> None:
    """Scoped to a system: the sender sees its queued copy, the receiver once it is routed."""
    p = await _sent(store, 0, system=None)
    copy = p.recipients[0].delivery_id
    assert [c.delivery_id for c in await store.list_deliveries(
        state=None, system_id="sys-a", limit=10
    )] == [copy]  # fmt: skip
    assert await store.list_deliveries(state=None, system_id="sys-b", limit=10) == []
    assert await store.make_available(copy, _at(1), "sys-b")
    pages = await _all_delivery_pages(store, 1, system_id="sys-b")
    assert pages == [[copy]]
    assert await store.list_deliveries(state=None, system_id="sys-c", limit=10) == []


async def test_oldest_available_at_is_the_oldest_unconfirmed_copy(store: SqlStore) -> None:
    """oldest_available_at is the earliest available_at of copies still available (None when
    none waits); a received copy no longer counts."""
    assert await store.oldest_available_at() is None
    first = await _sent(store, 0)
    await _sent(store, 7)
    await _sent(store, 3, system=None)  # queued for the router: not available yet
    assert await store.oldest_available_at() == _at(0)
    await add_system(store, "sys-b", "H41")
    outcome = await store.confirm(
        first.recipients[0].delivery_id, done=True, actor="sys-b", now=_at(10), max_failures=3,
        retry_at=lambda n: _at(10), reason=None,
    )  # fmt: skip
    assert outcome is not None
    assert outcome.changed
    assert await store.oldest_available_at() == _at(7)
