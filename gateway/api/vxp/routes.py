"""The VXP-compatible API under ``/vxp``: what the unmodified official SDK speaks (vxp-api.md).

One route takes every method and path under ``/vxp`` and dispatches on the **last non-empty path
segment** (Q16: ``/vxp//sendEdoc`` from a trailing-slash endpoint works), for GET and POST alike
(Q1). Every answer is ASCII JSON with ``status``, ``ErrorCode`` and ``ErrorDesc`` (Q9, Q10), plus
``DocId`` for ``sendEdoc`` even on failure, with HTTP 200; ``downloadEdoc`` answers raw bytes, and
its errors are an empty 4xx (Q11). Only the parameters that belong to the action are read (Q6:
the SDK's header map is sticky).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from connectors.vxp.errors import VxpError
from connectors.vxp.protocol import ascii_json, extract_hashed_document, parse_to
from edxml import EdxmlError
from gateway.api.bodies import read_body
from gateway.api.dependencies import current_runtime
from gateway.api.metrics import record_accepted, record_confirmed, record_rejected
from gateway.api.vxp.auth import VxpCall, authenticate
from gateway.api.vxp.directory import agencies_list, agencies_list_qd20, synchronize_unit
from gateway.api.vxp.errors import describe, error_code
from gateway.core.accept import SendRequest
from gateway.core.clock import VN_TZ
from gateway.core.delivery import PROJECTIONS
from gateway.core.errors import BadRequest, ExchangeError
from gateway.core.legal import copy_measures
from gateway.core.model import DeliveryState, DeliveryView, DocumentRecord, MessageType
from gateway.logging import get_logger
from gateway.runtime import Runtime
from gateway.telemetry import ROUTE_STATE_KEY
from identifiers import IdentifierError

log = get_logger(__name__)

SEND = "sendEdoc"
DOWNLOAD = "downloadEdoc"


def _json(payload: dict[str, Any], status_code: int = 200) -> Response:
    return Response(ascii_json(payload), status_code=status_code, media_type="application/json")


def ok(extra: dict[str, Any] | None = None, desc: str = "Success") -> Response:
    """A success envelope with extra fields."""
    return _json({"status": "OK", "ErrorCode": "0", "ErrorDesc": desc, **(extra or {})})


def fail(code: str, message: str, field: str | None = None, *, doc_id: bool = True) -> Response:
    """A FAIL envelope (HTTP 200, §6) naming our code and the field."""
    payload: dict[str, Any] = {
        "status": "FAIL",
        "ErrorCode": error_code(code),
        "ErrorDesc": describe(code, message, field),
    }
    if doc_id:
        payload["DocId"] = ""  # sendEdoc needs it even on failure; harmless elsewhere
    return _json(payload)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in +07:00."""
    return None if value is None else value.astimezone(VN_TZ).isoformat()


def _compact(item: dict[str, Any]) -> dict[str, Any]:
    """Drop absent fields: a JSON null inside a list item loses the whole list in the SDK (§5)."""
    return {k: v for k, v in item.items() if v is not None}


def _messagetype(call: VxpCall, default: MessageType = MessageType.EDOC) -> MessageType:
    value = (call.get("messagetype") or default.value).lower()
    try:
        return MessageType(value)
    except ValueError:
        raise BadRequest(
            f"messagetype must be edoc or status, not {value!r}", field="messagetype"
        ) from None


def _doc_id(call: VxpCall) -> str:
    doc_id = call.get("docId")
    if doc_id is None:
        raise BadRequest("docId is required", field="docId")
    return doc_id


# ------------------------------------------------------------------ actions


