"""How VxpClient reads answers: typed rows, FAIL, retries, and refusing what is not a response."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Awaitable, Callable

import httpx
import pytest

from connectors.vxp.client import VxpClient
from connectors.vxp.errors import VxpFailure, VxpResponseError, VxpTransportError
from connectors.vxp.models import Agency, Envelope, ReceivedEdoc, SentEdoc, SynchronizeUnit
from connectors.vxp.retry import NO_RETRY, RetryPolicy
from tests.connectors.vxp.conftest import MakeClient, fail, ok

Call = Callable[[VxpClient], Awaitable[object]]
HTML = httpx.Response(200, text="<html><body>Bad gateway</body></html>")
ISE = httpx.Response(500, text="Internal Server Error")


# --- typed results --------------------------------------------------------------------------


async def test_received_list_rows(make_client: MakeClient) -> None:
    """getReceivedEdocList rows map the exact JSON names; unknown members land in extra (§5.2)."""
    row = {
        "docId": "R1",
        "serviceType": "eDoc",
        "messageType": "edoc",
        "created_time": "2026-11-22 00:13:30",
        "updated_time": None,
        "from": "000.00.00.H41",
        "to": "000.00.00.H14",
        "status": "initial",
        "status_desc": "Chờ nhận",
        "priority": 2,
    }
    client, _ = make_client(ok(data=[row]))
    [item] = await client.get_received_edoc_list()
    assert item == ReceivedEdoc(
        doc_id="R1",
        service_type="eDoc",
        message_type="edoc",
        created_time="2026-11-22 00:13:30",
        from_code="000.00.00.H41",
        to_code="000.00.00.H14",
        status="initial",
        status_desc="Chờ nhận",
        extra={"priority": 2},
    )
    assert item.updated_time is None


async def test_received_list_empty_is_empty(make_client: MakeClient) -> None:
    """An empty data array is a real empty inbox."""
    client, _ = make_client(ok(data=[]))
    assert await client.get_received_edoc_list("status") == []


async def test_received_row_without_doc_id_is_refused(make_client: MakeClient) -> None:
    """A pending item without docId cannot be fetched or acknowledged: response error."""
    client, _ = make_client(ok(data=[{"docId": "R1"}, {"from": "X"}]))
    with pytest.raises(VxpResponseError) as caught:
        await client.get_received_edoc_list()
    assert caught.value.field == "data[1].docId"
    assert caught.value.action == "getReceivedEdocList"


async def test_sent_list_keeps_node_extras(make_client: MakeClient) -> None:
    """getSentEdocList rows keep the node's extra fields in `extra` (§5.3)."""
    row = {
        "serviceType": "eDoc",
        "messageType": "edoc",
        "senderDocId": "S1",
        "receiverDocId": "R1",
        "fromCode": "000.00.00.H14",
        "toCode": "000.00.00.H41",
        "title": "Công văn",
        "notation": "12/UBND",
        "sentTime": "t1",
        "receivedTime": "t2",
        "sendStatus": "sent",
        "sendStatusDesc": "ok",
        "receiveStatus": "done",
        "receiveStatusDesc": "ok",
        "traceId": "abc",
        "hops": [{"node": "national"}],
    }
    client, _ = make_client(ok(data=[row]))
    [item] = await client.get_sent_edoc_list("S1")
    assert item.sender_doc_id == "S1"
    assert item.receiver_doc_id == "R1"
    assert item.to_code == "000.00.00.H41"
    assert item.receive_status == "done"
    assert item.title == "Công văn"
    assert dict(item.extra) == {"traceId": "abc", "hops": [{"node": "national"}]}
    with pytest.raises(TypeError):
        item.extra["x"] = 1  # type: ignore[index]
    assert isinstance(hash(item), int)


