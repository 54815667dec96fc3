"""CSV and JSON import/export of the registry (io.py and the Registry file methods)."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from identifiers import (
    Agency,
    AgencyInvalid,
    AgencyStatus,
    EventKind,
    HistoryEvent,
    Registry,
    RegistryFileError,
    RegistryFormatError,
)
from identifiers.io import CSV_COLUMNS, read_csv, write_csv
from tests.identifiers.conftest import fixed_today, small_agencies

SEED_HEADER = "code_qd20,code_qcvn102,name,level,parent_code_qd20,evidence\n"


def _rich_registry() -> Registry:
    """Every field in use: history, demo flag, dates, commas, quotes and both Unicode forms."""
    registry = Registry(small_agencies(), today=fixed_today)
    registry.add(
        Agency(
            code="H41.91",
            code102="000.00.91.H41",
            name='Sở Nội vụ, tỉnh "Nghệ An" [DEMO]',
            parent="H41",
            level=2,
            email="sonv@nghean.example",
            phone="0238 3844 000",
            system_id="000.00.00.H41",
            demo=True,
            evidence="line one\nline two",
        ),
        on=date(2024, 5, 6),
    )
    registry.add(Agency(code="H41.92", name=unicodedata.normalize("NFD", "Sở Tài chính")))
    registry.update("H41.91", name="Sở Nội vụ tỉnh Nghệ An [DEMO]", on=date(2025, 1, 2))
    registry.close("H41.92", successor="000.00.91.H41", effective=date(2025, 7, 1))
    registry.suspend("vxp.saas.03")
    return registry


def test_csv_round_trip_is_exact() -> None:
    """CSV out and back gives equal records, and writing them again gives the same text."""
    registry = _rich_registry()
    text = registry.to_csv_text()
    again = Registry.from_csv_text(text)
    assert again.agencies() == registry.agencies()
    assert again.to_csv_text() == text
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)


def test_json_round_trip_is_exact() -> None:
    """JSON out and back gives equal records, and writing them again gives the same text."""
    registry = _rich_registry()
    text = registry.to_json_text()
    again = Registry.from_json_text(text)
    assert again.agencies() == registry.agencies()
    assert again.to_json_text() == text
    assert json.loads(text)["format"] == "truc-lienthong/agency-registry"


def test_csv_and_json_carry_the_same_records() -> None:
    """A registry read from its CSV equals the one read from its JSON."""
    registry = _rich_registry()
    from_csv = Registry.from_csv_text(registry.to_csv_text())
    from_json = Registry.from_json_text(registry.to_json_text())
    assert from_csv.agencies() == from_json.agencies()


def test_history_and_demo_flag_survive_both_formats() -> None:
    """History events and demo=True come back from CSV and JSON."""
    registry = _rich_registry()
    for again in (
        Registry.from_csv_text(registry.to_csv_text()),
        Registry.from_json_text(registry.to_json_text()),
    ):
        record = again.require("H41.91")
        assert record.demo is True
        assert [e.kind for e in record.history] == [EventKind.CREATED, EventKind.RENAMED]
        assert record.history[0].on == date(2024, 5, 6)
        closed = again.require("H41.92")
        assert closed.status is AgencyStatus.CLOSED
        assert closed.successor == "000.00.91.H41"


def test_files_are_utf8_and_vietnamese_names_are_byte_exact(tmp_path: Path) -> None:
    """Written files hold the UTF-8 bytes of the names, NFC and NFD alike, and read back equal."""
    registry = _rich_registry()
    nfd = unicodedata.normalize("NFD", "Sở Tài chính").encode("utf-8")
    for suffix in ("csv", "json"):
        path = tmp_path / f"registry.{suffix}"
        getattr(registry, f"to_{suffix}")(path)
        data = path.read_bytes()
        assert "Bộ Tài chính".encode() in data
        assert nfd in data
        assert not data.startswith(b"\xef\xbb\xbf")
        again = Registry.load(path)
        assert again.agencies() == registry.agencies()
        again_path = tmp_path / f"again.{suffix}"
        getattr(again, f"to_{suffix}")(again_path)
        assert again_path.read_bytes() == data


def test_seed_format_is_read_with_its_column_names(shared_dir: Path) -> None:
    """The verified seed file loads: aliases map to code, code102 and parent."""
    path = shared_dir / "data" / "agencies" / "verified-codes.csv"
    registry = Registry.from_csv(path)
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    assert len(registry) == len(rows)
    tax = registry.require("000.00.18.G12")
    assert (tax.code, tax.name, tax.parent, tax.level) == (
        None,
        "Tổng cục Thuế (before 2025)",
        "G12",
        2,
    )
    assert registry.get("G12") is registry.get("000.00.00.G12")
    assert all(not agency.demo and agency.history == () for agency in registry)
    assert registry.require("K57").code102 is None


def test_seed_format_round_trips_through_the_full_format(shared_dir: Path) -> None:
    """Seed rows written in the full format read back equal."""
    registry = Registry.from_csv(shared_dir / "data" / "agencies" / "verified-codes.csv")
    assert Registry.from_csv_text(registry.to_csv_text()).agencies() == registry.agencies()


def test_csv_reader_accepts_bom_crlf_and_blank_lines() -> None:
    """A BOM, CRLF line ends and blank lines are tolerated."""
    text = "\ufeff" + SEED_HEADER.replace("\n", "\r\n") + "G12,,Bộ Tài chính,1,,x\r\n\r\n"
    located = read_csv(text)
    assert [(where, agency.code) for where, agency in located] == [("line 2", "G12")]


def test_bare_json_array_is_accepted() -> None:
    """A JSON file that is just an array of agencies loads too."""
    text = json.dumps([{"code": "G12", "name": "Bộ Tài chính"}], ensure_ascii=False)
    assert Registry.from_json_text(text).require("G12").name == "Bộ Tài chính"


@pytest.mark.parametrize(
    ("text", "error", "field", "location"),
    [
        ("", RegistryFormatError, "header", None),
        ("code,name,colour\nG12,x,red\n", RegistryFormatError, "colour", None),
        ("code,code\nG12,G12\n", RegistryFormatError, "header", None),
        ("level,email\n1,x\n", RegistryFormatError, "header", None),
        ("code,name\nG12,x,extra\n", RegistryFormatError, "row", "line 2"),
        (SEED_HEADER + "G12,,x,one,,\n", AgencyInvalid, "level", "line 2"),
        ("code,name,demo\nG12,x,maybe\n", AgencyInvalid, "demo", "line 2"),
        ("code,name,history\nG12,x,[oops\n", AgencyInvalid, "history", "line 2"),
        ("code,name\nG12,x\n\nG17,y\n000.00.00.G12,z\n", AgencyInvalid, "code", "line 5"),
        ('code,name\nG12,"x\nG17,y\n', RegistryFormatError, "row", "line 3"),
    ],
)
def test_bad_csv_is_refused_with_code_field_and_line(
    text: str, error: type[Exception], field: str, location: str | None
) -> None:
    """Malformed CSV raises a coded error naming the field and, for rows, the line."""
    with pytest.raises(error) as caught:
        Registry.from_csv_text(text)
    assert getattr(caught.value, "field", None) == field
    assert getattr(caught.value, "location", None) == location


def test_duplicate_rows_are_located_by_line() -> None:
    """A code registered twice in a CSV names the second row's line."""
    with pytest.raises(Exception, match="AGENCY_DUPLICATE at line 3") as caught:
        Registry.from_csv_text("code,code102,name\nG12,,a\n,,b\n".replace(",,b", "G12,,b"))
    assert getattr(caught.value, "field", None) == "code"


