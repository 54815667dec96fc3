"""Async client of the VXP-compatible API that speaks exactly like the official Java SDK.

A provincial node uses it as a client of its national node, and tests use it to reproduce SDK
traffic against our own ``/vxp`` routes. Requests are byte-for-byte what SDKVXP 2.0.1 sends
(spec/vxp-api.md §2, §3, §5); responses are read strictly: anything but a complete success envelope
raises, where the SDK would hand back nulls or a fabricated empty list (§6).
"""

from __future__ import annotations

import base64
import binascii
import logging
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Literal, TypeVar

import httpx
import stamina

from connectors.vxp.errors import (
    VxpFailure,
    VxpParamError,
    VxpResponseError,
    VxpTransportError,
)
from connectors.vxp.models import (
    Agency,
    Envelope,
    ReceivedEdoc,
    SentEdoc,
    SynchronizeUnit,
    decode_json_object,
)
from connectors.vxp.protocol import (
    SERVICE_TYPE,
    AckStatus,
    Action,
    MessageType,
    gson_quote,
    gson_string_array,
    hash_file,
)
from connectors.vxp.request import DEFAULT_TIMEOUT, SdkRequestBuilder, vietnam_now
from connectors.vxp.retry import RetryPolicy

log = logging.getLogger(__name__)

DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