async def test_directory_rows(make_client: MakeClient) -> None:
    """Agencies and QĐ 20 agencies read their fields; numbers become text like Gson (§5.8)."""
    client, _ = make_client(
        ok(data=[{"id": 12, "pid": "1", "code": "A", "name": "Bộ", "mail": "a@b", "oldCode": "O"}]),
    )
    assert await client.get_agencies_list() == [
        Agency(id="12", pid="1", code="A", name="Bộ", mail="a@b", old_code="O")
    ]
    client, _ = make_client(ok(data=[{"id": "3", "code": "B", "code102": "C102"}]))
    assert await client.get_agencies_list_qd20() == [Agency(id="3", code="B", code102="C102")]


async def test_synchronize_units_convert_types(make_client: MakeClient) -> None:
    """version is an int, deleted/isAgency booleans, from JSON or numeric/boolean strings (§5.8)."""
    rows = [
        {
            "id": "1",
            "version": 3,
            "deleted": False,
            "isAgency": True,
            "centerCode": "C",
            "modifyDate": "d",
        },
        {"id": "2", "version": "4", "deleted": "true", "isAgency": 0},
    ]
    client, _ = make_client(ok(data=rows))
    assert await client.get_synchronize_unit() == [
        SynchronizeUnit(
            id="1", version=3, deleted=False, is_agency=True, center_code="C", modify_date="d"
        ),
        SynchronizeUnit(id="2", version=4, deleted=True, is_agency=False),
    ]


@pytest.mark.parametrize(
    "row",
    [
        {"version": "three"},
        {"version": True},
        {"deleted": "yes"},
        {"code": {"x": 1}},
        "not an object",
    ],
)
async def test_bad_row_types_are_refused(make_client: MakeClient, row: object) -> None:
    """A field of the wrong type is a response error, not a silently lost list."""
    client, _ = make_client(ok(data=[row]))
    with pytest.raises(VxpResponseError):
        await client.get_synchronize_unit()


@pytest.mark.parametrize("encoded", ["PGVkWE1MLz4=", "PGVkWE1M\r\nLz4=", "PGVkWE1MLz4"])
async def test_get_edoc_decodes_base64(make_client: MakeClient, encoded: str) -> None:
    """getEdoc returns the decoded bytes; MIME line breaks and missing padding are tolerated."""
    client, _ = make_client(ok(data=encoded))
    assert await client.get_edoc("D1") == b"<edXML/>"


async def test_get_edoc_url_safe_alphabet(make_client: MakeClient) -> None:
    """The URL-safe alphabet is accepted, as commons-codec does (§5.4)."""
    raw = bytes(range(256))
    client, _ = make_client(ok(data=base64.urlsafe_b64encode(raw).decode()))
    assert await client.get_edoc("D1") == raw


@pytest.mark.parametrize("data", [None, "", "***", 5])
async def test_get_edoc_without_usable_data(make_client: MakeClient, data: object) -> None:
    """Missing, empty or non-base64 data is refused, never returned as garbage."""
    client, _ = make_client(ok() if data is None else ok(data=data))
    with pytest.raises(VxpResponseError) as caught:
        await client.get_edoc("D1")
    assert caught.value.field == "data"


async def test_download_edoc_returns_raw_bytes(make_client: MakeClient) -> None:
    """downloadEdoc returns the body as is (§5.5)."""
    client, _ = make_client(httpx.Response(200, content=b"<edXML>\xff</edXML>"))
    assert await client.download_edoc("D1") == b"<edXML>\xff</edXML>"


@pytest.mark.parametrize(
    ("reply", "error", "status"),
    [
        (httpx.Response(404), VxpResponseError, 404),
        (httpx.Response(200), VxpResponseError, 200),
        (httpx.Response(404, text="Not Found"), VxpResponseError, 404),
        (fail(), VxpFailure, 200),
        (ok(), VxpResponseError, 200),
    ],
)
async def test_download_edoc_never_saves_an_error_as_the_document(
    make_client: MakeClient, reply: httpx.Response, error: type[Exception], status: int
) -> None:
    """Empty bodies, non-2xx and JSON envelopes raise; the SDK saves them as the file (§5.5)."""
    client, _ = make_client(reply)
    with pytest.raises(error) as caught:
        await client.download_edoc("D1")
    assert getattr(caught.value, "http_status", None) == status