@pytest.mark.parametrize(
    ("text", "field", "location"),
    [
        ("{not json", "json", "line 1"),
        ('{"format": "other", "agencies": []}', "format", None),
        ('{"version": 2, "agencies": []}', "version", None),
        ('{"agencies": {}}', "agencies", None),
        ('{"agencies": [{"code": "G12", "name": "x", "level": "1"}]}', "level", "agencies[0]"),
        ('{"agencies": [{"code": "G12"}]}', "name", "agencies[0]"),
        ('{"agencies": [3]}', "agency", "agencies[0]"),
    ],
)
def test_bad_json_is_refused_with_field_and_location(
    text: str, field: str, location: str | None
) -> None:
    """Malformed JSON documents raise a coded error naming the field and item."""
    with pytest.raises((RegistryFormatError, AgencyInvalid)) as caught:
        Registry.from_json_text(text)
    assert caught.value.field == field
    assert caught.value.location == location


def test_file_errors_are_coded(tmp_path: Path) -> None:
    """Missing files, unknown extensions and non-UTF-8 bytes give REGISTRY_FILE/REGISTRY_FORMAT."""
    with pytest.raises(RegistryFileError) as missing:
        Registry.from_csv(tmp_path / "missing.csv")
    assert missing.value.code == "REGISTRY_FILE"
    assert missing.value.field == "path"
    with pytest.raises(RegistryFileError):
        Registry.load(tmp_path / "registry.xml")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("code,name\nG12,Bộ\n".encode("utf-16"))
    with pytest.raises(RegistryFormatError):
        Registry.from_csv(latin)
    with pytest.raises(RegistryFileError):
        Registry().to_csv(tmp_path / "no-such-dir" / "x.csv")


# Hypothesis text never holds lone surrogates, which no UTF-8 file can carry anyway.
NAMES = st.text(min_size=1, max_size=30).filter(lambda name: name.strip() != "")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(NAMES, min_size=1, max_size=5), emails=st.lists(st.text(max_size=10)))
def test_any_text_fields_round_trip_through_csv_and_json(
    names: list[str], emails: list[str]
) -> None:
    """Whatever the names and e-mails hold, both formats give the same records back."""
    agencies = [
        Agency(
            code=f"H14.{index}",
            name=name,
            email=emails[index] if index < len(emails) else None,
            history=(HistoryEvent(date(2025, 1, 1), EventKind.RENAMED, name),),
        )
        for index, name in enumerate(names)
    ]
    text = write_csv(agencies)
    assert [agency for _, agency in read_csv(text)] == agencies
    registry = Registry(agencies)
    assert Registry.from_json_text(registry.to_json_text()).agencies() == agencies