_EMPTY_JSON = b"{}"  # §5.4, §5.6, §5.7, §5.9: HttpClient calls that carry a 2-byte body
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True, eq=False)
class VxpReply:
    """The final HTTP answer of one call: status, headers, decoded body, tries it took."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    attempts: int


class VxpClient:
    """One tenant's connection to a VXP endpoint (``http://host:8080/vxp``), SDK-compatible.

    * ``timeout`` applies to every request; ``retry`` bounds the retries (transport errors and
      HTTP 5xx without a FAIL body only, never a FAIL envelope). ``sendEdoc`` is retried as well:
      the node deduplicates it on content (spec Q14), so a retry cannot double a document.
    * The ``timestamp`` header is taken once, at construction, as the SDK does (§3.1); pass
      ``timestamp`` (a wire string or an aware datetime) to pin it, or ``refresh_timestamp=True``
      to stamp every call from ``clock``.
    * ``sticky=True`` keeps one header map per SDK service object (documents, directory) across
      calls, so every key ever passed is re-sent (§3.2). Keys are always sent in the SDK's
      ``HashMap`` order (:mod:`connectors.vxp.sdkmap`).
    * If ``http`` is not given the client owns an ``httpx.AsyncClient`` and closes it in
      :meth:`aclose` / ``async with``.
    """

    def __init__(
        self,
        endpoint: str,
        system_id: str,
        secret: str,
        *,
        http: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        sticky: bool = False,
        retry: RetryPolicy | None = None,
        timestamp: datetime | str | None = None,
        refresh_timestamp: bool = False,
        clock: Callable[[], datetime] = vietnam_now,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._builder = SdkRequestBuilder(
            endpoint,
            system_id,
            secret,
            timeout=timeout,
            sticky=sticky,
            timestamp=timestamp,
            refresh_timestamp=refresh_timestamp,
            clock=clock,
        )
        self._retry = retry if retry is not None else RetryPolicy()
        self._max_response_bytes = max_response_bytes
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=self._builder.timeout)

    # --- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> VxpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it; a borrowed one stays open."""
        if self._owns_http:
            await self._http.aclose()

    def __repr__(self) -> str:
        builder = self._builder
        return f"VxpClient({builder.endpoint!r}, {builder.system_id!r}, sticky={builder.sticky})"

    @property
    def endpoint(self) -> str:
        """The endpoint as configured (used verbatim, §2)."""
        return self._builder.endpoint

    @property
    def system_id(self) -> str:
        """The tenant id sent as ``XroadVnpt-systemid``."""
        return self._builder.system_id

    @property
    def timestamp(self) -> str:
        """The frozen ``XroadVnpt-timestamp`` (the last one sent when refreshing)."""
        return self._builder.timestamp

    # --- wire -------------------------------------------------------------------------------

    def url_for(self, action: Action) -> str:
        """The URL of ``action`` (:meth:`SdkRequestBuilder.url_for`, §2)."""
        return self._builder.url_for(action)

    def build_request(
        self, action: Action, params: Sequence[tuple[str, str]] = (), body: bytes | None = None
    ) -> httpx.Request:
        """The exact request the SDK would send (:meth:`SdkRequestBuilder.build`).

        In sticky mode this updates the stored map, like an SDK call does.
        """
        return self._builder.build(action, params, body)

    async def call(
        self,
        action: Action,
        params: Sequence[tuple[str, str]] | Mapping[str, str] = (),
        *,
        body: bytes = b"",
    ) -> VxpReply:
        """Send one SDK-shaped request, retrying per the policy, and return the final answer.

        Low level: the envelope is not interpreted. ``params`` keep their exact case and order of
        insertion (``docid`` and ``docId`` are different keys, §3.1). Raises
        :class:`VxpTransportError` when every try failed at the transport level.
        """
        pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
        request = self.build_request(action, pairs, body)
        policy = self._retry
        started = time.monotonic()
        try:
            async for attempt in stamina.retry_context(on=_Retryable, **policy.schedule()):
                with attempt:
                    try:
                        reply = await self._send_once(action, request, attempt.num)
                    except httpx.TransportError as exc:
                        failure = _Retryable(f"{type(exc).__name__}: {exc}", error=exc)
                    else:
                        if reply.status_code < 500 or _is_fail(reply.content):
                            return reply
                        failure = _Retryable(f"HTTP {reply.status_code}", reply=reply)
                    wait = attempt.next_wait
                    over = time.monotonic() - started + wait > policy.timeout
                    if attempt.num >= policy.attempts or over:
                        raise _GiveUp(failure, attempt.num)
                    log.warning(
                        "vxp %s attempt %d failed (%s); retrying in %.2fs + jitter",
                        action,
                        attempt.num,
                        failure.reason,
                        wait,
                    )
                    raise failure
        except _GiveUp as given_up:
            failure, tries = given_up.failure, given_up.attempts
        except _Retryable as exhausted:  # stamina's own stop (a clock that ran past the budget)
            failure, tries = exhausted, policy.attempts
        if failure.reply is not None:
            return failure.reply
        raise VxpTransportError(
            f"{action.value}: {failure.reason} (after {tries} attempt(s))",
            action=action.value,
            attempts=tries,
        ) from failure.error

    async def _send_once(self, action: Action, request: httpx.Request, attempt: int) -> VxpReply:
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError:
            raise
        except httpx.HTTPError as exc:  # not a network fault: retrying cannot help
            raise VxpTransportError(f"{action.value}: {exc}", action=action.value) from exc
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self._max_response_bytes:
                    raise VxpResponseError(
                        f"response larger than {self._max_response_bytes} bytes",
                        action=action.value,
                        http_status=response.status_code,
                    )
                chunks.append(chunk)
        except httpx.DecodingError as exc:
            raise VxpResponseError(
                f"undecodable body: {exc}", action=action.value, http_status=response.status_code
            ) from exc
        finally:
            await response.aclose()
        return VxpReply(response.status_code, response.headers, b"".join(chunks), attempt)

    def _success(self, action: Action, reply: VxpReply) -> dict[str, object]:
        """The body of a success envelope; FAIL raises VxpFailure, the rest VxpResponseError."""
        body = _in_context(action, reply, lambda: decode_json_object(reply.content))
        envelope = _in_context(action, reply, lambda: Envelope.from_json(body))
        if envelope.status == "FAIL" or envelope.error_code != "0":
            raise VxpFailure(
                envelope.error_code,
                envelope.error_desc,
                action=action.value,
                status=envelope.status,
                http_status=reply.status_code,
            )
        if not envelope.ok:
            raise _response_error(action, reply, f"unknown status {envelope.status!r}", "status")
        if not 200 <= reply.status_code < 300:
            raise _response_error(action, reply, f"success envelope with HTTP {reply.status_code}")
        return body

    def _rows(
        self, action: Action, reply: VxpReply, build: Callable[[object, int], _T]
    ) -> list[_T]:
        data = self._success(action, reply).get("data")
        if not isinstance(data, list):
            # §5.2: without `data` the SDK's list is null; never read that as "nothing".
            raise _response_error(action, reply, "data missing or not an array", "data")
        rows: list[_T] = []
        for index, item in enumerate(data):
            try:
                rows.append(build(item, index))
            except VxpResponseError as exc:
                raise _response_error(action, reply, exc.message, exc.field) from exc
        return rows

    # --- documents (§5.1-§5.7) --------------------------------------------------------------

    async def send_edoc(
        self,
        data: bytes,
        *,
        from_code: str,
        to: str | Sequence[str] | None = None,
        messagetype: MessageType | str = MessageType.EDOC,
    ) -> str:
        """Send an edXML package (``messagetype`` ``edoc``) or a status package (``status``).

        The body is the file plus CRLF, ``hash-file`` the SDK's unpadded SHA-256 (§4.3, §5.1).
        ``to`` travels as JSON text only if given: a list as ``["a","b"]``, a string as ``"a"``
        (§3.3); otherwise the node reads the recipients from the package. Returns the ``DocId``.
        """
        params = [
            ("servicetype", SERVICE_TYPE),
            ("messagetype", _message_type(messagetype)),
            ("hash-file", hash_file(data)),
            ("from", from_code),
        ]
        if to is not None:
            params.append(("to", _to_json(to)))
        reply = await self.call(Action.SEND_EDOC, params, body=data + b"\r\n")
        doc_id = self._success(Action.SEND_EDOC, reply).get("DocId")
        if isinstance(doc_id, bool) or not isinstance(doc_id, str | int) or doc_id == "":
            raise _response_error(Action.SEND_EDOC, reply, "DocId missing", "DocId")
        return str(doc_id)

    async def get_received_edoc_list(
        self, messagetype: MessageType | str = MessageType.EDOC
    ) -> list[ReceivedEdoc]:
        """Pending documents (``edoc``) or statuses (``status``) addressed to this tenant (§5.2)."""
        params = [("servicetype", SERVICE_TYPE), ("messagetype", _message_type(messagetype))]
        reply = await self.call(Action.GET_RECEIVED_EDOC_LIST, params)
        return self._rows(Action.GET_RECEIVED_EDOC_LIST, reply, ReceivedEdoc.from_json)

    async def get_sent_edoc_list(
        self, doc_id: str | None = None, messagetype: MessageType | str = MessageType.EDOC
    ) -> list[SentEdoc]:
        """Per-recipient delivery rows of what this tenant sent, for one sender ``DocId`` (§5.3)."""
        params = [("servicetype", SERVICE_TYPE), ("messagetype", _message_type(messagetype))]
        if doc_id is not None:
            params.append(("docId", doc_id))
        reply = await self.call(Action.GET_SENT_EDOC_LIST, params)
        return self._rows(Action.GET_SENT_EDOC_LIST, reply, SentEdoc.from_json)

    async def get_edoc(self, doc_id: str) -> bytes:
        """One received package, from the base64 ``data`` of the JSON answer (§5.4)."""
        reply = await self.call(Action.GET_EDOC, [("docId", doc_id)], body=_EMPTY_JSON)
        data = self._success(Action.GET_EDOC, reply).get("data")
        if not isinstance(data, str) or not data:
            raise _response_error(Action.GET_EDOC, reply, "data missing", "data")
        try:
            return _b64decode(data)
        except (binascii.Error, ValueError) as exc:
            message = f"data is not base64: {exc}"
            raise _response_error(Action.GET_EDOC, reply, message, "data") from exc

    async def download_edoc(self, doc_id: str) -> bytes:
        """One received package as the raw body of a GET (§5.5).

        Unlike the SDK, which saves any non-empty body as the document, an empty body, a JSON
        envelope or a non-2xx status raises.
        """
        reply = await self.call(Action.DOWNLOAD_EDOC, [("docId", doc_id)])
        content = reply.content
        if content.lstrip()[:1] == b"{":  # edXML never starts with "{": an error envelope
            self._success(Action.DOWNLOAD_EDOC, reply)
            raise _response_error(Action.DOWNLOAD_EDOC, reply, "JSON instead of a document")
        if not 200 <= reply.status_code < 300:
            raise _response_error(Action.DOWNLOAD_EDOC, reply, f"HTTP {reply.status_code}")
        if not content:
            raise _response_error(Action.DOWNLOAD_EDOC, reply, "empty body")
        return content

    async def update_status(
        self,
        doc_id: str,
        status: AckStatus | Literal["done", "fail"],
        *,
        desc: str | None = None,
        fail_code: str | None = None,
        next_doc_id: str | None = None,
    ) -> Envelope:
        """Acknowledge a received item: ``done`` or ``fail``; it leaves the pending list (§5.6).

        Not sent by the SDK, used between nodes (docs/axes.md): ``desc`` says why it failed; a
        node refusing a pulled item for good sends its coded reason as ``fail_code`` (the
        upstream node fails the copy at once instead of offering it again); a node taking an
        item on sends ``next_doc_id``, its own DocId, and later reports the final receipt with
        :meth:`report_delivery`.
        """
        try:
            value = AckStatus(status).value
        except ValueError as exc:
            raise VxpParamError(f"status must be done or fail: {status!r}", field="status") from exc
        params = [("docId", doc_id), ("status", value)]
        if desc:
            params.append(("desc", ascii_fold(desc)))
        if fail_code:
            params.append(("failCode", ascii_fold(fail_code)))
        if next_doc_id:
            params.append(("nextDocId", next_doc_id))
        reply = await self.call(Action.UPDATE_STATUS, params, body=_EMPTY_JSON)
        return self._envelope(Action.UPDATE_STATUS, reply)

    async def report_delivery(
        self,
        doc_id: str,
        state: Literal["received", "failed"],
        at: datetime,
        *,
        code: str | None = None,
        desc: str | None = None,
    ) -> Envelope:
        """Node-to-node extension (not in the SDK): report what became of item ``doc_id`` this
        node pulled: ``received`` by its final recipient at ``at``, or ``failed`` with ``code``."""
        if at.tzinfo is None:
            raise VxpParamError("the time must carry its offset", field="time")
        params = [("docId", doc_id), ("state", state), ("time", at.isoformat())]
        if code:
            params.append(("failCode", ascii_fold(code)))
        if desc:
            params.append(("desc", ascii_fold(desc)))
        reply = await self.call(Action.REPORT_DELIVERY, params, body=_EMPTY_JSON)
        return self._envelope(Action.REPORT_DELIVERY, reply)

    async def count_receive_edoc(self) -> int:
        """Number of pending documents (§5.7)."""
        return await self._count(Action.COUNT_RECEIVE_EDOC, MessageType.EDOC)

    async def count_receive_status(self) -> int:
        """Number of pending status messages (§5.7)."""
        return await self._count(Action.COUNT_RECEIVE_STATUS, MessageType.STATUS)

    async def _count(self, action: Action, messagetype: MessageType) -> int:
        params = [("servicetype", SERVICE_TYPE), ("messagetype", messagetype.value)]
        reply = await self.call(action, params, body=_EMPTY_JSON)
        count = self._success(action, reply).get("count")
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            return count
        if isinstance(count, str) and count.strip().isascii() and count.strip().isdigit():
            return int(count)
        # §5.7: the SDK silently reports 0 here; a missing count is not "no mail".
        raise _response_error(action, reply, "count missing or not a number", "count")

    # --- directory (§5.8, §5.9) -------------------------------------------------------------

    async def get_agencies_list(self) -> list[Agency]:
        """The agency directory (``id``, ``pid``, ``code``, ``name``, ``mail``, ``oldCode``)."""
        reply = await self.call(Action.GET_AGENCIES_LIST)
        return self._rows(Action.GET_AGENCIES_LIST, reply, Agency.from_json)

    async def get_agencies_list_qd20(self, level: str | int | None = None) -> list[Agency]:
        """The QĐ 20 directory (``id``, ``code``, ``name``, ``mail``, ``code102``), by ``level``."""
        params = [] if level is None else [("level", str(level))]
        reply = await self.call(Action.GET_AGENCIES_LIST_QD20, params)
        return self._rows(Action.GET_AGENCIES_LIST_QD20, reply, Agency.from_json)

    async def get_synchronize_unit(self) -> list[SynchronizeUnit]:
        """Units to synchronise (``getSynchronizeUnit``, §5.8)."""
        reply = await self.call(Action.GET_SYNCHRONIZE_UNIT)
        return self._rows(Action.GET_SYNCHRONIZE_UNIT, reply, SynchronizeUnit.from_json)

    async def register_agency(self, data: str) -> Envelope:
        """Register an agency; ``data`` is sent verbatim as the UTF-8 body (§5.9)."""
        reply = await self.call(Action.REGISTER_AGENCY, body=data.encode("utf-8"))
        return self._envelope(Action.REGISTER_AGENCY, reply)

    async def delete_agency(self, code: str) -> Envelope:
        """Delete an agency by code (parameter ``AgencyCode``, body ``{}``, §5.9)."""
        reply = await self.call(Action.DELETE_AGENCY, [("AgencyCode", code)], body=_EMPTY_JSON)
        return self._envelope(Action.DELETE_AGENCY, reply)

    def _envelope(self, action: Action, reply: VxpReply) -> Envelope:
        return Envelope.from_json(self._success(action, reply))


