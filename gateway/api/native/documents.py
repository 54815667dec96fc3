"""``/api/v1/documents``: send a package, and follow what became of a document the caller sent."""

from __future__ import annotations

import re
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from gateway.api import metrics
from gateway.api.bodies import read_body
from gateway.api.dependencies import CallerDep, RuntimeDep, bearer_scheme, get_caller
from gateway.api.errors import ApiError
from gateway.api.native.views import AUTH_RESPONSES, UNKNOWN_RESPONSE, message_type, trace_report
from gateway.core.accept import SendRequest
from gateway.core.errors import BadRequest, ExchangeError
from gateway.core.model import System
from gateway.logging import get_logger
from schemas.errors import ErrorBody
from schemas.exchange import DocumentTraceReport, MessageKind, SendResult

T = TypeVar("T")
log = get_logger(__name__)
router = APIRouter(prefix="/documents", tags=["exchange"], responses=AUTH_RESPONSES)

API = "native"
#: Media types a package may be sent as (a missing Content-Type counts as octet-stream).
PACKAGE_TYPES = frozenset({"application/xml", "text/xml", "application/octet-stream"})
#: Most recipients one send may name with ``to``; longest agency code accepted.
MAX_RECIPIENTS = 500
MAX_CODE_LENGTH = 100
_TO_SEPARATORS = re.compile(r"[,;]")
_BINARY = {"schema": {"type": "string", "format": "binary"}}
IdPath = Annotated[
    str, Path(min_length=1, max_length=100, description="The document id `send` answered.")
]


