"""CSV and JSON forms of the agency registry.

Both forms carry every field of :class:`identifiers.Agency`, history and demo flag included, and
round-trip exactly: reading what was written gives equal records, and writing them again gives the
same text. Text is UTF-8 (TCVN 6909:2001); Vietnamese names are never re-normalised, so they come
back byte-exact. The CSV reader also reads the seed format of ``verified-codes.csv``
(``code_qd20,code_qcvn102,name,level,parent_code_qd20,evidence``).

These functions work on text and return records with their location in the file; the registry
checks what spans records (duplicates, successors).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path

from identifiers.agency import Agency, HistoryEvent
from identifiers.errors import (
    AgencyInvalid,
    IdentifierError,
    RegistryFileError,
    RegistryFormatError,
)

#: Columns of the registry CSV, in the order written.
CSV_COLUMNS: tuple[str, ...] = tuple(item.name for item in fields(Agency))
#: Seed-file column names (data/agencies/verified-codes.csv) and the field each one fills.
SEED_ALIASES = {"code_qd20": "code", "code_qcvn102": "code102", "parent_code_qd20": "parent"}
#: Value of the ``format`` member of the JSON document.
JSON_FORMAT = "truc-lienthong/agency-registry"
JSON_VERSION = 1

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})

#: A record and where it was read: ``line 7`` (CSV) or ``agencies[3]`` (JSON).
Located = tuple[str, Agency]


def _csv_header(header: list[str] | None) -> list[str]:
    if not header:
        raise RegistryFormatError("the CSV file has no header row", field="header")
    columns = [SEED_ALIASES.get(name.strip(), name.strip()) for name in header]
    unknown = [name for name in columns if name not in CSV_COLUMNS]
    if unknown:
        raise RegistryFormatError(f"unknown CSV column {unknown[0]!r}", field=unknown[0])
    if len(set(columns)) != len(columns):
        raise RegistryFormatError("a CSV column appears twice", field="header")
    if "name" not in columns or not {"code", "code102"} & set(columns):
        raise RegistryFormatError("the CSV needs a name column and a code column", field="header")
    return columns


def _cell_bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise AgencyInvalid(f"{name} must be true or false, got {value!r}", field=name)


def _cell_int(value: str, name: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise AgencyInvalid(f"{name} must be a whole number, got {value!r}", field=name)
    return int(text)


def _cell_history(value: str) -> tuple[HistoryEvent, ...]:
    if not value.strip():
        return ()
    try:
        items = json.loads(value)
    except json.JSONDecodeError:
        raise AgencyInvalid("history must be a JSON array of events", field="history") from None
    if not isinstance(items, list):
        raise AgencyInvalid("history must be a JSON array of events", field="history")
    return tuple(HistoryEvent.from_dict(item) for item in items)


def _row_agency(row: dict[str, str]) -> Agency:
    values: dict[str, object] = dict(row)
    values["level"] = _cell_int(row.get("level", ""), "level")
    values["demo"] = _cell_bool(row.get("demo", ""), "demo")
    values["history"] = _cell_history(row.get("history", ""))
    if "status" in values and not row["status"].strip():
        del values["status"]  # an empty status cell means the default, active
    return Agency(**values)  # type: ignore[arg-type]


def read_csv(text: str) -> list[Located]:
    """Read registry records from CSV text (our format or the seed format)."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    located: list[Located] = []
    try:
        columns = _csv_header(next(reader, None))
        start = reader.line_num + 1
        for cells in reader:
            where = f"line {start}"
            start = reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if len(cells) != len(columns):
                raise RegistryFormatError(
                    f"{len(cells)} cells for {len(columns)} columns", field="row"
                ).located(where)
            try:
                located.append((where, _row_agency(dict(zip(columns, cells, strict=True)))))
            except IdentifierError as error:
                raise error.located(where) from error
    except csv.Error as error:
        where = f"line {reader.line_num}"
        raise RegistryFormatError(f"malformed CSV: {error}", field="row").located(where) from None
    return located


def _csv_cell(agency: Agency, name: str) -> str:
    if name == "history":
        events = [event.to_dict() for event in agency.history]
        return json.dumps(events, ensure_ascii=False, separators=(",", ":")) if events else ""
    value = agency.to_dict()[name]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(agencies: Iterable[Agency]) -> str:
    """Write registry records as CSV text (header :data:`CSV_COLUMNS`, CRLF line ends)."""
    buffer = io.StringIO(newline="")
    # RFC 4180 CRLF: the csv module quotes a field only for the line terminator's characters,
    # so with "\n" alone a lone "\r" in a name would be written bare and split the row.
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for agency in agencies:
        writer.writerow([_csv_cell(agency, name) for name in CSV_COLUMNS])
    return buffer.getvalue()


def read_json(text: str) -> list[Located]:
    """Read registry records from JSON text: ``{"agencies": [...]}`` or a bare array."""
    try:
        document = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}"
        message = f"malformed JSON: {error.msg}"
        raise RegistryFormatError(message, field="json").located(where) from None
    if isinstance(document, dict):
        if document.get("format", JSON_FORMAT) != JSON_FORMAT:
            raise RegistryFormatError("not an agency registry document", field="format")
        if document.get("version", JSON_VERSION) != JSON_VERSION:
            raise RegistryFormatError(
                f"unsupported version {document.get('version')!r}", field="version"
            )
        items = document.get("agencies")
    else:
        items = document
    if not isinstance(items, list):
        raise RegistryFormatError("agencies must be a JSON array", field="agencies")
    located: list[Located] = []
    for index, item in enumerate(items):
        where = f"agencies[{index}]"
        try:
            located.append((where, Agency.from_dict(item)))
        except IdentifierError as error:
            raise error.located(where) from error
        except TypeError as error:  # e.g. a wrongly typed field value
            raise AgencyInvalid(str(error), field="agency").located(where) from error
    return located


def write_json(agencies: Iterable[Agency]) -> str:
    """Write registry records as a JSON document (UTF-8 text, not ASCII-escaped)."""
    document = {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "agencies": [agency.to_dict() for agency in agencies],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def read_text_file(path: str | Path) -> str:
    """Read a registry file as UTF-8 (a BOM is dropped; line ends are kept as they are)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return handle.read()
    except UnicodeDecodeError as error:
        raise RegistryFormatError(f"{str(path)!r} is not UTF-8: {error}", field="path") from None
    except OSError as error:
        raise RegistryFileError(
            f"cannot read {str(path)!r}: {error.strerror}", field="path"
        ) from None


def write_text_file(path: str | Path, text: str) -> None:
    """Write a registry file as UTF-8 without BOM, line ends exactly as in ``text``.

    The file is replaced atomically (written beside it, then renamed), so a reader never sees
    half a registry.
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise RegistryFormatError(
            f"text cannot be written as UTF-8: {error}", field="path"
        ) from None
    target = Path(path)
    temporary: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
        ) as handle:
            temporary = Path(handle.name)
            handle.write(data)
        # Keep the permissions of the file replaced (temporary files start as 0600).
        os.chmod(temporary, target.stat().st_mode & 0o777 if target.exists() else 0o644)
        os.replace(temporary, target)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise RegistryFileError(
            f"cannot write {str(path)!r}: {error.strerror}", field="path"
        ) from None