@pytest.mark.parametrize(("count", "expected"), [(3, 3), ("4", 4), (0, 0)])
async def test_counts(make_client: MakeClient, count: object, expected: int) -> None:
    """count may be a number or a numeric string (§5.7)."""
    client, _ = make_client(ok(count=count))
    assert await client.count_receive_edoc() == expected
    assert await client.count_receive_status() == expected


@pytest.mark.parametrize("reply", [ok(), ok(count="many"), ok(count=-1), ok(count=True)])
async def test_missing_count_is_not_zero(make_client: MakeClient, reply: httpx.Response) -> None:
    """A missing or bad count raises; the SDK would silently say 0 (§5.7)."""
    client, _ = make_client(reply)
    with pytest.raises(VxpResponseError):
        await client.count_receive_edoc()


async def test_envelope_only_operations(make_client: MakeClient) -> None:
    """updateStatus, registerAgency, deleteAgency return the envelope (§5.6, §5.9)."""
    client, _ = make_client(ok())
    expected = Envelope("OK", "0", "Success")
    assert await client.update_status("D1", "fail") == expected
    assert await client.register_agency("{}") == expected
    assert await client.delete_agency("X") == expected


async def test_gzip_response_is_decoded(make_client: MakeClient) -> None:
    """A gzip answer to an HttpClient call is decoded transparently (§2)."""
    body = gzip.compress(b'{"status":"OK","ErrorCode":"0","ErrorDesc":"Success","count":9}')
    client, _ = make_client(
        httpx.Response(200, stream=httpx.ByteStream(body), headers={"Content-Encoding": "gzip"})
    )
    assert await client.count_receive_edoc() == 9


async def test_pretty_printed_and_bom_json(make_client: MakeClient) -> None:
    """Pretty-printed JSON with a BOM is still JSON."""
    text = '\ufeff{\n  "status": "OK",\n  "ErrorCode": 0,\n  "ErrorDesc": "Success",\n'
    text += '  "DocId": "X"\n}'
    client, _ = make_client(httpx.Response(201, content=text.encode()))
    assert await client.send_edoc(b"x", from_code="A") == "X"


# --- FAIL -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 401, 403, 500])
async def test_fail_envelope_raises_and_is_not_retried(
    make_client: MakeClient, status: int
) -> None:
    """A FAIL envelope raises VxpFailure (ErrorCode as text) at any HTTP status, tried once."""
    client, recorder = make_client(fail("24", "DOC_UNKNOWN: no such docId", status))
    with pytest.raises(VxpFailure) as caught:
        await client.get_edoc("D1")
    failure = caught.value
    assert (failure.error_code, failure.error_desc) == ("24", "DOC_UNKNOWN: no such docId")
    assert failure.reason == "DOC_UNKNOWN"
    assert failure.action == "getEdoc"
    assert failure.http_status == status
    assert failure.code == "VXP_FAIL"
    assert len(recorder.requests) == 1


async def test_numeric_error_code_becomes_text(make_client: MakeClient) -> None:
    """ErrorCode sent as a JSON number is read as its text (§5)."""
    body = {"status": "FAIL", "ErrorCode": 15, "ErrorDesc": "AUTH_SIGNATURE: bad hash-header"}
    client, _ = make_client(httpx.Response(200, json=body))
    with pytest.raises(VxpFailure) as caught:
        await client.update_status("D1", "done")
    assert caught.value.error_code == "15"


