"""The SDK's HashMap iteration order (connectors.vxp.sdkmap) against the spec's captures."""

from __future__ import annotations

import pytest

from connectors.vxp.sdkmap import SdkHeaderMap, java_string_hash, sdk_key_order

CONSTRUCTOR = ["systemid", "timestamp"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 0), ("hello", 99162322), ("polygenelubricants", 2**31), ("ệ", 0x1EC7)],
)
def test_java_string_hash(text: str, expected: int) -> None:
    """String.hashCode() over UTF-16 units, as unsigned 32 bits (Integer.MIN_VALUE -> 2**31)."""
    assert java_string_hash(text) == expected


def test_java_string_hash_beyond_bmp_uses_surrogates() -> None:
    """A character beyond the BMP hashes as its two UTF-16 surrogates."""
    assert java_string_hash("😀") == (31 * 0xD83D + 0xDE00)


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        # spec §3.2, one receiver object, each call puts Content-Type then the caller's keys
        (
            [["servicetype", "messagetype"]],
            "systemid;servicetype;messagetype;timestamp;Content-Type",
        ),
        (
            [["servicetype", "messagetype"], ["docId", "filePath"]],
            "systemid;servicetype;messagetype;docId;filePath;timestamp;Content-Type",
        ),
        (
            [["servicetype", "messagetype"], ["docId", "filePath"], ["docId", "status"]],
            "systemid;servicetype;messagetype;docId;filePath;timestamp;Content-Type;status",
        ),
        (
            [
                ["servicetype", "messagetype"],
                ["docId", "filePath"],
                ["docId", "status"],
                ["servicetype", "messagetype", "hash-file", "from"],
            ],
            "systemid;servicetype;messagetype;docId;hash-file;filePath;from;timestamp;Content-Type;status",
        ),
        # spec §4.2 sendEdoc example
        (
            [["servicetype", "messagetype", "hash-file", "from", "to"]],
            "systemid;servicetype;messagetype;hash-file;from;to;timestamp;Content-Type",
        ),
        ([[]], "systemid;timestamp;Content-Type"),
    ],
)
def test_key_order_reproduces_spec_captures(calls: list[list[str]], expected: str) -> None:
    """Emulating HashMap gives every sign-header-key order captured in spec §3.2 and §4.2."""
    header_map = SdkHeaderMap((key, "v") for key in CONSTRUCTOR)
    for keys in calls:
        header_map.put("Content-Type", "application/json")
        for key in keys:
            header_map.put(key, "v")
    assert ";".join(header_map.keys()) == expected


def test_put_replaces_in_place() -> None:
    """Putting an existing key changes its value, not its position; nothing is removed."""
    header_map = SdkHeaderMap([("systemid", "a"), ("timestamp", "t")])
    header_map.put("Content-Type", "application/json")
    header_map.put("Content-Type", "application/octet-stream")
    assert header_map.items()[-1] == ("Content-Type", "application/octet-stream")
    assert len(header_map) == 3
    assert "timestamp" in header_map
    assert header_map["systemid"] == "a"
    assert list(header_map) == ["systemid", "timestamp", "Content-Type"]


def test_copy_is_independent() -> None:
    """A copy does not see later puts to the original."""
    original = SdkHeaderMap([("a", "1")])
    copied = original.copy()
    original.put("b", "2")
    assert copied.keys() == ["a"]


def test_order_after_resize() -> None:
    """Past 12 keys the table doubles to 32 buckets and the order follows the wider mask."""
    keys = [f"k{index}" for index in range(13)]
    order = sdk_key_order(keys)
    assert sorted(order) == sorted(keys)
    buckets = [(java_string_hash(key) ^ (java_string_hash(key) >> 16)) & 31 for key in order]
    assert buckets == sorted(buckets)


def test_duplicates_keep_first_position() -> None:
    """A key put twice iterates once, at its first insertion position within the bucket."""
    assert sdk_key_order(["timestamp", "Content-Type", "timestamp"]) == [
        "timestamp",
        "Content-Type",
    ]
