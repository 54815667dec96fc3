"""The exact requests VxpClient sends, action by action, as the SDK would (spec §2, §3, §5)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from connectors.vxp.client import VxpClient
from connectors.vxp.errors import VxpParamError, VxpTimestampError
from connectors.vxp.protocol import Action, sign
from connectors.vxp.request import DEFAULT_TIMEOUT, SdkRequestBuilder
from tests.connectors.vxp.conftest import (
    SECRET,
    SPEC_TIMESTAMP,
    SYSTEM_ID,
    MakeClient,
    Recorder,
    ok,
    sign_keys,
    signed,
)
from tests.connectors.vxp.test_protocol import (
    SEND_HMAC,
    SEND_SIGN_HEADER,
    SPEC_HMAC,
    SPEC_SIGN_HEADER,
)

BASE_HEADERS = {
    "host",
    "content-type",
    "user-agent",
    "xroadvnpt-sign-header-key",
    "xroadvnpt-sign-header",
    "xroadvnpt-hash-header",
    "xroadvnpt-version",
    "connection",
}
HTTPCLIENT_HEADERS = BASE_HEADERS | {"accept-encoding"}
DIRECTORY_ROW = {"id": "1", "code": "000.00.00.H41"}


def route(request: httpx.Request) -> httpx.Response:
    """A minimal server answering each action with a valid success."""
    action = request.url.path.rsplit("/", 1)[-1]
    if action == "sendEdoc":
        return ok(DocId="D1")
    if action in ("getEdoc",):
        return ok(data="PGVkWE1MLz4=")
    if action == "downloadEdoc":
        return httpx.Response(200, content=b"<edXML/>")
    if action.startswith("count"):
        return ok(count=2)
    if action in ("getReceivedEdocList",):
        return ok(data=[{"docId": "D1"}])
    if action in (
        "getSentEdocList",
        "getAgenciesList",
        "getAgenciesListQD20",
        "getSynchronizeUnit",
    ):
        return ok(data=[DIRECTORY_ROW])
    return ok()


def check_signature(request: httpx.Request) -> None:
    """The sign header matches the prefixed headers, the key list and the HMAC."""
    raw = request.headers["XroadVnpt-sign-header"].encode()
    members = json.loads(raw)
    assert request.headers["XroadVnpt-hash-header"] == sign(SECRET, raw)
    assert sign_keys(request) == ";".join(name.removeprefix("XroadVnpt-") for name in members)
    for name, value in members.items():
        assert request.headers.get_list(name) == [value]
    assert request.headers["XroadVnpt-version"] == "3.0.201608"
    assert request.headers["User-Agent"] == "JAVASDKAgent/1.0.0 XRoad/VPCP"
    assert request.headers.get_list("Content-Type") == [members["XroadVnpt-Content-Type"]]


Call = Callable[[VxpClient], Awaitable[object]]

CASES: list[tuple[str, Call, str, str, str, dict[str, str], bytes | None]] = [
    (
        "getReceivedEdocList",
        lambda c: c.get_received_edoc_list("status"),
        "POST",
        "/vxp/getReceivedEdocList",
        "systemid;servicetype;messagetype;timestamp;Content-Type",
        {"servicetype": "eDoc", "messagetype": "status"},
        b"",
    ),
    (
        "getSentEdocList",
        lambda c: c.get_sent_edoc_list("S1"),
        "POST",
        "/vxp/getSentEdocList",
        "systemid;servicetype;messagetype;docId;timestamp;Content-Type",
        {"servicetype": "eDoc", "messagetype": "edoc", "docId": "S1"},
        b"",
    ),
    (
        "getEdoc",
        lambda c: c.get_edoc("D1"),
        "POST",
        "/vxp/getEdoc",
        "systemid;docId;timestamp;Content-Type",
        {"docId": "D1"},
        b"{}",
    ),
    (
        "downloadEdoc",
        lambda c: c.download_edoc("D1"),
        "GET",
        "/vxp/downloadEdoc",
        "systemid;docId;timestamp;Content-Type",
        {"docId": "D1"},
        None,
    ),
    (
        "updateStatus",
        lambda c: c.update_status("D1", "done"),
        "POST",
        "/vxp/updateStatus",
        "systemid;docId;timestamp;Content-Type;status",
        {"docId": "D1", "status": "done"},
        b"{}",
    ),
    (
        "countReceiveEdoc",
        lambda c: c.count_receive_edoc(),
        "POST",
        "/vxp/countReceiveEdoc",
        "systemid;servicetype;messagetype;timestamp;Content-Type",
        {"servicetype": "eDoc", "messagetype": "edoc"},
        b"{}",
    ),
    (
        "countReceiveStatus",
        lambda c: c.count_receive_status(),
        "POST",
        "/vxp/countReceiveStatus",
        "systemid;servicetype;messagetype;timestamp;Content-Type",
        {"servicetype": "eDoc", "messagetype": "status"},
        b"{}",
    ),
    (
        "getAgenciesList",
        lambda c: c.get_agencies_list(),
        "POST",
        "/vxp/getAgenciesList",
        "systemid;timestamp;Content-Type",
        {},
        b"",
    ),
    (
        "getAgenciesListQD20",
        lambda c: c.get_agencies_list_qd20(level=1),
        "POST",
        "/vxp/getAgenciesListQD20",
        "systemid;level;timestamp;Content-Type",
        {"level": "1"},
        b"",
    ),
    (
        "getSynchronizeUnit",
        lambda c: c.get_synchronize_unit(),
        "POST",
        "/vxp/getSynchronizeUnit",
        "systemid;timestamp;Content-Type",
        {},
        b"",
    ),
    (
        "registerAgency",
        # spec §5.9: the official example's data is malformed JSON; it goes out verbatim
        lambda c: c.register_agency('{"id":1,"code":"X","name":"Sở Nội vụ","mail":cc""}'),
        "POST",
        "/vxp/registerAgency",
        "systemid;timestamp;Content-Type",
        {},
        '{"id":1,"code":"X","name":"Sở Nội vụ","mail":cc""}'.encode(),
    ),
    (
        "deleteAgency",
        lambda c: c.delete_agency("000.00.00.H41"),
        "POST",
        "/vxp/deleteAgency",
        "systemid;AgencyCode;timestamp;Content-Type",
        {"AgencyCode": "000.00.00.H41"},
        b"{}",
    ),
]


@pytest.mark.parametrize(
    ("name", "call", "method", "path", "keys", "params", "body"),
    CASES,
    ids=[case[0] for case in CASES],
)
async def test_request_shape_per_action(
    make_client: MakeClient,
    name: str,
    call: Call,
    method: str,
    path: str,
    keys: str,
    params: dict[str, str],
    body: bytes | None,
) -> None:
    """Method, path under /vxp, signed keys in SDK order, values, body and headers per action."""
    client, recorder = make_client(route)
    await call(client)
    request = recorder.last
    assert request.method == method
    assert request.url.path == path
    assert request.url.query == b""
    assert sign_keys(request) == keys
    expected = {
        "systemid": SYSTEM_ID,
        "timestamp": SPEC_TIMESTAMP,
        "Content-Type": "application/json",
    }
    assert {
        k.removeprefix("XroadVnpt-"): v for k, v in signed(request).items()
    } == expected | params
    check_signature(request)
    names = {name.lower() for name in request.headers}
    extra = {f"xroadvnpt-{key.lower()}" for key in keys.split(";")}
    if body is None:
        assert request.content == b""
        assert "content-length" not in request.headers
        assert names == HTTPCLIENT_HEADERS | extra
    else:
        assert request.content == body
        assert request.headers["Content-Length"] == str(len(body))
        assert names == HTTPCLIENT_HEADERS | extra | {"content-length"}
    assert request.headers["Accept-Encoding"] == "gzip,deflate"
    assert request.headers["Connection"] == "keep-alive"
    assert "expect" not in request.headers


async def test_get_agencies_list_reproduces_the_spec_capture(make_client: MakeClient) -> None:
    """getAgenciesList with the §4.2 timestamp sends the captured sign header and HMAC bd98..."""
    client, recorder = make_client(ok(data=[]))
    assert await client.get_agencies_list() == []
    request = recorder.last
    assert request.headers["XroadVnpt-sign-header"].encode() == SPEC_SIGN_HEADER
    assert request.headers["XroadVnpt-hash-header"] == SPEC_HMAC


def test_builder_alone_makes_the_spec_request() -> None:
    """SdkRequestBuilder builds the §4.2 getAgenciesList request without any I/O."""
    builder = SdkRequestBuilder("http://h.test:1/vxp", SYSTEM_ID, SECRET, timestamp=SPEC_TIMESTAMP)
    request = builder.build(Action.GET_AGENCIES_LIST)
    assert str(request.url) == "http://h.test:1/vxp/getAgenciesList"
    assert request.headers["XroadVnpt-sign-header"].encode() == SPEC_SIGN_HEADER
    assert request.headers["XroadVnpt-hash-header"] == SPEC_HMAC
    assert SECRET not in repr(builder)


async def test_send_edoc_reproduces_the_spec_example(
    make_client: MakeClient, sample: bytes
) -> None:
    """sendEdoc of edoc.edxml to [H41] is the §4.2 example: same JSON, HMAC 1bef42db."""
    client, recorder = make_client(
        ok(DocId="68edb8c8c2dcb14db773ce44"), timestamp="22112026T001330+0438"
    )
    doc_id = await client.send_edoc(sample, from_code="000.00.00.H14", to=["000.00.00.H41"])
    assert doc_id == "68edb8c8c2dcb14db773ce44"
    request = recorder.last
    assert request.method == "POST"
    assert request.url.path == "/vxp/sendEdoc"
    assert request.headers["XroadVnpt-sign-header"].encode() == SEND_SIGN_HEADER
    assert request.headers["XroadVnpt-hash-header"] == SEND_HMAC
    assert request.headers["XroadVnpt-to"] == '["000.00.00.H41"]'
    assert (
        request.headers["XroadVnpt-hash-file"]
        == "7e4a746b898d9b54749de74b58e7bd24c8b86287a386653f6593adf9db5eb"
    )
    assert request.content == sample + b"\r\n"
    assert request.headers["Content-Length"] == "8365"
    assert request.headers["Content-Type"] == "application/octet-stream"
    assert request.headers["XroadVnpt-Content-Type"] == "application/octet-stream"
    check_signature(request)
    # §5.1: HttpURLConnection, not HttpClient: JDK defaults, no Accept-Encoding, no Expect
    assert request.headers["Accept"] == "text/html, image/gif, image/jpeg, */*; q=0.2"
    assert request.headers["Cache-Control"] == "no-cache"
    assert request.headers["Pragma"] == "no-cache"
    assert "accept-encoding" not in request.headers
    assert "expect" not in request.headers


async def test_send_edoc_without_to_omits_it(make_client: MakeClient) -> None:
    """Without `to` no XroadVnpt-to is sent; the node reads the edXML To (spec §3.3)."""
    client, recorder = make_client(ok(DocId=7))
    assert (
        await client.send_edoc(b"<edXML/>", from_code="000.00.00.H14", messagetype="status") == "7"
    )
    assert "XroadVnpt-to" not in recorder.last.headers
    assert recorder.last.headers["XroadVnpt-messagetype"] == "status"
    assert (
        sign_keys(recorder.last)
        == "systemid;servicetype;messagetype;hash-file;from;timestamp;Content-Type"
    )


async def test_send_edoc_to_as_string_keeps_quotes(make_client: MakeClient) -> None:
    """`to` given as one string travels as its JSON text, quotes included (spec §3.3)."""
    client, recorder = make_client(ok(DocId="D"))
    await client.send_edoc(b"x", from_code="A", to="000.00.00.H41")
    assert recorder.last.headers["XroadVnpt-to"] == '"000.00.00.H41"'
    assert signed(recorder.last)["XroadVnpt-to"] == '"000.00.00.H41"'


async def test_send_edoc_to_several(make_client: MakeClient) -> None:
    """Several recipients become a compact JSON array."""
    client, recorder = make_client(ok(DocId="D"))
    await client.send_edoc(b"x", from_code="A", to=("B", "C"))
    assert recorder.last.headers["XroadVnpt-to"] == '["B","C"]'


@pytest.mark.parametrize(
    ("endpoint", "action", "path"),
    [
        ("http://h.test:1", Action.SEND_EDOC, "/sendEdoc"),
        ("http://h.test:1", Action.GET_EDOC, "/getEdoc"),
        ("http://h.test:1/a/b", Action.GET_EDOC, "/a/b/getEdoc"),
        ("http://h.test:1/", Action.GET_EDOC, "/getEdoc"),
        ("http://h.test:1/", Action.SEND_EDOC, "//sendEdoc"),
        ("http://h.test:1/vxp/", Action.GET_EDOC, "/vxp//getEdoc"),
        ("http://h.test:1/vxp/", Action.SEND_EDOC, "/vxp//sendEdoc"),
    ],
)
async def test_url_composition(
    make_client: MakeClient, endpoint: str, action: Action, path: str
) -> None:
    """endpoint + "/" + action verbatim, with HttpClient's root collapse (spec §2)."""
    client, recorder = make_client(ok(DocId="D", data="eA=="), endpoint=endpoint)
    assert httpx.URL(client.url_for(action)).raw_path == path.encode()
    if action is Action.SEND_EDOC:
        await client.send_edoc(b"x", from_code="A")
    else:
        await client.get_edoc("D")
    assert recorder.last.url.raw_path == path.encode()


