"""The worker's watermark: it stops below a recent gap in the entry ids, passes an old one, and
never applies an entry twice; percentiles are nearest-rank."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.core.stats.figures import percentile
from gateway.core.stats.rollup import Watermark

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_contiguous_entries_move_the_watermark() -> None:
    """Entries 1..3 with no gap move it to 3."""
    mark = Watermark()
    assert mark.advance(0, [(1, NOW), (2, NOW), (3, NOW)], NOW) == 3
    assert mark.reading() == (3, ())


def test_a_recent_gap_holds_it_and_is_asked_for_again() -> None:
    """Entry 2 missing before a fresh entry 3: the watermark stays at 1, 3 is not applied again,
    2 is asked for by id; once 2 shows, it moves on."""
    mark = Watermark()
    assert mark.advance(0, [(1, NOW), (3, NOW)], NOW) == 1
    assert mark.skip(3)
    assert mark.reading() == (3, (2,))
    assert mark.advance(1, [(2, NOW)], NOW) == 3
    assert not mark.skip(3)


def test_an_old_gap_is_a_rolled_back_transaction() -> None:
    """A gap before an entry written over 30 s ago is passed."""
    mark = Watermark()
    old = NOW - timedelta(seconds=31)
    assert mark.advance(0, [(1, old), (3, old)], NOW) == 3


def test_another_worker_moving_it_resets_the_memory() -> None:
    """A stored watermark this worker did not write makes it start afresh from there."""
    mark = Watermark()
    mark.advance(0, [(1, NOW), (3, NOW)], NOW)
    assert mark.advance(10, [(11, NOW)], NOW) == 11
    assert not mark.skip(3)


def test_percentiles_are_nearest_rank() -> None:
    """p50 of 1..10 is 5, p95 is 10; an empty histogram has none."""
    histogram = {v: 1 for v in range(1, 11)}
    assert percentile(histogram, 50) == 5
    assert percentile(histogram, 95) == 10
    assert percentile({7: 3}, 95) == 7
    assert percentile({}, 50) is None