async def test_ok_status_with_non_zero_code_is_a_failure(make_client: MakeClient) -> None:
    """status OK with ErrorCode other than 0 is not a success (lists are read only on "0")."""
    client, _ = make_client(
        httpx.Response(200, json={"status": "OK", "ErrorCode": "5", "ErrorDesc": "x"})
    )
    with pytest.raises(VxpFailure) as caught:
        await client.get_agencies_list()
    assert caught.value.status == "OK"


async def test_send_edoc_fail_without_doc_id_is_still_a_failure(make_client: MakeClient) -> None:
    """A FAIL to sendEdoc raises VxpFailure even without DocId (the SDK would null everything)."""
    body = {
        "status": "FAIL",
        "ErrorCode": "19",
        "ErrorDesc": "Don vi gui X khong dung voi ma da dang ky: Y",
    }
    client, _ = make_client(httpx.Response(200, json=body))
    with pytest.raises(VxpFailure) as caught:
        await client.send_edoc(b"x", from_code="X")
    assert caught.value.error_code == "19"
    assert caught.value.reason is None


# --- never success by accident --------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        HTML,
        httpx.Response(200),
        httpx.Response(200, text="null"),
        httpx.Response(200, text="[]"),
        httpx.Response(200, content=b"\xff\xfe{}"),
        httpx.Response(200, json={"status": "OK", "ErrorCode": "0"}),
        httpx.Response(200, json={"status": "OK", "ErrorCode": "0", "ErrorDesc": None, "data": []}),
        httpx.Response(200, json={"ErrorCode": "0", "ErrorDesc": "Success", "data": []}),
        httpx.Response(
            200, json={"status": "SUCCESS", "ErrorCode": "0", "ErrorDesc": "x", "data": []}
        ),
        httpx.Response(200, json={"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success"}),
        httpx.Response(200, json={"status": "OK", "ErrorCode": "0", "ErrorDesc": "x", "data": {}}),
        httpx.Response(404, json={"status": "OK", "ErrorCode": "0", "ErrorDesc": "x", "data": []}),
    ],
    ids=[
        "html",
        "empty",
        "null",
        "array",
        "not-utf8",
        "no-desc",
        "null-desc",
        "no-status",
        "unknown-status",
        "no-data",
        "data-object",
        "ok-on-404",
    ],
)
async def test_an_outage_is_not_an_empty_inbox(
    make_client: MakeClient, reply: httpx.Response
) -> None:
    """Non-JSON or incomplete answers raise VxpResponseError, never an empty list (§5.2, §6)."""
    client, recorder = make_client(reply)
    with pytest.raises(VxpResponseError) as caught:
        await client.get_received_edoc_list()
    assert caught.value.code == "VXP_RESPONSE"
    assert caught.value.http_status == reply.status_code
    assert len(recorder.requests) == 1


async def test_send_edoc_success_requires_doc_id(make_client: MakeClient) -> None:
    """sendEdoc OK without DocId (or with an empty one) is a response error (§5.1)."""
    for reply in (ok(), ok(DocId=""), ok(DocId=None), ok(DocId=True)):
        client, _ = make_client(reply)
        with pytest.raises(VxpResponseError) as caught:
            await client.send_edoc(b"x", from_code="A")
        assert caught.value.field == "DocId"


async def test_oversized_response_is_refused(make_client: MakeClient) -> None:
    """A body beyond max_response_bytes raises and is not retried."""
    client, recorder = make_client(
        httpx.Response(200, content=b"x" * 2048), max_response_bytes=1024
    )
    with pytest.raises(VxpResponseError, match="larger than"):
        await client.download_edoc("D1")
    assert len(recorder.requests) == 1


async def test_bad_gzip_is_a_response_error(make_client: MakeClient) -> None:
    """A body that claims gzip but is not raises a response error."""
    client, _ = make_client(
        httpx.Response(200, stream=httpx.ByteStream(b"nope"), headers={"Content-Encoding": "gzip"})
    )
    with pytest.raises(VxpResponseError, match="undecodable"):
        await client.count_receive_edoc()


