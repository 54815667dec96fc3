"""Wire primitives of connectors.vxp.protocol against the spec's worked examples (spec §3, §4)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest

from connectors.vxp.errors import (
    VxpError,
    VxpFailure,
    VxpHashFileError,
    VxpHeaderError,
    VxpParamError,
    VxpResponseError,
    VxpTimestampError,
    VxpTransportError,
)
from connectors.vxp.protocol import (
    HEADER_PREFIX,
    VN_TZ,
    Action,
    ascii_json,
    build_sign_header,
    extract_document,
    extract_hashed_document,
    format_timestamp,
    gson_quote,
    hash_file,
    hash_file_matches,
    parse_signed_params,
    parse_timestamp,
    parse_to,
    sdk_hex,
    sign,
    verify_signed_headers,
)

# Spec §4.2, getAgenciesList by 000.00.00.H14, secret test-secret.
SPEC_SIGN_HEADER = (
    b'{"XroadVnpt-systemid":"000.00.00.H14","XroadVnpt-timestamp":"22112026T001330+0115",'
    b'"XroadVnpt-Content-Type":"application/json"}'
)
SPEC_HMAC = "bd98405790d31d06ea4d708b7d3bcea1d6af6adbddcae3572d510076fb9e6221"
# Spec §4.2, sendEdoc with `to` as an array.
SEND_SIGN_HEADER = (
    b'{"XroadVnpt-systemid":"000.00.00.H14","XroadVnpt-servicetype":"eDoc",'
    b'"XroadVnpt-messagetype":"edoc",'
    b'"XroadVnpt-hash-file":"7e4a746b898d9b54749de74b58e7bd24c8b86287a386653f6593adf9db5eb",'
    b'"XroadVnpt-from":"000.00.00.H14","XroadVnpt-to":"[\\"000.00.00.H41\\"]",'
    b'"XroadVnpt-timestamp":"22112026T001330+0438","XroadVnpt-Content-Type":"application/octet-stream"}'
)
SEND_HMAC = "1bef42db3e9c353bbc8a348867c01c4c8a1c0583689a631473178559e83b8ed3"
SAMPLE_STANDARD = "7e4a746b898d9b054749de74b58e7bd24c8b86287a3806653f06593adf9db5eb"
SAMPLE_SDK = "7e4a746b898d9b54749de74b58e7bd24c8b86287a386653f6593adf9db5eb"


# --- actions --------------------------------------------------------------------------------


def test_actions_are_the_thirteen_wire_names() -> None:
    """Action values are the 13 case-sensitive path segments of spec §2, then the extension."""
    assert [action.value for action in Action] == [
        "sendEdoc",
        "getReceivedEdocList",
        "getSentEdocList",
        "getEdoc",
        "downloadEdoc",
        "updateStatus",
        "countReceiveEdoc",
        "countReceiveStatus",
        "getAgenciesList",
        "getAgenciesListQD20",
        "getSynchronizeUnit",
        "registerAgency",
        "deleteAgency",
        "reportDelivery",  # the node-to-node extension (docs/axes.md), not an SDK call
    ]
    assert HEADER_PREFIX == "XroadVnpt-"


def test_only_download_edoc_is_get() -> None:
    """downloadEdoc is GET and every other action POST, count* included (spec §0.2)."""
    assert {action for action in Action if action.method == "GET"} == {Action.DOWNLOAD_EDOC}


# --- HMAC and the sign header ---------------------------------------------------------------


def test_spec_get_agencies_example_signature() -> None:
    """The §4.2 sign header is rebuilt byte for byte and its HMAC is bd98405790..."""
    raw = build_sign_header(
        [
            ("systemid", "000.00.00.H14"),
            ("timestamp", "22112026T001330+0115"),
            ("Content-Type", "application/json"),
        ]
    )
    assert raw == SPEC_SIGN_HEADER
    assert sign("test-secret", raw) == SPEC_HMAC


def test_spec_send_edoc_example_signature() -> None:
    """The §4.2 sendEdoc sign header (with the escaped `to`) is rebuilt and signs to 1bef42db..."""
    raw = build_sign_header(
        [
            ("systemid", "000.00.00.H14"),
            ("servicetype", "eDoc"),
            ("messagetype", "edoc"),
            ("hash-file", SAMPLE_SDK),
            ("from", "000.00.00.H14"),
            ("to", '["000.00.00.H41"]'),
            ("timestamp", "22112026T001330+0438"),
            ("Content-Type", "application/octet-stream"),
        ]
    )
    assert raw == SEND_SIGN_HEADER
    assert sign("test-secret", SEND_SIGN_HEADER) == SEND_HMAC


def test_verify_accepts_the_spec_example() -> None:
    """verify_signed_headers accepts the §4.2 HMAC, also in upper case with blanks."""
    assert verify_signed_headers(SPEC_SIGN_HEADER, SPEC_HMAC, "test-secret")
    assert verify_signed_headers(SPEC_SIGN_HEADER, f" {SPEC_HMAC.upper()} ", "test-secret")


@pytest.mark.parametrize(
    ("raw", "mac", "secret"),
    [
        (SPEC_SIGN_HEADER, SPEC_HMAC, "test-secret-b"),
        (SPEC_SIGN_HEADER.replace(b"0115", b"0116"), SPEC_HMAC, "test-secret"),
        (SPEC_SIGN_HEADER, SPEC_HMAC[:-1], "test-secret"),
        (SPEC_SIGN_HEADER, "", "test-secret"),
        (SPEC_SIGN_HEADER, "ệ" * 64, "test-secret"),
    ],
)
def test_verify_rejects_wrong_secret_bytes_or_mac(raw: bytes, mac: str, secret: str) -> None:
    """A wrong secret, a changed byte, a short or non-ASCII MAC all fail without raising."""
    assert not verify_signed_headers(raw, mac, secret)


def test_sign_header_of_re_serialised_json_does_not_verify() -> None:
    """Re-serialising the JSON (spaces) breaks the HMAC: only raw bytes verify (spec §4.1)."""
    pretty = json.dumps(json.loads(SPEC_SIGN_HEADER)).encode()
    assert not verify_signed_headers(pretty, SPEC_HMAC, "test-secret")


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ('a"b\\c', '"a\\"b\\\\c"'),
        ("\n\t\r\b\f", '"\\n\\t\\r\\b\\f"'),
        ("\x01\x1f", '"\\u0001\\u001f"'),
        ("\u2028\u2029", '"\\u2028\\u2029"'),
        ("Việt Nam", '"Việt Nam"'),
        ("</a>&='\x7f", '"</a>&=\'\x7f"'),
        ("/path/x", '"/path/x"'),
    ],
)
def test_gson_escaping(text: str, quoted: str) -> None:
    """Escaped like Gson's JsonWriter: short escapes, lowercase \\u00xx, not HTML-safe."""
    assert gson_quote(text) == quoted