async def _send_caller(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> System:
    """The caller; a refused authentication counts as a refused send in the metrics."""
    try:
        return await get_caller(request, runtime, credentials)
    except ExchangeError as exc:
        metrics.record_rejected(API, exc.code)
        raise


async def read_package(request: Request, limit: int) -> bytes:
    """The request body (at most ``limit`` bytes, ``EDXML_TOO_LARGE``), never empty."""
    body = await read_body(request, limit)
    if not body.strip():
        raise ExchangeError("the body is empty", code="PACKAGE_EMPTY", field="body")
    return body


def _recipients(values: list[str] | None) -> list[str] | None:
    """``to`` values, split on ``,``/``;``, stripped and de-duplicated in order."""
    if not values:
        return None
    codes: list[str] = []
    for value in values:
        for piece in _TO_SEPARATORS.split(value):
            code = piece.strip()
            if not code or len(code) > MAX_CODE_LENGTH:
                raise BadRequest(
                    f"each recipient must be an agency code of 1 to {MAX_CODE_LENGTH} characters",
                    field="to",
                )
            codes.append(code)
    codes = list(dict.fromkeys(codes))
    if len(codes) > MAX_RECIPIENTS:
        raise BadRequest(f"at most {MAX_RECIPIENTS} recipients per send", field="to")
    return codes


def _one_of(name: str, query: T | None, header: T | None, header_name: str) -> T | None:
    if query is not None and header is not None and query != header:
        raise BadRequest(f"query {name!r} and header {header_name} disagree", field=name)
    return query if query is not None else header


def _check_media_type(request: Request) -> None:
    content_type = request.headers.get("content-type")
    if content_type is None:
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in PACKAGE_TYPES:
        raise ApiError(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"send the package as application/xml or application/octet-stream, not {media_type}",
            field="Content-Type",
        )


@router.post(
    "",
    status_code=201,
    response_model=SendResult,
    summary="Send a package",
    responses={
        200: {"model": SendResult, "description": "The same package was sent before: its id."},
        403: {"model": ErrorBody, "description": "SENDER_NOT_GRANTED: `from` is not the caller's."},
        404: {"model": ErrorBody, "description": "STATUS_UNKNOWN_DOCUMENT (status packages)."},
        413: {"model": ErrorBody, "description": "EDXML_TOO_LARGE: over max_package_bytes."},
        415: {"model": ErrorBody, "description": "UNSUPPORTED_MEDIA_TYPE."},
        422: {
            "model": ErrorBody,
            "description": "The package or a recipient is refused (EDXML_*, STATUS_*, "
            "PACKAGE_*, SIGNATURE_INVALID with `findings`; RECIPIENT_* with `codes`) or a "
            "parameter is invalid (REQUEST_INVALID, REQUEST_PARAMETER).",
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The edXML package, as raw bytes (UTF-8 XML).",
            "content": {"application/xml": _BINARY, "application/octet-stream": _BINARY},
        }
    },
)
async def send_document(
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    caller: Annotated[System, Depends(_send_caller)],
    messagetype: Annotated[
        MessageKind | None,
        Query(description="edoc (default) or status; or the X-Message-Type header."),
    ] = None,
    to: Annotated[
        list[str] | None,
        Query(
            description="Recipients replacing the package's To (statuses: ResponseFor); "
            "repeat the parameter or separate codes with commas.",
            examples=[["000.00.15.H51"]],
        ),
    ] = None,
    sender: Annotated[
        str | None,
        Query(
            alias="from",
            max_length=MAX_CODE_LENGTH,
            description="The sending agency (must be granted to the caller); or X-From.",
        ),
    ] = None,
    x_message_type: Annotated[
        MessageKind | None,
        Header(alias="X-Message-Type", description="Same as `messagetype` (either may be given)."),
    ] = None,
    x_from: Annotated[
        str | None,
        Header(
            alias="X-From",
            max_length=MAX_CODE_LENGTH,
            description="Same as `from` (either may be given).",
        ),
    ] = None,
) -> SendResult:
    """Accept an edXML document or status package from the caller.

    The package is checked (size, hardened parse, validation, sender grant, signature policy,
    recipients) and stored with one copy per recipient before the answer: **201** with the new
    document id, or **200** with `created: false` and the original id when the same package (same
    bytes, or the same edXML DocumentId from the same sender) was sent before, so a client may
    retry a send whose answer it lost.
    """
    try:
        _check_media_type(request)
        kind = _one_of("messagetype", messagetype, x_message_type, "X-Message-Type")
        from_code = _one_of("from", sender, x_from, "X-From")
        send = SendRequest(
            data=await read_package(request, runtime.settings.max_package_bytes),
            messagetype=message_type(kind or MessageKind.EDOC),
            from_code=from_code,
            to=_recipients(to),
            request_id=getattr(request.state, "request_id", None),
        )
        outcome = await runtime.exchange.send(caller, send)
    except (ExchangeError, ApiError) as exc:
        metrics.record_rejected(API, exc.code, system=caller.system_id)
        raise
    metrics.record_accepted(
        API, send.messagetype.value, created=outcome.created, system=caller.system_id
    )
    log.info(
        "native send accepted",
        system_id=caller.system_id,
        doc_id=outcome.document_id,
        created=outcome.created,
    )
    if outcome.created:
        response.headers["Location"] = f"{request.url.path}/{outcome.document_id}/trace"
    else:
        response.status_code = 200
    return SendResult(document_id=outcome.document_id, created=outcome.created)


@router.get(
    "/{document_id}/trace",
    response_model=DocumentTraceReport,
    summary="Trace a document the caller sent",
    responses=UNKNOWN_RESPONSE,
)
async def trace_document(
    runtime: RuntimeDep,
    caller: CallerDep,
    document_id: IdPath,
) -> DocumentTraceReport:
    """Everything the node knows about one document the caller sent.

    The document's facts (sender, number/notation, dates, priority, business type, related and
    duplicate documents, signature verdict, validation notes, attachments) and, per recipient,
    the requested and effective code (succession), the copy's state and timestamps, every event
    of its history and every status reported about it. `legal` holds the legal measures
    (send deadline and due time of the document; legal receipt time, receipt-notice deadline and
    verdict, overdue flag and urgent hand-over minutes of each copy, docs/calendar.md), the
    verdicts still awaiting a status as of the answer. Only the sending system may read it;
    anyone else gets 404 `DOCUMENT_UNKNOWN`.
    """
    return trace_report(await runtime.exchange.trace(caller, document_id), runtime.clock.now())
