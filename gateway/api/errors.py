"""The one place where errors become HTTP responses of the native API.

Every rejection carries the body of :class:`schemas.errors.ErrorBody` with a stable code:

- ``REQUEST_INVALID`` (422): a parameter or body failed validation; ``field`` names it.
- ``REQUEST_UNKNOWN_PARAMETER`` (422): a query parameter the route does not take
  (:mod:`gateway.api.query`); ``field`` names it.
- ``NOT_FOUND`` (404), ``METHOD_NOT_ALLOWED`` (405), ...: HTTP errors, unknown routes included.
- the package's own code for the coded errors of the libraries, e.g. ``AGENCY_UNKNOWN`` (404).
- the exchange's codes (:mod:`gateway.core.errors`): ``AUTH_*`` 401 (with ``WWW-Authenticate:
  Bearer``), ``SENDER_NOT_GRANTED`` and other refusals 403, ``DOCUMENT_UNKNOWN`` 404, a refused
  package 422 with every validation ``findings`` entry, refused recipients 422 with their
  ``codes``, ``EDXML_TOO_LARGE`` 413, ``STORE_UNAVAILABLE`` 503.
- ``NOT_READY`` (503): the node is starting or stopping.
- ``INTERNAL`` (500): anything unexpected; the response says nothing of the cause, the log line
  (with the same request id) says everything.

The status of every code is its row in :mod:`gateway.api.error_codes` (docs/errors.md lists them);
the VXP-compatible API reads its ``ErrorCode`` values from the same rows in its own module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ExceptionHandler

from gateway.api.error_codes import http_status
from gateway.core.errors import ExchangeError, PackageRefused, RecipientRefused
from identifiers import IdentifierError
from schemas.errors import ErrorBody, ErrorDetail, PackageFinding

#: Codes of plain HTTP errors (unknown route, wrong method, ...); others are ``HTTP_<status>``.
HTTP_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "TOO_MANY_REQUESTS",
    503: "UNAVAILABLE",
}
# Where a request parameter came from, as FastAPI puts it first in an error's ``loc``.
_SOURCES = {
    "path": "path parameter",
    "query": "query parameter",
    "header": "header",
    "body": "body",
}


class ApiError(Exception):
    """An error of the API itself, with its HTTP status and stable code."""

    def __init__(self, status_code: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.field = field


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    request_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    findings: list[PackageFinding] | None = None,
    codes: list[str] | None = None,
) -> JSONResponse:
    """A JSON response with the coded error body."""
    detail = ErrorDetail(
        code=code,
        message=message,
        field=field,
        request_id=request_id,
        findings=findings,
        codes=codes,
    )
    return JSONResponse(
        ErrorBody(error=detail).model_dump(mode="json"), status_code=status_code, headers=headers
    )


def internal_error_response(request_id: str | None) -> JSONResponse:
    """The 500 response for an unexpected exception: it names no internals."""
    return error_response(
        500,
        "INTERNAL",
        "the node failed to process the request; quote the request id to the operator",
        request_id=request_id,
    )


def _request_id(request: Request) -> str | None:
    value = getattr(request.state, "request_id", None)
    return value if isinstance(value, str) else None


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    code = HTTP_CODES.get(exc.status_code, f"HTTP_{exc.status_code}")
    # Routes raise ApiError or coded library errors; a bare 404/405 comes from the router.
    if exc.status_code == 404:
        message = f"nothing is served at {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    return error_response(
        exc.status_code, code, message, request_id=_request_id(request), headers=exc.headers
    )


def _field(loc: tuple[Any, ...]) -> tuple[str | None, str | None]:
    """Split an error location into (source, dotted field name)."""
    parts = list(loc)
    source = parts.pop(0) if parts and parts[0] in _SOURCES else None
    name = ".".join(str(part) for part in parts) or None
    return source, name


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "the request is not valid"}
    source, field = _field(tuple(first.get("loc", ())))
    if source and field:
        where = f"{_SOURCES[source]} {field!r}"
    else:
        where = _SOURCES[source] if source else (field or "request")
    message = f"{where}: {first.get('msg', 'invalid')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem(s))"
    return error_response(
        422, "REQUEST_INVALID", message, field=field, request_id=_request_id(request)
    )


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(
        exc.status_code, exc.code, exc.message, field=exc.field, request_id=_request_id(request)
    )


async def _identifier_error(request: Request, exc: IdentifierError) -> JSONResponse:
    status = http_status(exc.code, default=http_status(type(exc).code))
    return error_response(
        status, exc.code, exc.message, field=exc.field, request_id=_request_id(request)
    )


def exchange_status(exc: ExchangeError) -> int:
    """The HTTP status of an exchange error: its code's row in the registry.

    A code with no row (a bug tests/test_error_codes.py reports) answers like its class's own
    code, e.g. 404 for a :class:`NotFound`, so that a missing row never turns a refusal into a
    success-looking or server-error status.
    """
    return http_status(exc.code, default=http_status(type(exc).code))


def _findings(exc: ExchangeError) -> list[PackageFinding] | None:
    if not isinstance(exc, PackageRefused) or not exc.findings:
        return None
    return [
        PackageFinding(
            code=str(item.get("code", exc.code)),
            severity=str(item.get("severity", "error")),
            path=str(item.get("path", "")),
            message=str(item.get("message", "")),
        )
        for item in exc.findings
    ]


async def _exchange_error(request: Request, exc: ExchangeError) -> JSONResponse:
    status = exchange_status(exc)
    headers = None
    if status == 401:
        # RFC 6750 §3: a missing credential gets the bare challenge, a bad one names the error.
        missing = exc.code in ("AUTH_TOKEN_MISSING", "AUTH_REQUIRED")
        headers = {"WWW-Authenticate": "Bearer" if missing else 'Bearer error="invalid_token"'}
    return error_response(
        status,
        exc.code,
        exc.message,
        field=exc.field,
        request_id=_request_id(request),
        headers=headers,
        findings=_findings(exc),
        codes=list(exc.codes) if isinstance(exc, RecipientRefused) else None,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn known errors into coded responses.

    Unexpected exceptions are turned into :func:`internal_error_response` by the request-context
    middleware, which also logs them with the request id.
    """
    handlers: dict[type[Exception], Any] = {
        HTTPException: _http_error,
        RequestValidationError: _validation_error,
        ApiError: _api_error,
        IdentifierError: _identifier_error,
        ExchangeError: _exchange_error,
    }
    for exc_class, handler in handlers.items():
        # Starlette types handlers as taking any Exception; each is called for its class only.
        app.add_exception_handler(exc_class, cast(ExceptionHandler, handler))


#: OpenAPI description of the error responses, for ``responses=`` of routes and routers.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody,
        "description": "REQUEST_INVALID: a parameter is not valid; REQUEST_UNKNOWN_PARAMETER: "
        "a query parameter the route does not take (`field` names either).",
    },
    500: {"model": ErrorBody, "description": "INTERNAL: unexpected failure (see the logs)."},
}