def test_sign_header_keeps_non_ascii_as_utf8() -> None:
    """Non-ASCII values stay literal UTF-8 in the sign header (spec §3.1, §3.4)."""
    raw = build_sign_header([("filePath", "C:/Văn bản")])
    assert raw == '{"XroadVnpt-filePath":"C:/Văn bản"}'.encode()


def test_sign_header_lone_surrogate_becomes_question_mark() -> None:
    """A lone surrogate is written as '?', as Java's UTF-8 encoder does."""
    assert build_sign_header([("k", "a\ud800b")]) == b'{"XroadVnpt-k":"a?b"}'


def test_sign_header_refuses_a_repeated_key() -> None:
    """The same key twice cannot come from a map and is refused."""
    with pytest.raises(VxpParamError):
        build_sign_header([("docId", "a"), ("docId", "b")])


# --- parse_signed_params --------------------------------------------------------------------


def test_parse_signed_params_of_spec_example() -> None:
    """Parameters come back without the prefix, keys lower-cased (spec §4.1 step 5)."""
    assert parse_signed_params(SEND_SIGN_HEADER) == {
        "systemid": "000.00.00.H14",
        "servicetype": "eDoc",
        "messagetype": "edoc",
        "hash-file": SAMPLE_SDK,
        "from": "000.00.00.H14",
        "to": '["000.00.00.H41"]',
        "timestamp": "22112026T001330+0438",
        "content-type": "application/octet-stream",
    }


@pytest.mark.parametrize(
    "pairs",
    [
        [("docId", "NEW"), ("docid", "OLD")],
        [("docid", "OLD"), ("docId", "NEW")],
    ],
)
def test_canonical_spelling_wins_a_case_conflict(pairs: list[tuple[str, str]]) -> None:
    """With docId and docid both sent, the spec's spelling docId wins in either order (§3.1)."""
    assert parse_signed_params(build_sign_header(pairs))["docid"] == "NEW"


def test_first_member_wins_when_no_spelling_is_canonical() -> None:
    """For two non-canonical spellings the first member of the JSON wins."""
    raw = build_sign_header([("DOCID", "first"), ("DocID", "second"), ("x-Extra", "1")])
    assert parse_signed_params(raw) == {"docid": "first", "x-extra": "1"}


