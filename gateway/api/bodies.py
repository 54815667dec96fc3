"""Reading request bodies with a size limit, for both the VXP and the native API."""

from __future__ import annotations

from starlette.requests import Request

from gateway.core.errors import ExchangeError


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with ``EDXML_TOO_LARGE`` as soon as it exceeds ``limit``.

    A declared ``Content-Length`` over the limit is refused before anything is read; otherwise
    reading stops at the first chunk past the limit, so never more than the limit is held.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ExchangeError(
            f"body of {declared} bytes exceeds the limit of {limit}",
            code="EDXML_TOO_LARGE",
            field="body",
        )
    buffer = bytearray()
    async for chunk in request.stream():
        buffer += chunk
        if len(buffer) > limit:
            raise ExchangeError(
                f"body exceeds the limit of {limit} bytes", code="EDXML_TOO_LARGE", field="body"
            )
    return bytes(buffer)
