"""Bad input on the VXP API: every refusal is a coded FAIL and nothing is stored (vxp-api.md §6)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors.vxp.errors import VxpFailure
from connectors.vxp.protocol import build_sign_header, format_timestamp, hash_file, sign
from tests.scenarios.exchange.conftest import Node, eventually, node_settings, start_node
from tests.scenarios.exchange.packages import document, status

H14, H41 = "000.00.00.H14", "000.00.00.H41"


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    """An embedded node (these checks do not depend on the store or the bus)."""
    async for started in start_node(node_settings("embedded", tmp_path)):
        yield started


def signed(
    system: str, secret: str, params: dict[str, str], content_type: str = "application/json"
) -> dict[str, str]:
    """Headers exactly as the SDK builds them."""
    pairs = [
        ("systemid", system),
        *params.items(),
        ("timestamp", format_timestamp(datetime.now(UTC))),
        ("Content-Type", content_type),
    ]
    raw = build_sign_header(pairs)
    headers = {f"XroadVnpt-{k}": v for k, v in pairs if v.isascii()}
    headers["XroadVnpt-sign-header"] = raw.decode("latin-1")
    headers["XroadVnpt-hash-header"] = sign(secret, raw)
    headers["Content-Type"] = content_type
    return headers


async def _send_raw(
    http: httpx.AsyncClient, body: bytes, headers: dict[str, str]
) -> dict[str, str]:
    reply = await http.post("/vxp/sendEdoc", content=body, headers=headers)
    assert reply.status_code == 200
    payload = reply.json()
    assert set(payload) >= {"status", "ErrorCode", "ErrorDesc", "DocId"}
    assert reply.content.isascii()
    return dict(payload)


async def _stored(node: Node) -> int:
    return (await node.runtime.store.stats())["documents"]


def _send_headers(
    data: bytes, system: str = H14, secret: str = "test-secret", **extra: str
) -> dict[str, str]:
    params = {
        "servicetype": "eDoc",
        "messagetype": "edoc",
        "hash-file": hash_file(data),
        "from": system,
    }
    params.update(extra)
    return signed(system, secret, params, "application/octet-stream")


async def test_bad_hmac_unknown_system_and_missing_headers(node: Node) -> None:
    """Signature problems answer ErrorCode 15 with the AUTH_* code first in ErrorDesc."""
    http = node.http()
    data = document(H14, (H41,))
    wrong = await _send_raw(http, data + b"\r\n", _send_headers(data, secret="wrong-secret"))
    assert (wrong["status"], wrong["ErrorCode"], wrong["DocId"]) == ("FAIL", "15", "")
    assert wrong["ErrorDesc"].startswith("AUTH_SIGNATURE")
    unknown = await _send_raw(http, data + b"\r\n", _send_headers(data, system="nobody"))
    assert unknown["ErrorCode"] == "15"
    assert unknown["ErrorDesc"].startswith("AUTH_UNKNOWN_SYSTEM")
    bare = (await http.post("/vxp/getReceivedEdocList")).json()
    assert bare["ErrorCode"] == "15"
    assert bare["ErrorDesc"].startswith("AUTH_HEADER_MISSING")
    assert await _stored(node) == 0


async def test_non_ascii_header_value_is_explained(node: Node) -> None:
    """A header whose non-ASCII characters were truncated (Q12) gets an explanatory FAIL."""
    pairs = [
        ("systemid", H14),
        ("servicetype", "eDoc"),
        ("note", "Cao Bằng"),
        ("timestamp", format_timestamp(datetime.now(UTC))),
        ("Content-Type", "application/json"),
    ]
    raw = build_sign_header(pairs)  # the client signs the UTF-8 JSON ...
    # ... but the SDK writes each character's low byte on an explicit-port endpoint.
    truncated = bytes(ord(ch) & 0xFF for ch in raw.decode("utf-8"))
    headers = [
        (b"XroadVnpt-systemid", H14.encode()),
        (b"XroadVnpt-sign-header", truncated),
        (b"XroadVnpt-hash-header", sign("test-secret", raw).encode()),
    ]
    reply = (await node.http().post("/vxp/getReceivedEdocList", headers=headers)).json()
    assert reply["ErrorCode"] == "15"
    assert reply["ErrorDesc"].startswith("AUTH_HEADER_ENCODING")


async def test_hash_file_and_body_problems(node: Node) -> None:
    """Wrong hash-file, empty or malformed bodies answer ErrorCode 10; nothing is stored."""
    http = node.http()
    data = document(H14, (H41,))
    mismatch = await _send_raw(http, data + b"tampered", _send_headers(data))
    assert mismatch["ErrorCode"] == "10"
    assert mismatch["ErrorDesc"].startswith("VXP_HASH_FILE")
    truncated = data[: len(data) // 2]
    broken = await _send_raw(http, truncated + b"\r\n", _send_headers(truncated))
    assert broken["ErrorCode"] == "10"
    assert broken["ErrorDesc"].startswith("EDXML_MALFORMED")
    empty = await _send_raw(http, b"\r\n", _send_headers(b""))
    assert empty["ErrorCode"] == "10"
    missing = signed(H14, "test-secret", {"servicetype": "eDoc", "messagetype": "edoc"})
    no_hash = await _send_raw(http, data + b"\r\n", missing)
    assert no_hash["ErrorCode"] == "25"
    assert "hash-file" in no_hash["ErrorDesc"]
    assert await _stored(node) == 0


async def test_invalid_edxml_names_the_field(node: Node) -> None:
    """A package failing validation answers ErrorCode 22 naming the code and the field."""
    data = (
        document(H14, (H41,))
        .replace(b"<edXML:Subject>", b"<edXML:Subjekt>")
        .replace(b"</edXML:Subject>", b"</edXML:Subjekt>")
    )
    with pytest.raises(VxpFailure) as failure:
        await node.client(H14).send_edoc(data, from_code=H14)
    assert failure.value.error_code == "22"
    assert "EDXML_REQUIRED" in failure.value.error_desc
    assert "Subject" in failure.value.error_desc
    assert await _stored(node) == 0


async def test_sender_and_recipient_problems(node: Node) -> None:
    """Foreign sender → 19; unknown recipients → 18 listing them; nothing stored."""
    client = node.client(H14)
    with pytest.raises(VxpFailure) as foreign:
        await client.send_edoc(document(H41, ("000.00.00.H14",)), from_code=H41)
    assert foreign.value.error_code == "19"
    with pytest.raises(VxpFailure) as unknown:
        await client.send_edoc(document(H14, (H41, "000.00.77.H99", "X1")), from_code=H14)
    assert unknown.value.error_code == "18"
    assert "000.00.77.H99" in unknown.value.error_desc
    assert "X1" in unknown.value.error_desc
    with pytest.raises(VxpFailure) as mismatch:  # from parameter differs from the package
        await node.client(H41).send_edoc(document(H14, (H41,)), from_code=H41)
    assert mismatch.value.error_code == "19"
    assert await _stored(node) == 0


async def test_foreign_and_unknown_doc_ids(node: Node) -> None:
    """A docId of another system answers like an unknown one (24); download errors are empty 4xx."""
    sender, receiver = node.client(H14), node.client(H41)
    await sender.send_edoc(document(H14, (H41,)), from_code=H14)
    items = await eventually(lambda: receiver.get_received_edoc_list("edoc"), lambda v: len(v) == 1)
    for doc_id in (items[0].doc_id, "no-such-id"):
        with pytest.raises(VxpFailure) as failure:
            await sender.get_edoc(doc_id)  # the sender is not the recipient
        assert failure.value.error_code == "24"
        with pytest.raises(VxpFailure):
            await sender.update_status(doc_id, "done")
    http = node.http()
    headers = signed(H14, "test-secret", {"docId": items[0].doc_id})
    reply = await http.get("/vxp/downloadEdoc", headers=headers)
    assert reply.status_code == 404
    assert reply.content == b""
    assert len(await receiver.get_received_edoc_list("edoc")) == 1


async def test_status_for_unknown_document(node: Node) -> None:
    """A status about a document the node never carried is refused with 24."""
    with pytest.raises(VxpFailure) as failure:
        await node.client(H41).send_edoc(
            status("01", document_id=f"{H14},2026/11/20,999999/UBND-VP"),
            from_code=H41,
            messagetype="status",
        )
    assert failure.value.error_code == "24"
    assert failure.value.error_desc.startswith("STATUS_UNKNOWN_DOCUMENT")


async def test_parameter_problems(node: Node) -> None:
    """Unknown actions, bad status values and wrong messagetype answer 25 / 22."""
    http = node.http()
    headers = signed(H41, "test-secret-b", {"docId": "x", "status": "maybe"})
    reply = (await http.post("/vxp/updateStatus", headers=headers, content=b"{}")).json()
    assert reply["ErrorCode"] == "25"
    assert "status" in reply["ErrorDesc"]
    unknown = (await http.post("/vxp/doSomething", headers=headers)).json()
    assert unknown["ErrorCode"] == "25"
    assert unknown["ErrorDesc"].startswith("ACTION_UNKNOWN")
    data = document(H14, (H41,))
    kind = await _send_raw(http, data + b"\r\n", _send_headers(data, messagetype="status"))
    assert kind["ErrorCode"] == "22"
    assert kind["ErrorDesc"].startswith("PACKAGE_KIND")


async def test_trailing_slash_endpoint_and_get_method(node: Node) -> None:
    """``/vxp//action`` and GET work: routing uses the last path segment (Q1, Q16)."""
    http = node.http()
    headers = signed(H41, "test-secret-b", {"servicetype": "eDoc", "messagetype": "edoc"})
    for method, path in (("POST", "/vxp//countReceiveEdoc"), ("GET", "/vxp/countReceiveEdoc")):
        reply = (await http.request(method, path, headers=headers)).json()
        assert reply == {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", "count": 0}


async def test_directory_actions(node: Node) -> None:
    """The directory actions list the registry without JSON nulls."""
    client = node.client(H14)
    agencies = await client.get_agencies_list()
    assert any(a.code == "H14" and a.old_code == "000.00.00.H14" for a in agencies)
    qd20 = await client.get_agencies_list_qd20()
    assert any(a.code102 == "000.00.00.H41" for a in qd20)
    units = await client.get_synchronize_unit()
    assert any(u.code == "H14.94" and u.deleted for u in units)
    raw = (
        await node.http().post("/vxp/getAgenciesList", headers=signed(H14, "test-secret", {}))
    ).json()
    assert all(v is not None for item in raw["data"] for v in item.values())
    assert json.dumps(raw).isascii()


async def test_registry_changes_need_the_admin_grant(node: Node) -> None:
    """registerAgency/deleteAgency: admin systems only; lenient body; saved for restarts."""
    body = '{"id":"1","pcode":"H14","code":"H14.96","name":"Sở Y tế tỉnh Cao Bằng","mail":cc""}'
    with pytest.raises(VxpFailure) as refused:
        await node.client(H41).register_agency(body)
    assert refused.value.error_code == "15"
    assert refused.value.error_desc.startswith("AUTH_FORBIDDEN")
    await node.client(H14).register_agency(body)  # H14 has the admin grant in the tests
    assert node.runtime.registry.get("H14.96") is not None
    saved = node.settings.data_dir / "registry.json"
    assert "H14.96" in saved.read_text(encoding="utf-8")
    with pytest.raises(VxpFailure) as duplicate:
        await node.client(H14).register_agency(body)
    assert duplicate.value.error_code == "25"
    await node.client(H14).delete_agency("H14.96")
    with pytest.raises(VxpFailure) as closed:
        await node.client(H14).send_edoc(document(H14, ("H14.96",)), from_code=H14)
    assert closed.value.error_code == "23"


async def test_optional_timestamp_window(tmp_path: Path) -> None:
    """With a freshness window set, a stale SDK timestamp is refused with AUTH_TIMESTAMP."""
    settings = node_settings("embedded", tmp_path, vxp_timestamp_window_seconds=60)
    async for node in start_node(settings):
        stale = node.client(H41, timestamp="01012020T000000+0000")
        with pytest.raises(VxpFailure) as failure:
            await stale.count_receive_edoc()
        assert failure.value.error_code == "15"
        assert failure.value.error_desc.startswith("AUTH_TIMESTAMP")
        assert await node.client(H41, refresh_timestamp=True).count_receive_edoc() == 0