def test_members_without_prefix_are_ignored() -> None:
    """Members that are not XroadVnpt-* are not parameters."""
    raw = b'{"other":"x","XroadVnpt-":"y","XroadVnpt-status":"done"}'
    assert parse_signed_params(raw) == {"status": "done"}


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b'["XroadVnpt-systemid"]',
        b'{"XroadVnpt-systemid":1}',
        b'{"XroadVnpt-systemid":null}',
        b'{"XroadVnpt-a":{"b":"c"}}',
        b'{"XroadVnpt-a":"1","XroadVnpt-a":"2"}',
        b'{"XroadVnpt-a":NaN}',
        b'{"XroadVnpt-filePath":"C:/V\xc7n"}',
    ],
)
def test_parse_signed_params_rejects_malformed(raw: bytes) -> None:
    """Not UTF-8, not an object of strings, or a verbatim duplicate: VXP_HEADER."""
    with pytest.raises(VxpHeaderError) as caught:
        parse_signed_params(raw)
    assert caught.value.code == "VXP_HEADER"


# --- hash-file ------------------------------------------------------------------------------


def test_sample_hash_file_in_both_forms(sample: bytes) -> None:
    """edoc.edxml hashes to the spec's standard hex and 61-character SDK form (spec §4.3)."""
    assert len(sample) == 8363
    assert hashlib.sha256(sample).hexdigest() == SAMPLE_STANDARD
    assert hash_file(sample) == SAMPLE_SDK
    assert len(SAMPLE_SDK) == 61


def test_sdk_hex_drops_leading_zeros() -> None:
    """Each byte is %x: 0x00 -> '0', 0x05 -> '5', 0xab -> 'ab'."""
    assert sdk_hex(bytes([0x00, 0x05, 0xAB, 0x10])) == "05ab10"


@pytest.mark.parametrize(
    "value", [SAMPLE_SDK, SAMPLE_STANDARD, SAMPLE_STANDARD.upper(), f" {SAMPLE_SDK}\t"]
)
def test_hash_file_matches_either_form(sample: bytes, value: str) -> None:
    """Both hex forms are accepted, any case, blanks ignored (Q3)."""
    assert hash_file_matches(value, sample)


@pytest.mark.parametrize("value", ["", SAMPLE_SDK[:-1], "0" * 64, "ệ"])
def test_hash_file_mismatch(sample: bytes, value: str) -> None:
    """Anything else does not match."""
    assert not hash_file_matches(value, sample)


def test_extract_document_strips_exactly_the_sdk_crlf(sample: bytes) -> None:
    """The SDK's body is file + CRLF; the stored document is the file (spec §4.3)."""
    assert extract_document(sample + b"\r\n", SAMPLE_SDK) == sample


def test_extract_document_accepts_a_body_without_crlf(sample: bytes) -> None:
    """A non-SDK client that appends nothing still passes."""
    assert extract_document(sample, SAMPLE_STANDARD) == sample


def test_extract_document_keeps_a_file_that_ends_in_crlf() -> None:
    """A file ending in CRLF sent without the SDK's CRLF is kept whole."""
    doc = b"<edXML/>\r\n"
    assert extract_document(doc, hash_file(doc)) == doc


def test_the_extracted_document_comes_with_its_digest(sample: bytes) -> None:
    """The digest handed on is the file's own, whichever form of hash-file matched."""
    for body, value in ((sample + b"\r\n", SAMPLE_SDK), (sample, SAMPLE_STANDARD)):
        file, digest = extract_hashed_document(body, value)
        assert file == sample
        assert digest == hashlib.sha256(sample).digest()


def test_extract_document_rejects_a_wrong_hash(sample: bytes) -> None:
    """A body that matches neither way raises VXP_HASH_FILE."""
    with pytest.raises(VxpHashFileError) as caught:
        extract_document(sample + b"x\r\n", SAMPLE_SDK)
    assert caught.value.code == "VXP_HASH_FILE"
    assert caught.value.field == "hash-file"


# --- timestamp ------------------------------------------------------------------------------


def test_parse_spec_timestamp() -> None:
    """22112026T001330+0115 is 22 Nov 2026 00:13:30.115, read as +07:00 (spec §3.1)."""
    assert parse_timestamp("22112026T001330+0115") == datetime(
        2026, 11, 22, 0, 13, 30, 115000, tzinfo=VN_TZ
    )
    assert parse_timestamp("22112026T001330+0115").utcoffset() == timedelta(hours=7)


