"""append_trace adds one TraceHeader and leaves every other byte of the package unchanged."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from edxml import VN_TZ, BuildError, DocumentPackage, StatusPackage, append_trace, parse
from tests.edxml.conftest import corpus, sdk_samples

STAMP = datetime(2026, 11, 23, 1, 2, 3, tzinfo=VN_TZ)


def _split(original: bytes, result: bytes) -> tuple[int, bytes]:
    """Return (insertion offset, inserted bytes), asserting nothing else changed."""
    at = 0
    while at < len(original) and original[at] == result[at]:
        at += 1
    inserted = len(result) - len(original)
    assert result[:at] == original[:at]
    assert result[at + inserted :] == original[at:]
    return at, result[at : at + inserted]


@pytest.mark.parametrize(
    "path", sdk_samples() + corpus("valid") + corpus("realworld"), ids=lambda p: p.name
)
def test_append_trace_keeps_every_other_byte(path: Path) -> None:
    """Bytes before and after the inserted entry equal the original; the model gains one entry."""
    original = path.read_bytes()
    before = parse(original)
    result = append_trace(original, "000.00.00.H14", STAMP)
    _, inserted = _split(original, result)
    assert b"000.00.00.H14" in inserted
    assert b"2026/11/23 01:02:03" in inserted
    after = parse(result)
    assert isinstance(after, (DocumentPackage, StatusPackage))
    assert len(after.traces) == len(before.traces) + 1  # type: ignore[union-attr]
    assert after.traces[-1].organ_id == "000.00.00.H14"
    assert after.traces[-1].timestamp == STAMP


def test_each_hop_appends_after_the_previous() -> None:
    """Two hops in a row give two new entries in order; the earlier ones are untouched."""
    original = next(p for p in sdk_samples() if p.name == "edoc_new.edxml").read_bytes()
    once = append_trace(original, "000.00.00.H14", STAMP)
    twice = append_trace(once, "000.00.00.G22", STAMP.replace(hour=2))
    pkg = parse(twice)
    assert isinstance(pkg, DocumentPackage)
    assert [t.organ_id for t in pkg.traces] == ["000.00.00.G22", "000.00.00.H14", "000.00.00.G22"]


def test_timestamp_is_written_in_vietnam_time() -> None:
    """A UTC instant is written as +07:00 local time (edXML has no zone)."""
    from datetime import UTC

    original = next(p for p in sdk_samples() if p.name == "status.edxml").read_bytes()
    result = append_trace(original, "H14", datetime(2026, 11, 22, 18, 0, 0, tzinfo=UTC))
    assert b"<edXML:Timestamp>2026/11/23 01:00:00</edXML:Timestamp>" in result


def test_crlf_packages_get_crlf_entries() -> None:
    """The inserted lines use the package's own line ending."""
    original = next(p for p in sdk_samples() if p.name == "edoc_update.edxml").read_bytes()
    assert b"\r\n" in original
    _, inserted = _split(original, append_trace(original, "H14", STAMP))
    assert inserted.count(b"\r\n") == inserted.count(b"\n")


def test_naive_timestamp_is_refused() -> None:
    """A timestamp without a zone is a BuildError, never guessed."""
    original = next(p for p in sdk_samples() if p.name == "status.edxml").read_bytes()
    with pytest.raises(BuildError):
        append_trace(original, "H14", datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_fake_entry_in_a_comment_is_not_used() -> None:
    """A TraceHeader inside a comment does not attract the insertion."""
    original = next(p for p in sdk_samples() if p.name == "status.edxml").read_bytes()
    fake = original.replace(
        b"<edXML:MessageHeader>",
        b"<!-- <edXML:TraceHeaderList><edXML:TraceHeader></edXML:TraceHeader> -->"
        b"<edXML:MessageHeader>",
        1,
    )
    pkg = parse(append_trace(fake, "H14", STAMP))
    assert isinstance(pkg, StatusPackage)
    assert len(pkg.traces) == 1