async def test_every_request_carries_the_timeout(make_client: MakeClient) -> None:
    """The configured httpx timeout is attached to each request (design §3.7)."""
    client, recorder = make_client(ok(data=[]), timeout=3.5)
    await client.get_agencies_list()
    assert recorder.last.extensions["timeout"] == httpx.Timeout(3.5).as_dict()
    client, recorder = make_client(ok(data=[]))
    await client.get_agencies_list()
    assert recorder.last.extensions["timeout"] == DEFAULT_TIMEOUT.as_dict()


# --- timestamp ------------------------------------------------------------------------------


async def test_timestamp_is_frozen_at_construction(make_client: MakeClient) -> None:
    """Like the SDK, every call of one client sends the timestamp taken at construction (§3.1)."""
    moments = iter(
        [
            datetime(2026, 11, 21, 17, 13, 30, 115000, tzinfo=UTC) + timedelta(hours=h)
            for h in range(5)
        ]
    )
    client, recorder = make_client(ok(data=[]), timestamp=None, clock=lambda: next(moments))
    await client.get_agencies_list()
    await client.get_agencies_list()
    assert [r.headers["XroadVnpt-timestamp"] for r in recorder.requests] == [
        "22112026T001330+0115"
    ] * 2
    assert client.timestamp == "22112026T001330+0115"