# --- helpers ----------------------------------------------------------------------------------


def ascii_fold(text: str, limit: int = 500) -> str:
    """``text`` as printable ASCII for a header value: accents dropped (``đ`` → ``d``)."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    kept = "".join(c for c in folded if 32 <= ord(c) < 127)
    return kept[:limit]


def _message_type(value: MessageType | str) -> str:
    try:
        return MessageType(value).value
    except ValueError as exc:
        raise VxpParamError(
            f"messagetype must be edoc or status: {value!r}", field="messagetype"
        ) from exc


def _to_json(to: str | Sequence[str]) -> str:
    # §3.3: the SDK stores `to` as its JSON text, a string keeps its quotes.
    if isinstance(to, str):
        if not to.strip():
            raise VxpParamError("to is empty", field="to")
        return gson_quote(to)
    items = list(to)
    if not items or any(not isinstance(item, str) or not item.strip() for item in items):
        raise VxpParamError("to must be a non-empty list of agency codes", field="to")
    return gson_string_array(items)


def _b64decode(text: str) -> bytes:
    # commons-codec Base64 accepts MIME line breaks and the URL-safe alphabet (§5.4); anything
    # else is refused rather than decoded into garbage.
    compact = "".join(text.split()).translate(str.maketrans("-_", "+/"))
    compact += "=" * (-len(compact) % 4)
    return base64.b64decode(compact, validate=True)


class _Retryable(Exception):
    """A try that failed in a way a retry may mend: a transport error, or a 5xx with no FAIL."""

    def __init__(
        self,
        reason: str,
        *,
        reply: VxpReply | None = None,
        error: httpx.TransportError | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reply = reply
        self.error = error


class _GiveUp(Exception):
    """No try is left (attempts or time budget): the last failure stands."""

    def __init__(self, failure: _Retryable, attempts: int) -> None:
        super().__init__(failure.reason)
        self.failure = failure
        self.attempts = attempts


def _is_fail(content: bytes) -> bool:
    """True if ``content`` is a complete FAIL envelope: a server answer, not an outage."""
    try:
        envelope = Envelope.from_json(decode_json_object(content))
    except VxpResponseError:
        return False
    return envelope.status == "FAIL"


def _response_error(
    action: Action, reply: VxpReply, message: str, field: str | None = None
) -> VxpResponseError:
    return VxpResponseError(
        f"{action.value}: {message}",
        action=action.value,
        http_status=reply.status_code,
        field=field,
    )


def _in_context(action: Action, reply: VxpReply, read: Callable[[], _T]) -> _T:
    """Run ``read``; a VxpResponseError from it gets the action and HTTP status attached."""
    try:
        return read()
    except VxpResponseError as exc:
        raise _response_error(action, reply, exc.message, exc.field) from exc