async def send_edoc(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``sendEdoc``: raw body (file + CRLF), checked against hash-file (§5.1, Q2, Q3)."""
    hash_file = call.get("hash-file")
    if hash_file is None:
        raise BadRequest("hash-file is required", field="hash-file")
    body = await read_body(request, runtime.settings.max_package_bytes + 2)
    if not body.strip():
        raise ExchangeError("the body is empty", code="PACKAGE_EMPTY", field="body")
    data, digest = extract_hashed_document(body, hash_file)
    to_param = call.get("to")
    outcome = await runtime.exchange.send(
        call.system,
        SendRequest(
            data=data,
            messagetype=_messagetype(call),
            from_code=call.get("from"),
            to=parse_to(to_param) if to_param else None,
            request_id=getattr(request.state, "request_id", None),
            sha256=digest.hex(),
        ),
    )
    record_accepted(
        "vxp", _messagetype(call).value, created=outcome.created, system=call.system.system_id
    )
    log.info(
        "vxp send accepted",
        system_id=call.system.system_id,
        doc_id=outcome.document_id,
        created=outcome.created,
    )
    return ok({"DocId": outcome.document_id})


def _pull_item(copy: DeliveryView) -> dict[str, Any]:
    status = "initial" if copy.receiver_failures == 0 else "retry"
    return _compact(
        {
            "docId": copy.delivery_id,
            "serviceType": "eDoc",
            "messageType": copy.kind.value,
            "created_time": iso(copy.created_at),
            "updated_time": iso(copy.updated_at),
            "from": copy.sender_code,
            "to": copy.code,
            "status": status,
            "status_desc": "waiting for the receiving system"
            if status == "initial"
            else f"offered again after {copy.receiver_failures} failure(s)",
            "priority": copy.priority,
            "senderDocId": copy.document_id,
            "title": copy.subject,
            "notation": copy.code_notation,
        }
    )


async def received_list(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``getReceivedEdocList``: the caller's waiting copies, urgent first (§5.2)."""
    copies = await runtime.exchange.pull_list(call.system, _messagetype(call))
    return ok({"data": [_pull_item(c) for c in copies]})


def _sent_row(doc: DocumentRecord, copy: DeliveryView, now: datetime) -> dict[str, Any]:
    shown = PROJECTIONS[copy.state]  # the state machine's wire projection
    send_desc = shown.send_desc
    if copy.last_error and copy.state is DeliveryState.FAILED:
        send_desc = f"{send_desc}: {copy.last_error}"
    return _compact(
        {
            "serviceType": "eDoc",
            "messageType": copy.kind.value,
            "senderDocId": doc.document_id,
            "receiverDocId": copy.delivery_id,
            "fromCode": doc.sender_code,
            "toCode": copy.code,
            "title": doc.subject,
            "notation": "/".join(p for p in (doc.code_number, doc.code_notation) if p) or None,
            "sentTime": iso(doc.accepted_at),
            "receivedTime": iso(copy.received_at),
            "sendStatus": shown.send_status,
            "sendStatusDesc": send_desc,
            "receiveStatus": shown.receive_status,
            "receiveStatusDesc": shown.receive_desc,
            # Extra fields (the SDK ignores them): the node's own view of the copy.
            "state": copy.state.value,
            "requestedCode": copy.requested_code if copy.requested_code != copy.code else None,
            "availableTime": iso(copy.available_at),
            "nextDocId": copy.upstream_doc_id,
            "statusCode": copy.status_code,
            "statusTime": iso(copy.status_at),
            "priority": doc.priority,
            **_legal_fields(doc, copy, now),
        }
    )


def _legal_fields(doc: DocumentRecord, copy: DeliveryView, now: datetime) -> dict[str, Any]:
    """The legal measures of a sent row (docs/calendar.md), as extra fields."""
    legal = copy_measures(copy, now)
    return {
        "sendDeadline": iso(doc.legal.send_deadline),
        "sentOnTime": doc.legal.sent_on_time,
        "dueTime": iso(legal.due_at),
        "calendarVersion": doc.legal.calendar_version,
        "legalReceivedTime": iso(legal.legal_received_at),
        "receivedOutOfHours": legal.received_out_of_hours,
        "noticeDeadline": iso(legal.notice_deadline),
        "noticeOnTime": legal.notice_on_time,
        "overdue": legal.overdue,
        "urgentHandoverMinutes": legal.urgent_handover_minutes,
        "receiptCalendarVersion": legal.calendar_version,
    }


async def sent_list(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``getSentEdocList``: one row per recipient copy of what the caller sent (§5.3)."""
    rows = await runtime.exchange.sent(call.system, call.get("docId"), _messagetype(call))
    now = runtime.clock.now()
    statuses = await runtime.exchange.statuses([copy for _, copy in rows])
    data = []
    for doc, copy in rows:
        row = _sent_row(doc, copy, now)
        notices = statuses.get(copy.delivery_id)
        if notices:
            # Extra field: every status the recipient sent, issued and recorded (this node).
            row["statuses"] = [
                _compact(
                    {
                        "statusCode": n.code,
                        "description": n.description,
                        "from": n.from_code,
                        "issuedTime": iso(n.issued_at),
                        "recordedTime": iso(n.recorded_at),
                    }
                )
                for n in notices
            ]
        data.append(row)
    return ok({"data": data})


#: The success envelope of ``getEdoc`` up to its ``data`` value (what :func:`ok` writes).
_EDOC_HEAD = ascii_json({"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", "data": ""})[:-2]


async def get_edoc(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``getEdoc``: the package as base64 in ``data`` (§5.4)."""
    data = await runtime.exchange.fetch(call.system, _doc_id(call))
    # The same bytes as ok({"data": …}), without encoding ~190 KB of base64 (ASCII, nothing to
    # escape) through json.dumps: 0.72 → 0.18 ms of CPU per 139 KB package.
    body = b"".join((_EDOC_HEAD, base64.b64encode(data), b'"}'))
    return Response(body, media_type="application/json")


async def update_status(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``updateStatus done|fail`` (§5.6), idempotent."""
    status = (call.get("status") or "").lower()
    if status not in ("done", "fail"):
        raise BadRequest(f"status must be done or fail, not {status!r}", field="status")
    outcome = await runtime.exchange.confirm(
        call.system,
        _doc_id(call),
        done=status == "done",
        reason=call.get("desc"),
        fail_code=call.get("failCode") if status == "fail" else None,
        next_doc_id=call.get("nextDocId") if status == "done" else None,
    )
    record_confirmed("vxp", status, changed=outcome.changed)
    desc = "Success" if outcome.changed else "Success (already recorded)"
    return ok(desc=desc)


async def report_delivery(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``reportDelivery`` (node-to-node extension, docs/axes.md): a downstream node reports
    what became of an item it pulled: ``state`` received (at ``time``) or failed (``failCode``,
    ``desc``)."""
    state = (call.get("state") or "").lower()
    if state not in ("received", "failed"):
        raise BadRequest(f"state must be received or failed, not {state!r}", field="state")
    raw = call.get("time") or ""
    try:
        at = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"time is not an ISO 8601 instant: {raw!r}", field="time") from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=VN_TZ)
    outcome = await runtime.exchange.report(
        call.system,
        _doc_id(call),
        received=state == "received",
        at=at,
        code=call.get("failCode"),
        reason=call.get("desc"),
    )
    return ok(desc="Success" if outcome.changed else "Success (already recorded)")


def _counter(kind: MessageType) -> Action:
    async def count(runtime: Runtime, call: VxpCall, request: Request) -> Response:
        """``countReceiveEdoc`` / ``countReceiveStatus``: the action names the kind (§5.7)."""
        return ok({"count": await runtime.exchange.count(call.system, kind)})

    return count


async def get_agencies(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``getAgenciesList`` (§5.8)."""
    return ok({"data": agencies_list(runtime.registry)})


async def get_agencies_qd20(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``getAgenciesListQD20`` (§5.8)."""
    return ok({"data": agencies_list_qd20(runtime.registry)})


async def get_synchronize_unit(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``getSynchronizeUnit`` (§5.8)."""
    return ok({"data": synchronize_unit(runtime.registry)})


async def register_agency(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``registerAgency``: body = the caller's agency description, admin systems only (§5.9)."""
    body = (await read_body(request, 64 * 1024)).decode("utf-8", "replace")
    agency = await runtime.registry_admin.register(call.system, body)
    return ok(desc=f"Registered {agency.primary}")


async def delete_agency(runtime: Runtime, call: VxpCall, request: Request) -> Response:
    """``deleteAgency``: closes the agency named by ``AgencyCode``, admin systems only (§5.9)."""
    code = call.get("AgencyCode")
    if code is None:
        raise BadRequest("AgencyCode is required", field="AgencyCode")
    agency = await runtime.registry_admin.delete(call.system, code)
    return ok(desc=f"Closed {agency.primary}")


Action = Callable[[Runtime, VxpCall, Request], Awaitable[Response]]

ACTIONS: dict[str, Action] = {
    SEND: send_edoc,
    "getReceivedEdocList": received_list,
    "getSentEdocList": sent_list,
    "getEdoc": get_edoc,
    "updateStatus": update_status,
    "countReceiveEdoc": _counter(MessageType.EDOC),
    "countReceiveStatus": _counter(MessageType.STATUS),
    "getAgenciesList": get_agencies,
    "getAgenciesListQD20": get_agencies_qd20,
    "getSynchronizeUnit": get_synchronize_unit,
    "registerAgency": register_agency,
    "deleteAgency": delete_agency,
    "reportDelivery": report_delivery,
}


def _action(path: str) -> str:
    segments = [s for s in path.split("/") if s]
    return segments[-1] if segments else ""


async def _authenticate(runtime: Runtime, request: Request) -> VxpCall:
    window = runtime.settings.vxp_timestamp_window_seconds
    return await authenticate(
        runtime.exchange,
        request.scope["headers"],
        timestamp_window=timedelta(seconds=window) if window else None,
        now=runtime.clock.now(),
    )


async def _download(runtime: Runtime, request: Request) -> Response:
    """``downloadEdoc``: raw bytes; any error is an empty 4xx (Q11)."""
    try:
        call = await _authenticate(runtime, request)
        data = await runtime.exchange.fetch(call.system, _doc_id(call))
    except ExchangeError as exc:
        status = 401 if error_code(exc.code) == "15" else 404
        log.info("vxp download refused", code=exc.code, error=exc.message)
        return Response(b"", status_code=status)
    except Exception:
        log.exception("vxp download failed")
        return Response(b"", status_code=500)
    return Response(data, media_type="application/xml")


async def vxp(request: Request) -> Response:
    """Dispatch one VXP call on the last path segment."""
    name = _action(str(request.path_params.get("path", "")))
    handler = ACTIONS.get(name)
    # One route serves every action: time each action on its own, and a made-up name under the
    # route's template, not a label of its own (docs/metrics.md).
    known = handler is not None or name == DOWNLOAD
    setattr(request.state, ROUTE_STATE_KEY, f"/vxp/{name}" if known else "/vxp/{path:path}")
    runtime = current_runtime(request)
    if runtime is None:
        if name == DOWNLOAD:
            return Response(b"", status_code=503)
        return fail("INTERNAL", "the node is starting or stopping; retry shortly")
    if name == DOWNLOAD:
        return await _download(runtime, request)
    if handler is None:
        return fail("ACTION_UNKNOWN", f"unknown action {name!r}", "path")
    caller: str | None = None  # the sending system once authenticated (per-system counters)
    try:
        call = await _authenticate(runtime, request)
        caller = call.system.system_id
        return await handler(runtime, call, request)
    except ExchangeError as exc:
        if name == SEND:
            record_rejected("vxp", exc.code, system=caller)
        log.info("vxp call refused", action=name, code=exc.code, field=exc.field, error=exc.message)
        return fail(exc.code, exc.message, exc.field)
    except VxpError as exc:
        if name == SEND:
            record_rejected("vxp", exc.code, system=caller)
        log.info("vxp call refused", action=name, code=exc.code, field=exc.field, error=exc.message)
        return fail(exc.code, exc.message, exc.field)
    except EdxmlError as exc:
        if name == SEND:
            record_rejected("vxp", exc.code, system=caller)
        return fail(exc.code, str(exc))
    except IdentifierError as exc:
        log.info("vxp registry change refused", action=name, code=exc.code, error=exc.message)
        return fail(exc.code, exc.message, exc.field)
    except Exception:
        # Q10: never an HTML/text error page; an outage must not look like an empty inbox.
        log.exception("vxp call failed", action=name)
        return fail("INTERNAL", "the node failed to process the request; nothing was stored")


#: The VXP API's routes: plain Starlette routes, not FastAPI's. The SDK's wire format is fixed, so
#: they need no dependency injection, parameter validation or OpenAPI entry, and document systems
#: poll them all day: :func:`gateway.app.create_app` puts them first in the app's own router, so a
#: poll is matched without walking the native API's included routers (docs/benchmarks.md).
METHODS = ["GET", "POST", "PUT"]
ROUTES: list[BaseRoute] = [
    Route("/vxp", vxp, methods=METHODS, include_in_schema=False),
    Route("/vxp/{path:path}", vxp, methods=METHODS, include_in_schema=False),
]


def vxp_path(scope: Scope) -> str | None:
    """The ``path`` parameter of the VXP route that fully matches the request (its path under
    the root path, its method), or None: the app's router answers what no VXP route takes, and
    a method they refuse (405 with ``Allow``). Starlette's own matching of :data:`ROUTES`."""
    for route in ROUTES:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return str(child["path_params"].get("path", ""))
    return None


class VxpShortcut:
    """Middleware answering a VXP call itself, as the ``/vxp`` routes would; anything else
    (and a method those routes refuse: 405 with ``Allow``) goes on to the app.

    Document systems poll ``/vxp`` all day, and :func:`vxp` uses nothing of the layers between
    the app's middleware and a route (exception handlers, the exit stack, route matching): it
    answers every error itself. Installed inside the request-context middleware (correlation id,
    access log, metrics, the last line of defence), which still wraps every VXP call
    (docs/benchmarks.md, round six).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a VXP call, or pass the request on."""
        rest = vxp_path(scope)
        if rest is None:
            await self.app(scope, receive, send)
            return
        scope["path_params"] = {"path": rest}
        response = await vxp(Request(scope, receive, send))
        await response(scope, receive, send)
