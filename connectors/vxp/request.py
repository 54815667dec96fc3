"""Build the HTTP requests the official SDK sends, header for header (spec §2, §3, §5).

:class:`SdkRequestBuilder` holds what an SDK tenant holds: endpoint, system id, secret, the
timestamp frozen at construction and, in sticky mode, one header map per SDK service object. It
does no I/O; :class:`connectors.vxp.client.VxpClient` sends what it builds, and a test can build
SDK-identical requests for any transport (an ASGI app, a raw socket) with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from urllib.parse import urlsplit

import httpx

from connectors.vxp.errors import VxpParamError
from connectors.vxp.protocol import (
    CONTENT_TYPE_FILE,
    CONTENT_TYPE_JSON,
    HASH_HEADER,
    HEADER_PREFIX,
    SDK_VERSION,
    SIGN_HEADER,
    SIGN_HEADER_KEY,
    USER_AGENT,
    VERSION_HEADER,
    Action,
    build_sign_header,
    format_timestamp,
    parse_timestamp,
    sign,
)
from connectors.vxp.sdkmap import SdkHeaderMap
from edxml import VN_TZ

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

# §1: one KnobstickServiceImp (documents) and one AgencyServiceImp (directory) per tenant, each
# with its own sticky map. Which object serves getSynchronizeUnit is INF (it is a directory call).
AGENCY_ACTIONS = frozenset(
    {
        Action.GET_AGENCIES_LIST,
        Action.GET_AGENCIES_LIST_QD20,
        Action.GET_SYNCHRONIZE_UNIT,
        Action.REGISTER_AGENCY,
        Action.DELETE_AGENCY,
    }
)
# RFC 9110 token: what may stand in a header name.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# A header value may not carry C0 controls (TAB aside) or DEL: the HTTP layer would refuse them,
# and CR/LF would inject headers.
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def vietnam_now() -> datetime:
    """The current time, aware, in +07:00: the default clock of the SDK timestamp."""
    return datetime.now(VN_TZ)


def check_header_param(key: str, value: str) -> None:
    """Refuse a parameter that cannot travel as ``XroadVnpt-<key>: <value>`` (VXP_PARAM)."""
    if not _TOKEN.fullmatch(key):
        raise VxpParamError(f"not a header name: {key!r}", field=key)
    if _BAD_VALUE.search(value):
        raise VxpParamError(f"control character in the value of {key!r}", field=key)


class SdkRequestBuilder:
    """Makes the request an SDK tenant would send; see :class:`VxpClient` for the options."""

    def __init__(
        self,
        endpoint: str,
        system_id: str,
        secret: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        sticky: bool = False,
        timestamp: datetime | str | None = None,
        refresh_timestamp: bool = False,
        clock: Callable[[], datetime] = vietnam_now,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"endpoint must be an http(s) URL: {endpoint!r}")
        if parts.query or parts.fragment:
            raise ValueError("endpoint must not carry a query or fragment (§2: never a query)")
        if not system_id or not secret:
            raise ValueError("system_id and secret must not be empty (§1)")
        if timestamp is not None and refresh_timestamp:
            raise ValueError("pass either timestamp or refresh_timestamp, not both")
        check_header_param("systemid", system_id)
        self.endpoint = endpoint
        self.system_id = system_id
        self.sticky = sticky
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._root_endpoint = parts.path == "/"
        self._secret = secret
        self._refresh = refresh_timestamp
        self._clock = clock
        if isinstance(timestamp, str):
            parse_timestamp(timestamp)  # refuse what no SDK could send
            self.timestamp = timestamp
        else:
            self.timestamp = format_timestamp(timestamp if timestamp is not None else clock())
        self._maps: dict[bool, SdkHeaderMap] = {}

    def __repr__(self) -> str:
        return f"SdkRequestBuilder({self.endpoint!r}, {self.system_id!r}, sticky={self.sticky})"

    def url_for(self, action: Action) -> str:
        """``endpoint + "/" + action`` verbatim (§2), with the SDK's one normalisation: Apache
        HttpClient turns ``http://host/`` + ``/getEdoc`` into ``/getEdoc``; ``sendEdoc``
        (HttpURLConnection) keeps ``//sendEdoc``."""
        if self._root_endpoint and action is not Action.SEND_EDOC:
            return self.endpoint + action.value
        return f"{self.endpoint}/{action.value}"

    def header_map(self, action: Action, params: Sequence[tuple[str, str]]) -> SdkHeaderMap:
        """The SDK's map for this call (in sticky mode the stored one, updated in place).

        Parameters are checked before anything is stored, so a refused call leaves no trace.
        """
        for key, value in params:
            check_header_param(key, value)
        group = action in AGENCY_ACTIONS
        if self.sticky and group in self._maps:
            header_map = self._maps[group]
        else:
            # VnptService(): systemid and timestamp are put by the constructor (§3.1).
            header_map = SdkHeaderMap([("systemid", self.system_id), ("timestamp", self.timestamp)])
            if self.sticky:
                self._maps[group] = header_map
        if self._refresh:
            self.timestamp = format_timestamp(self._clock())
            header_map.put("timestamp", self.timestamp)
        # §3.2: each call first sets Content-Type, then puts the caller's keys; nothing is removed.
        content_type = CONTENT_TYPE_FILE if action is Action.SEND_EDOC else CONTENT_TYPE_JSON
        header_map.put("Content-Type", content_type)
        for key, value in params:
            header_map.put(key, value)
        return header_map

    def build(
        self, action: Action, params: Sequence[tuple[str, str]] = (), body: bytes | None = None
    ) -> httpx.Request:
        """The exact request the SDK sends for ``action`` with these parameters and body.

        Values go out as UTF-8 (what the SDK sends to an endpoint without an explicit port and
        for ``sendEdoc``, §3.4). ``body`` is ignored for the GET of ``downloadEdoc``.
        """
        items = self.header_map(action, params).items()
        raw = build_sign_header(items)
        content_type = dict(items)["Content-Type"]
        headers: list[tuple[bytes, bytes]] = [(b"Content-Type", content_type.encode("ascii"))]
        headers += [((HEADER_PREFIX + key).encode("ascii"), value.encode()) for key, value in items]
        headers += [
            (SIGN_HEADER_KEY.encode(), ";".join(key for key, _ in items).encode()),
            (SIGN_HEADER.encode(), raw),
            (HASH_HEADER.encode(), sign(self._secret, raw).encode("ascii")),
            (b"User-Agent", USER_AGENT.encode()),
            (VERSION_HEADER.encode(), SDK_VERSION.encode()),
        ]
        if action is Action.SEND_EDOC:
            # §5.1: HttpURLConnection defaults; no Accept-Encoding, no Expect.
            headers += [
                (b"Cache-Control", b"no-cache"),
                (b"Pragma", b"no-cache"),
                (b"Accept", b"text/html, image/gif, image/jpeg, */*; q=0.2"),
                (b"Connection", b"keep-alive"),
            ]
        else:
            # §2: Apache HttpClient. Its `Expect: 100-continue` (Q8) is not emulated: httpx
            # does not wait for 100 Continue, so announcing it would be a lie.
            headers += [(b"Connection", b"keep-alive"), (b"Accept-Encoding", b"gzip,deflate")]
        return httpx.Request(
            action.method,
            self.url_for(action),
            headers=headers,
            content=body if action.method == "POST" else None,
            extensions={"timeout": self.timeout.as_dict()},
        )
