"""Typed results of VXP calls: the response envelope and the rows of each list (spec §5).

Rows keep the exact JSON names in their docstrings; fields a row carries beyond those the SDK
reads (the node adds some to ``getSentEdocList``) stay available in ``extra``. Numbers and
booleans are accepted as JSON numbers, booleans or numeric strings, as Gson converts them (§5);
a field present as JSON ``null`` counts as absent (the SDK would lose the whole list instead).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from connectors.vxp.errors import VxpResponseError

_EMPTY: Mapping[str, object] = MappingProxyType({})
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _no_extra() -> Mapping[str, object]:
    return _EMPTY


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def decode_json_object(content: bytes) -> dict[str, object]:
    """Decode a response body as one UTF-8 JSON object (a BOM is tolerated).

    Raises :class:`VxpResponseError` for anything else: an HTML page or ``Internal Server Error``
    text must never read as an empty success (spec §5.2, Q10).
    """
    try:
        parsed = json.loads(content.decode("utf-8-sig"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise VxpResponseError(f"body is not UTF-8 JSON: {_preview(content)}") from exc
    if not isinstance(parsed, dict):
        raise VxpResponseError(f"body is not a JSON object: {_preview(content)}")
    return parsed


def _preview(content: bytes, limit: int = 120) -> str:
    text = content[:limit].decode("utf-8", "replace")
    return repr(text + ("..." if len(content) > limit else ""))


def _scalar_text(value: object, name: str) -> str:
    # Gson getAsString(): strings as they are, numbers and booleans as their JSON text.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    raise VxpResponseError(f"{name} is not a string, number or boolean", field=name)


@dataclass(frozen=True, slots=True)
class Envelope:
    """``status``, ``ErrorCode`` (always as a string) and ``ErrorDesc`` of every response (§5)."""

    status: str
    error_code: str
    error_desc: str

    @property
    def ok(self) -> bool:
        """True for ``status`` ``OK`` with ``ErrorCode`` ``0``, the only success."""
        return self.status == "OK" and self.error_code == "0"

    @classmethod
    def from_json(cls, body: Mapping[str, object]) -> Envelope:
        """Read the three envelope fields; all must be present and non-null (§5, §6)."""
        values: list[str] = []
        for name in ("status", "ErrorCode", "ErrorDesc"):
            value = body.get(name)
            if value is None:
                raise VxpResponseError(f"incomplete envelope: {name} missing", field=name)
            values.append(_scalar_text(value, name))
        return cls(*values)


class _Row:
    """Reads one JSON row, remembering which members were used so the rest become ``extra``."""

    def __init__(self, item: object, index: int) -> None:
        if not isinstance(item, dict):
            raise VxpResponseError(f"data[{index}] is not a JSON object", field=f"data[{index}]")
        self._item: dict[str, object] = item
        self._used: set[str] = set()
        self._index = index

    def _get(self, name: str) -> object:
        self._used.add(name)
        return self._item.get(name)

    def _where(self, name: str) -> str:
        return f"data[{self._index}].{name}"

    def text(self, name: str) -> str | None:
        value = self._get(name)
        return None if value is None else _scalar_text(value, self._where(name))

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise VxpResponseError(f"{self._where(name)} missing", field=self._where(name))
        return value

    def integer(self, name: str) -> int | None:
        value = self._get(name)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value.strip())
        raise VxpResponseError(f"{self._where(name)} is not an integer", field=self._where(name))

    def boolean(self, name: str) -> bool | None:
        value = self._get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise VxpResponseError(f"{self._where(name)} is not a boolean", field=self._where(name))

    def extra(self) -> Mapping[str, object]:
        rest = {key: value for key, value in self._item.items() if key not in self._used}
        return MappingProxyType(rest) if rest else _EMPTY


@dataclass(frozen=True, slots=True)
class ReceivedEdoc:
    """One pending item of ``getReceivedEdocList`` (§5.2): JSON ``docId``, ``serviceType``,
    ``messageType``, ``created_time``, ``updated_time``, ``from``, ``to``, ``status``,
    ``status_desc``. ``doc_id`` is what :meth:`VxpClient.get_edoc` and ``update_status`` take."""

    doc_id: str
    service_type: str | None = None
    message_type: str | None = None
    created_time: str | None = None
    updated_time: str | None = None
    from_code: str | None = None
    to_code: str | None = None
    status: str | None = None
    status_desc: str | None = None
    extra: Mapping[str, object] = field(default_factory=_no_extra, hash=False)

    @classmethod
    def from_json(cls, item: object, index: int = 0) -> ReceivedEdoc:
        """Build from one ``data`` item; ``docId`` is required."""
        row = _Row(item, index)
        return cls(
            doc_id=row.required_text("docId"),
            service_type=row.text("serviceType"),
            message_type=row.text("messageType"),
            created_time=row.text("created_time"),
            updated_time=row.text("updated_time"),
            from_code=row.text("from"),
            to_code=row.text("to"),
            status=row.text("status"),
            status_desc=row.text("status_desc"),
            extra=row.extra(),
        )


@dataclass(frozen=True, slots=True)
class SentEdoc:
    """One per-recipient row of ``getSentEdocList`` (§5.3): JSON ``serviceType``, ``messageType``,
    ``senderDocId``, ``receiverDocId``, ``fromCode``, ``toCode``, ``title``, ``notation``,
    ``sentTime``, ``receivedTime``, ``sendStatus``, ``sendStatusDesc``, ``receiveStatus``,
    ``receiveStatusDesc``; anything else (the node's additions) in ``extra``."""

    service_type: str | None = None
    message_type: str | None = None
    sender_doc_id: str | None = None
    receiver_doc_id: str | None = None
    from_code: str | None = None
    to_code: str | None = None
    title: str | None = None
    notation: str | None = None
    sent_time: str | None = None
    received_time: str | None = None
    send_status: str | None = None
    send_status_desc: str | None = None
    receive_status: str | None = None
    receive_status_desc: str | None = None
    extra: Mapping[str, object] = field(default_factory=_no_extra, hash=False)

    @classmethod
    def from_json(cls, item: object, index: int = 0) -> SentEdoc:
        """Build from one ``data`` item; every field is optional."""
        row = _Row(item, index)
        return cls(
            service_type=row.text("serviceType"),
            message_type=row.text("messageType"),
            sender_doc_id=row.text("senderDocId"),
            receiver_doc_id=row.text("receiverDocId"),
            from_code=row.text("fromCode"),
            to_code=row.text("toCode"),
            title=row.text("title"),
            notation=row.text("notation"),
            sent_time=row.text("sentTime"),
            received_time=row.text("receivedTime"),
            send_status=row.text("sendStatus"),
            send_status_desc=row.text("sendStatusDesc"),
            receive_status=row.text("receiveStatus"),
            receive_status_desc=row.text("receiveStatusDesc"),
            extra=row.extra(),
        )


@dataclass(frozen=True, slots=True)
class Agency:
    """One agency of ``getAgenciesList`` (JSON ``id``, ``pid``, ``code``, ``name``, ``mail``,
    ``oldCode``) or ``getAgenciesListQD20`` (``id``, ``code``, ``name``, ``mail``, ``code102``),
    spec §5.8. Fields an operation does not carry are ``None``."""

    id: str | None = None
    pid: str | None = None
    code: str | None = None
    name: str | None = None
    mail: str | None = None
    old_code: str | None = None
    code102: str | None = None
    extra: Mapping[str, object] = field(default_factory=_no_extra, hash=False)

    @classmethod
    def from_json(cls, item: object, index: int = 0) -> Agency:
        """Build from one ``data`` item; every field is optional."""
        row = _Row(item, index)
        return cls(
            id=row.text("id"),
            pid=row.text("pid"),
            code=row.text("code"),
            name=row.text("name"),
            mail=row.text("mail"),
            old_code=row.text("oldCode"),
            code102=row.text("code102"),
            extra=row.extra(),
        )


@dataclass(frozen=True, slots=True)
class SynchronizeUnit:
    """One unit of ``getSynchronizeUnit`` (§5.8): JSON ``id``, ``pid``, ``code``, ``name``,
    ``mail``, ``version`` (int), ``centerCode``, ``deleted`` (bool), ``modifyDate``,
    ``isAgency`` (bool)."""

    id: str | None = None
    pid: str | None = None
    code: str | None = None
    name: str | None = None
    mail: str | None = None
    version: int | None = None
    center_code: str | None = None
    deleted: bool | None = None
    modify_date: str | None = None
    is_agency: bool | None = None
    extra: Mapping[str, object] = field(default_factory=_no_extra, hash=False)

    @classmethod
    def from_json(cls, item: object, index: int = 0) -> SynchronizeUnit:
        """Build from one ``data`` item; every field is optional."""
        row = _Row(item, index)
        return cls(
            id=row.text("id"),
            pid=row.text("pid"),
            code=row.text("code"),
            name=row.text("name"),
            mail=row.text("mail"),
            version=row.integer("version"),
            center_code=row.text("centerCode"),
            deleted=row.boolean("deleted"),
            modify_date=row.text("modifyDate"),
            is_agency=row.boolean("isAgency"),
            extra=row.extra(),
        )
