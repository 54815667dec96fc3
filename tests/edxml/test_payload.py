"""Base64 payloads: strict chunked decoding and cheap structural checks agree with the stdlib."""

from __future__ import annotations

import base64
import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edxml.payload import Payload


@given(st.binary(min_size=1, max_size=5000), st.sampled_from([4, 8, 76, 1000, 4096]), st.booleans())
def test_chunked_decoding_matches_stdlib(data: bytes, chunk: int, wrapped: bool) -> None:
    """Decoding in any chunk size, wrapped at 76 columns or not, gives the original bytes."""
    text = base64.encodebytes(data) if wrapped else base64.b64encode(data)
    payload = Payload.of(text)
    assert b"".join(payload.iter_decoded(chunk)) == data
    assert payload.structure_error() is None
    assert payload.decoded_size() == len(data)


@given(st.binary(min_size=1, max_size=300))
def test_payload_inside_a_larger_buffer(data: bytes) -> None:
    """A payload that is a range of a larger buffer decodes only its range."""
    text = base64.b64encode(data)
    buffer = b"<x>" + text + b"</x>"
    payload = Payload(buffer, 3, 3 + len(text))
    assert b"".join(payload.iter_decoded()) == data


@pytest.mark.parametrize(
    "text",
    [b"QUJD\nRA", b"QUJDRA=", b"QU=DRA==", b"QUJD!!==", b"${__StringFromFile(x)}", b"", b" \n "],
)
def test_broken_base64_is_detected(text: bytes) -> None:
    """Truncated, mis-padded, junk or empty payloads fail both the cheap and the full check."""
    payload = Payload.of(text)
    assert payload.structure_error() is not None
    if text.strip():
        with pytest.raises(binascii.Error):
            b"".join(payload.iter_decoded(4))


def test_junk_in_the_middle_needs_the_full_check() -> None:
    """A bad character deep inside passes the cheap check but fails full decoding."""
    good = base64.b64encode(bytes(3000))
    bad = good[:2000] + b"!" + good[2001:]
    payload = Payload.of(bad)
    assert payload.structure_error() is None
    with pytest.raises(binascii.Error):
        b"".join(payload.iter_decoded())


_B64_TEXT = st.text(alphabet="ABCDQUJwxyz019+/= \n", max_size=40).map(str.encode)


@given(_B64_TEXT, st.sampled_from([4, 8, 1000]))
def test_strict_decoding_agrees_with_the_stdlib(text: bytes, chunk: int) -> None:
    """Any text decodes as binascii's strict mode decodes its white-space-free form, except that
    padding past a complete 4-character group (``QUJD====``) is refused, not ignored."""
    compact = text.translate(None, b" \n")
    try:
        expected: bytes | None = binascii.a2b_base64(compact, strict_mode=True)
    except binascii.Error:
        expected = None
    body = compact.rstrip(b"=")
    if expected is not None and len(compact) - len(body) > (-len(body)) % 4:
        expected = None  # excess padding: refused here
    try:
        got: bytes | None = b"".join(Payload.of(text).iter_decoded(chunk))
    except binascii.Error:
        got = None
    if text.strip(b" \n"):
        assert got == expected