def test_format_converts_to_vietnam_time_and_truncates() -> None:
    """An aware UTC datetime is printed as +07:00 wall clock, milliseconds truncated."""
    moment = datetime(2026, 11, 21, 17, 13, 30, 115999, tzinfo=UTC)
    assert format_timestamp(moment) == "22112026T001330+0115"


def test_format_in_another_zone() -> None:
    """The zone can be chosen, and small years are padded to four digits."""
    moment = datetime(999, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)
    assert format_timestamp(moment, UTC) == "02010999T030405+0006"


def test_format_refuses_naive_datetime() -> None:
    """A naive datetime is refused: timestamps are aware everywhere (design §3.12)."""
    with pytest.raises(VxpTimestampError):
        format_timestamp(datetime(2026, 1, 1))  # noqa: DTZ001


@pytest.mark.parametrize(
    "value",
    [
        "",
        "22112026T001330",
        "22112026T001330+115",
        "22112026T001330-0115",
        "22112026T001330+1000",
        "31022026T001330+0115",
        "22132026T001330+0115",
        "22112026T241330+0115",
        "22112026 001330+0115",
        "22112026T001330+0115\n",
        "٢٢112026T001330+0115",
        "2026-11-22T00:13:30+07:00",
    ],
)
def test_parse_rejects_bad_timestamps(value: str) -> None:
    """Wrong shape, non-ASCII digits, milliseconds > 999 or impossible dates: VXP_TIMESTAMP."""
    with pytest.raises(VxpTimestampError) as caught:
        parse_timestamp(value)
    assert caught.value.code == "VXP_TIMESTAMP"


# --- to -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('["000.00.00.H41"]', ["000.00.00.H41"]),
        ('["a", "b", "a"]', ["a", "b"]),
        ('"000.00.00.H41"', ["000.00.00.H41"]),
        ('"a,b"', ["a", "b"]),
        ("000.00.00.H41", ["000.00.00.H41"]),
        (" a , b;c;", ["a", "b", "c"]),
        ("", []),
        ("[]", []),
    ],
)
def test_parse_to(value: str, expected: list[str]) -> None:
    """JSON array, JSON string or bare (separated) ids (spec §3.3, Q7)."""
    assert parse_to(value) == expected


@pytest.mark.parametrize("value", ['["a"', '"a', "[1]", '["a", ""]', '[["a"]]', '{"a":1}'])
def test_parse_to_rejects_malformed(value: str) -> None:
    """Broken JSON or non-string items raise VXP_PARAM."""
    with pytest.raises(VxpParamError):
        parse_to(value)


# --- responses ------------------------------------------------------------------------------


def test_ascii_json_escapes_non_ascii() -> None:
    """Non-ASCII becomes \\uXXXX (surrogate pairs beyond the BMP), compact separators (Q9)."""
    body = ascii_json({"status": "OK", "ErrorDesc": "Thành công 😀", "DocId": ""})
    assert body == b'{"status":"OK","ErrorDesc":"Th\\u00e0nh c\\u00f4ng \\ud83d\\ude00","DocId":""}'
    assert json.loads(body)["ErrorDesc"] == "Thành công 😀"


def test_ascii_json_refuses_nan() -> None:
    """NaN is not JSON and is refused."""
    with pytest.raises(ValueError, match="JSON"):
        ascii_json({"count": float("nan")})


# --- errors ---------------------------------------------------------------------------------


def test_error_codes_are_stable() -> None:
    """Every error class carries its documented machine code."""
    assert VxpError("x").code == "VXP_ERROR"
    assert VxpHeaderError("x").code == "VXP_HEADER"
    assert VxpTimestampError("x").code == "VXP_TIMESTAMP"
    assert VxpParamError("x").code == "VXP_PARAM"
    assert VxpHashFileError("x").code == "VXP_HASH_FILE"
    assert VxpFailure("15", "x").code == "VXP_FAIL"
    assert VxpTransportError("x").code == "VXP_TRANSPORT"
    assert VxpResponseError("x").code == "VXP_RESPONSE"
    assert str(VxpParamError("bad", field="to")) == "VXP_PARAM (to): bad"


@pytest.mark.parametrize(
    ("desc", "reason"),
    [
        ("EDXML_SCHEMA: To/OrganId missing", "EDXML_SCHEMA"),
        ("AUTH_SIGNATURE: bad hash-header", "AUTH_SIGNATURE"),
        ("Don vi gui X khong dung voi ma da dang ky: Y", None),
        ("", None),
    ],
)
def test_failure_reads_our_reason_code(desc: str, reason: str | None) -> None:
    """VxpFailure.reason is the stable code at the start of ErrorDesc, if any (spec §0)."""
    assert VxpFailure("22", desc).reason == reason