# --- retries --------------------------------------------------------------------------------


async def test_retry_on_503_text_then_success(make_client: MakeClient) -> None:
    """An HTTP 5xx without a FAIL body is retried; the next success is returned."""
    client, recorder = make_client(httpx.Response(503, text="Service Unavailable"), ok(count=1))
    assert await client.count_receive_edoc() == 1
    assert len(recorder.requests) == 2


async def test_retry_on_5xx_gives_up_with_response_error(make_client: MakeClient) -> None:
    """After the last attempt a 5xx text answer raises VxpResponseError with its status."""
    client, recorder = make_client(ISE)
    with pytest.raises(VxpResponseError) as caught:
        await client.get_received_edoc_list()
    assert caught.value.http_status == 500
    assert len(recorder.requests) == 3


async def test_retry_on_transport_error_then_success(make_client: MakeClient) -> None:
    """A connection error is retried with the same request."""
    client, recorder = make_client(
        httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), ok(data=[])
    )
    assert await client.get_agencies_list() == []
    assert len(recorder.requests) == 3
    first, last = recorder.requests[0], recorder.requests[-1]
    assert first.headers["XroadVnpt-hash-header"] == last.headers["XroadVnpt-hash-header"]


async def test_send_edoc_is_retried(make_client: MakeClient, sample: bytes) -> None:
    """sendEdoc is retried after a transport error, same body (the node deduplicates, Q14)."""
    client, recorder = make_client(httpx.ReadError("reset"), ok(DocId="D2"))
    assert await client.send_edoc(sample, from_code="A") == "D2"
    assert [r.content for r in recorder.requests] == [sample + b"\r\n"] * 2


async def test_transport_errors_exhaust_into_vxp_transport_error(make_client: MakeClient) -> None:
    """When every attempt fails at the transport level VxpTransportError says how many tries."""
    client, recorder = make_client(httpx.ConnectError("refused"))
    with pytest.raises(VxpTransportError) as caught:
        await client.get_edoc("D1")
    assert caught.value.attempts == 3
    assert caught.value.code == "VXP_TRANSPORT"
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(recorder.requests) == 3


async def test_no_retry_policy(make_client: MakeClient) -> None:
    """NO_RETRY makes exactly one attempt."""
    client, recorder = make_client(ISE, retry=NO_RETRY)
    with pytest.raises(VxpResponseError):
        await client.count_receive_edoc()
    assert len(recorder.requests) == 1


async def test_time_budget_stops_retries(make_client: MakeClient) -> None:
    """No retry starts if its wait would end past the policy's time budget."""
    policy = RetryPolicy(attempts=5, timeout=0.5, wait_initial=1.0, wait_jitter=0.0)
    client, recorder = make_client(httpx.ConnectError("refused"), retry=policy)
    with pytest.raises(VxpTransportError):
        await client.count_receive_edoc()
    assert len(recorder.requests) == 1


async def test_4xx_text_is_not_retried(make_client: MakeClient) -> None:
    """Only 5xx is retried: a 4xx text page raises at once."""
    client, recorder = make_client(httpx.Response(400, text="Bad Request"))
    with pytest.raises(VxpResponseError) as caught:
        await client.get_agencies_list()
    assert caught.value.http_status == 400
    assert len(recorder.requests) == 1


async def test_retries_wait_per_policy(make_client: MakeClient) -> None:
    """The client really waits between tries (a small real wait, bounded)."""
    policy = RetryPolicy(attempts=2, timeout=5.0, wait_initial=0.05, wait_jitter=0.0)
    client, recorder = make_client(ISE, ok(data=[]), retry=policy)
    assert await client.get_agencies_list() == []
    assert len(recorder.requests) == 2


def test_sent_edoc_row_defaults() -> None:
    """A row with no fields builds with everything None and no extras."""
    assert SentEdoc.from_json({}) == SentEdoc()
    assert dict(SentEdoc().extra) == {}