async def test_refresh_timestamp_stamps_each_call(make_client: MakeClient) -> None:
    """refresh_timestamp=True reads the clock on every call."""
    moments = iter(
        [datetime(2026, 11, 21, 17, 0, tzinfo=UTC) + timedelta(seconds=s) for s in range(5)]
    )
    client, recorder = make_client(
        ok(data=[]), timestamp=None, refresh_timestamp=True, clock=lambda: next(moments)
    )
    await client.get_agencies_list()
    await client.get_agencies_list()
    stamps = [r.headers["XroadVnpt-timestamp"] for r in recorder.requests]
    assert stamps == ["22112026T000001+0000", "22112026T000002+0000"]


async def test_timestamp_from_aware_datetime(make_client: MakeClient) -> None:
    """A pinned aware datetime is sent as +07:00 wall clock."""
    client, recorder = make_client(ok(data=[]), timestamp=datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    await client.get_agencies_list()
    assert recorder.last.headers["XroadVnpt-timestamp"] == "01012026T070000+0000"


def test_bad_pinned_timestamp_is_refused() -> None:
    """A pinned wire timestamp must parse (spec §4.1 step 7)."""
    with pytest.raises(VxpTimestampError):
        VxpClient("http://h.test", SYSTEM_ID, SECRET, timestamp="2026-11-22")


# --- stickiness -----------------------------------------------------------------------------


async def test_sticky_reproduces_the_spec_receiver_sequence(make_client: MakeClient) -> None:
    """sticky=True re-sends every earlier key, as in the capture of spec §3.2."""
    client, recorder = make_client(route, sticky=True)
    await client.get_received_edoc_list()
    await client.call(Action.GET_EDOC, {"docId": "D1", "filePath": "/data/in"}, body=b"{}")
    await client.update_status("D1", "done")
    await client.get_received_edoc_list()
    await client.send_edoc(b"<status/>", from_code="000.00.00.H14", messagetype="status")
    assert [sign_keys(r) for r in recorder.requests] == [
        "systemid;servicetype;messagetype;timestamp;Content-Type",
        "systemid;servicetype;messagetype;docId;filePath;timestamp;Content-Type",
        "systemid;servicetype;messagetype;docId;filePath;timestamp;Content-Type;status",
        "systemid;servicetype;messagetype;docId;filePath;timestamp;Content-Type;status",
        "systemid;servicetype;messagetype;docId;hash-file;filePath;from;timestamp;Content-Type;status",
    ]
    stale = recorder.requests[3]
    assert stale.headers["XroadVnpt-docId"] == "D1"
    assert stale.headers["XroadVnpt-status"] == "done"
    assert stale.headers["XroadVnpt-Content-Type"] == "application/json"
    assert recorder.requests[4].headers["XroadVnpt-Content-Type"] == "application/octet-stream"
    assert recorder.requests[4].headers["XroadVnpt-messagetype"] == "status"
    for request in recorder.requests:
        check_signature(request)


async def test_sticky_keeps_both_spellings(make_client: MakeClient) -> None:
    """docId and docid passed in different calls are both re-sent with their own values (§3.1)."""
    client, recorder = make_client(route, sticky=True)
    await client.call(Action.UPDATE_STATUS, {"docid": "OLD", "status": "done"}, body=b"{}")
    await client.get_edoc("NEW")
    raw = recorder.last.headers.raw
    assert (b"XroadVnpt-docid", b"OLD") in raw
    assert (b"XroadVnpt-docId", b"NEW") in raw
    assert signed(recorder.last)["XroadVnpt-docid"] == "OLD"


async def test_sticky_maps_are_per_sdk_service(make_client: MakeClient) -> None:
    """Directory keys (level) linger in directory calls only, not in document calls (§1, §3.2)."""
    client, recorder = make_client(route, sticky=True)
    await client.get_agencies_list_qd20(level="1")
    await client.delete_agency("000.00.00.H41")
    await client.count_receive_edoc()
    await client.get_agencies_list()
    assert sign_keys(recorder.requests[1]) == "systemid;level;AgencyCode;timestamp;Content-Type"
    assert "XroadVnpt-level" not in recorder.requests[2].headers
    assert sign_keys(recorder.requests[3]) == "systemid;level;AgencyCode;timestamp;Content-Type"


async def test_not_sticky_sends_only_this_calls_keys(make_client: MakeClient) -> None:
    """By default a call carries only its own parameters."""
    client, recorder = make_client(route)
    await client.update_status("D1", "done")
    await client.get_received_edoc_list()
    assert sign_keys(recorder.last) == "systemid;servicetype;messagetype;timestamp;Content-Type"


async def test_bad_parameter_does_not_poison_the_sticky_map(make_client: MakeClient) -> None:
    """A refused call changes nothing in the sticky map."""
    client, recorder = make_client(route, sticky=True)
    with pytest.raises(VxpParamError):
        await client.get_edoc("D1\r\nX-Injected: 1")
    await client.get_agencies_list()
    assert len(recorder.requests) == 1
    await client.count_receive_edoc()
    assert "XroadVnpt-docId" not in recorder.last.headers


# --- parameter validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_edoc("a\nb"),
        lambda c: c.call(Action.GET_EDOC, {"bad key": "x"}),
        lambda c: c.get_received_edoc_list("document"),
        lambda c: c.update_status("D1", "processing"),
        lambda c: c.send_edoc(b"x", from_code="A", to=[]),
        lambda c: c.send_edoc(b"x", from_code="A", to=["B", " "]),
        lambda c: c.send_edoc(b"x", from_code="A", to=""),
    ],
)
async def test_malformed_parameters_are_refused_before_sending(
    make_client: MakeClient, call: Call
) -> None:
    """Header injection, bad names, unknown messagetype/status, empty `to`: VXP_PARAM, unsent."""
    client, recorder = make_client(route)
    with pytest.raises(VxpParamError):
        await call(client)
    assert recorder.requests == []


