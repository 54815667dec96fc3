"""Hypothesis properties of the wire primitives (timestamps, sign header, SDK hex)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from connectors.vxp.protocol import (
    VN_TZ,
    build_sign_header,
    format_timestamp,
    gson_quote,
    hash_file,
    hash_file_matches,
    parse_signed_params,
    parse_timestamp,
    sdk_hex,
)
from connectors.vxp.sdkmap import sdk_key_order

ZONES = st.sampled_from([UTC, VN_TZ, timezone(timedelta(hours=-9, minutes=-30))])
MOMENTS = st.datetimes(
    min_value=datetime(1000, 1, 2),  # noqa: DTZ001 (hypothesis bounds are naive by contract)
    max_value=datetime(9999, 12, 30),  # noqa: DTZ001
    timezones=ZONES,
)
# Text without lone surrogates: a Python str can hold them, UTF-8 cannot.
TEXT = st.text(st.characters(exclude_categories=["Cs"]))
KEYS = st.text(st.characters(exclude_categories=["Cs"]), min_size=1)


@given(MOMENTS)
def test_timestamp_round_trip(moment: datetime) -> None:
    """parse(format(dt)) is the same instant to the millisecond, in +07:00."""
    parsed = parse_timestamp(format_timestamp(moment))
    assert parsed == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert parsed.utcoffset() == timedelta(hours=7)


@given(MOMENTS)
def test_timestamp_text_round_trip(moment: datetime) -> None:
    """format(parse(s)) == s for every string the formatter produces."""
    text = format_timestamp(moment)
    assert format_timestamp(parse_timestamp(text)) == text
    assert len(text) == 20


@given(st.lists(st.tuples(KEYS, TEXT), unique_by=lambda pair: pair[0], max_size=12))
def test_sign_header_parses_back_in_order(pairs: list[tuple[str, str]]) -> None:
    """json.loads of the sign header gives the prefixed pairs, same order, same values."""
    raw = build_sign_header(pairs)
    assert json.loads(raw, object_pairs_hook=list) == [
        (f"XroadVnpt-{key}", value) for key, value in pairs
    ]
    compact = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":"))
    compact = compact.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    assert raw == compact.encode()


@given(TEXT)
def test_gson_quote_matches_reference(text: str) -> None:
    """Gson's escaping is Python's (ensure_ascii=False) plus \\u2028/\\u2029 (JsonWriter)."""
    reference = json.dumps(text, ensure_ascii=False)
    reference = reference.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    assert gson_quote(text) == reference


@given(st.dictionaries(st.sampled_from(["docId", "status", "from", "to", "level"]), TEXT))
def test_parse_signed_params_inverts_build(params: dict[str, str]) -> None:
    """Parameters built into a sign header come back with lower-cased keys."""
    raw = build_sign_header(list(params.items()))
    assert parse_signed_params(raw) == {key.lower(): value for key, value in params.items()}


@given(st.binary(min_size=32, max_size=32))
def test_sdk_hex_is_padded_hex_without_leading_zeros(digest: bytes) -> None:
    """sdk_hex drops exactly one character per byte below 0x10 (32 to 64 chars)."""
    text = sdk_hex(digest)
    assert len(text) == 64 - sum(byte < 0x10 for byte in digest)
    assert 32 <= len(text) <= 64
    assert text == "".join(f"{byte:02x}".removeprefix("0") or "0" for byte in digest)


@given(st.binary(max_size=4096))
def test_hash_file_matches_both_forms(data: bytes) -> None:
    """hash_file is the SDK form, 57-64 chars for real digests; both forms match the data."""
    digest = hashlib.sha256(data).digest()
    assert hash_file(data) == sdk_hex(digest)
    # 57..64 is what SHA-256 gives in practice (spec §0.6); fewer needs 8+ bytes below 0x10.
    if sum(byte < 0x10 for byte in digest) <= 7:
        assert 57 <= len(hash_file(data)) <= 64
    assert hash_file_matches(hash_file(data), data)
    assert hash_file_matches(digest.hex(), data)
    assert not hash_file_matches(hash_file(data + b"x"), data)


@given(st.lists(st.text(min_size=1, max_size=12), max_size=40))
def test_sdk_key_order_is_a_permutation(keys: list[str]) -> None:
    """The HashMap order holds each distinct key exactly once."""
    order = sdk_key_order(keys)
    assert sorted(order) == sorted(set(keys))
