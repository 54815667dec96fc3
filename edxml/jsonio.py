"""JSON form of the model, for the CLI (``show``, ``build``) and for APIs.

Field names are the model's (``from_`` is written ``from``); enumerations are written as their wire
values; dates as ``YYYY-MM-DD`` and timestamps as ISO 8601 with ``+07:00``. A value the reader kept
raw (not a valid date or enumeration) is written as its wire text. Attachment content is never
written; for building, an attachment gives ``path`` (a file) or ``base64``.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from edxml.errors import BuildError
from edxml.model import (
    VN_TZ,
    Attachment,
    DocumentPackage,
    ManifestReference,
    Package,
    StatusPackage,
)
from edxml.payload import Payload
from edxml.reader import parse_date, parse_timestamp

_RENAMES = {"from_": "from"}


def _key(name: str) -> str:
    return _RENAMES.get(name, name)


def to_data(value: Any) -> Any:
    """Convert a model object (or part of one) to JSON-ready data."""
    if isinstance(value, Attachment):
        return {
            "content_id": value.content_id,
            "attachment_name": value.attachment_name,
            "description": value.description,
            "content_type": value.content_type,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            _key(f.name): to_data(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [to_data(item) for item in value]
    return value


def _date(text: Any) -> date | str | None:
    if not isinstance(text, str):
        return None if text is None else str(text)
    try:
        return date.fromisoformat(text)
    except ValueError:
        return parse_date(text)


def _timestamp(text: Any) -> datetime | str | None:
    if not isinstance(text, str):
        return None if text is None else str(text)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return parse_timestamp(text)
    return value if value.tzinfo else value.replace(tzinfo=VN_TZ)


def _convert(hint: Any, value: Any, path: str) -> Any:
    if value is None:
        return None
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if datetime in args:
            return _timestamp(value)
        if date in args:
            return _date(value)
        enums = [a for a in args if isinstance(a, type) and issubclass(a, Enum)]
        if enums:
            try:
                return enums[0](value)
            except ValueError:
                return str(value)
        if len(args) == 1:
            return _convert(args[0], value, path)
        return value
    if origin is list:
        if not isinstance(value, list):
            raise BuildError("expected a list", field=path)
        return [_convert(args[0], item, f"{path}[{i}]") for i, item in enumerate(value, 1)]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _object(hint, value, path)
    if hint is str:
        if isinstance(value, (dict, list)):
            raise BuildError("expected text", field=path)
        return str(value)
    return value


def _object(cls: type[Any], data: Any, path: str) -> Any:
    if not isinstance(data, Mapping):
        raise BuildError(f"expected an object for {cls.__name__}", field=path)
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        key = _key(f.name)
        if key in data:
            kwargs[f.name] = _convert(hints[f.name], data[key], f"{path}/{key}")
    return cls(**kwargs)


def _attachment(data: Any, path: str, base_dir: Path) -> Attachment:
    if not isinstance(data, Mapping):
        raise BuildError("expected an attachment object", field=path)
    if "base64" in data:
        try:
            raw = base64.b64decode(str(data["base64"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BuildError(f"invalid base64: {exc}", field=f"{path}/base64") from None
    elif "path" in data:
        file = base_dir / str(data["path"])
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise BuildError(f"cannot read {file}: {exc.strerror}", field=f"{path}/path") from None
    else:
        raise BuildError("an attachment needs 'path' or 'base64'", field=path)
    name = str(data.get("attachment_name") or Path(str(data.get("path", "file"))).name)
    return Attachment(
        content_id=str(data.get("content_id") or name),
        attachment_name=name,
        description=data.get("description"),
        content_type=str(data.get("content_type") or "application/pdf"),
        encoded=Payload.of(base64.b64encode(raw)),
    )


def from_data(data: Any, *, base_dir: Path | None = None) -> Package:
    """Build a model from JSON data (``kind`` ``edoc`` or ``status``; see module docstring)."""
    if not isinstance(data, Mapping):
        raise BuildError("expected a JSON object", field="/")
    kind = data.get("kind", "edoc")
    if kind == "status":
        return typing.cast(StatusPackage, _object(StatusPackage, data, ""))
    if kind != "edoc":
        raise BuildError(f"kind must be 'edoc' or 'status', not {kind!r}", field="/kind")
    fields = {k: v for k, v in data.items() if k != "attachments"}
    package = typing.cast(DocumentPackage, _object(DocumentPackage, fields, ""))
    attachments = data.get("attachments") or []
    if not isinstance(attachments, list):
        raise BuildError("expected a list", field="/attachments")
    base = base_dir or Path.cwd()
    package.attachments = [
        _attachment(item, f"/attachments[{i}]", base) for i, item in enumerate(attachments, 1)
    ]
    if not package.manifest:
        # Emit strictly: every attachment is listed in the manifest.
        package.manifest = [_manifest_entry(a) for a in package.attachments]
    return package


def _manifest_entry(att: Attachment) -> ManifestReference:
    return ManifestReference(att.content_id, att.content_type, att.description, att.attachment_name)