async def test_non_ascii_values_go_out_as_utf8(make_client: MakeClient) -> None:
    """A non-ASCII value (filePath) is sent as UTF-8 and signed as UTF-8 (spec §3.4)."""
    client, recorder = make_client(route)
    await client.call(Action.GET_EDOC, {"docId": "D1", "filePath": "C:/Văn bản"}, body=b"{}")
    raw = dict(recorder.last.headers.raw)
    assert raw[b"XroadVnpt-filePath"] == "C:/Văn bản".encode()
    assert "Văn bản".encode() in raw[b"XroadVnpt-sign-header"]
    assert raw[b"XroadVnpt-hash-header"] == sign(SECRET, raw[b"XroadVnpt-sign-header"]).encode()


@pytest.mark.parametrize(
    ("endpoint", "system_id", "secret"),
    [
        ("ftp://h.test/vxp", SYSTEM_ID, SECRET),
        ("h.test/vxp", SYSTEM_ID, SECRET),
        ("http://h.test/vxp?x=1", SYSTEM_ID, SECRET),
        ("http://h.test/vxp", "", SECRET),
        ("http://h.test/vxp", SYSTEM_ID, ""),
    ],
)
def test_bad_configuration_is_refused(endpoint: str, system_id: str, secret: str) -> None:
    """Endpoint must be http(s) without query; systemid and secret non-empty (spec §1)."""
    with pytest.raises(ValueError, match="must"):
        VxpClient(endpoint, system_id, secret)


async def test_owned_http_client_is_closed() -> None:
    """A client that created its httpx client closes it on exit; a borrowed one stays open."""
    async with VxpClient("http://h.test/vxp", SYSTEM_ID, SECRET) as client:
        owned = client._http  # white-box: ownership is the behaviour under test
    assert owned.is_closed
    borrowed = httpx.AsyncClient(transport=httpx.MockTransport(Recorder([ok()])))
    async with VxpClient("http://h.test/vxp", SYSTEM_ID, SECRET, http=borrowed):
        pass
    assert not borrowed.is_closed
    await borrowed.aclose()


async def test_repr_hides_the_secret() -> None:
    """The secret never appears in repr()."""
    async with VxpClient("http://h.test/vxp", SYSTEM_ID, SECRET) as client:
        assert SECRET not in repr(client)
        assert SYSTEM_ID in repr(client)
