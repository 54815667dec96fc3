"""The agency directory: registry loading, lookups with succession, search and pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gateway.directory import AgencyDirectory, fold, load_registry, parse_code
from gateway.settings import Settings
from identifiers import Agency, AgencyStatus, AgencyUnknown, Registry, RegistryFileError


@pytest.fixture(scope="module")
def directory() -> AgencyDirectory:
    """A directory over the bundled registry (verified codes plus the demo set)."""
    return AgencyDirectory(Registry.load_default())


def test_fold_ignores_case_and_vietnamese_diacritics() -> None:
    """Folding maps accented and đ letters to plain lower-case ASCII."""
    assert fold("UBND tỉnh Cao Bằng") == "ubnd tinh cao bang"
    assert fold("Sở Giáo dục và Đào tạo") == "so giao duc va dao tao"


def test_load_registry_uses_the_bundled_registry_by_default() -> None:
    """Without registry_file the bundled registry (with the demo set) is loaded."""
    registry = load_registry(Settings())
    assert registry.get("000.00.00.G22") is registry.get("G22") is not None
    assert registry.get("H14.94") is not None


def test_load_registry_reads_the_configured_file(tmp_path: Path) -> None:
    """registry_file replaces the bundled registry (JSON here; CSV by extension too)."""
    path = tmp_path / "registry.json"
    Registry([Agency(name="Sở thử", code="H99.01", code102="000.00.01.H99")]).to_json(path)
    registry = load_registry(Settings(registry_file=path))
    assert [agency.code for agency in registry.agencies()] == ["H99.01"]


def test_load_registry_reports_a_missing_file(tmp_path: Path) -> None:
    """A missing registry file is a coded REGISTRY_FILE error."""
    with pytest.raises(RegistryFileError):
        load_registry(Settings(registry_file=tmp_path / "absent.csv"))


def test_lookup_follows_succession_from_the_effective_date(directory: AgencyDirectory) -> None:
    """A closed agency resolves to itself before the merger date and to its successor after."""
    before = directory.lookup("H14.94", date(2025, 2, 28))
    assert before.agency.status == "closed"
    assert before.resolution.redirects == []
    assert before.resolution.code == "H14.94"
    after = directory.lookup("000.00.94.H14", date(2025, 3, 1))
    assert after.resolution.code == "H14.95"
    assert [(r.from_code, r.to_code) for r in after.resolution.redirects] == [("H14.94", "H14.95")]
    assert after.resolution.agency is not None
    assert after.resolution.agency.status == "active"


def test_lookup_of_an_unregistered_code_raises_agency_unknown(directory: AgencyDirectory) -> None:
    """An unknown code raises AGENCY_UNKNOWN naming the field."""
    with pytest.raises(AgencyUnknown) as caught:
        directory.lookup("H99.99")
    assert caught.value.field == "code"


def test_search_filters_a_subtree_by_either_code_form(directory: AgencyDirectory) -> None:
    """under= keeps the owner and its subtree, whichever form names the owner."""
    by_qd20 = directory.search(under="H14", limit=500)
    by_102 = directory.search(under="000.00.00.H14", limit=500)
    assert by_qd20 == by_102
    codes = {item.code for item in by_qd20.items}
    assert {"H14", "H14.91", "H14.91.01", "H14.95"} <= codes
    assert "H41" not in codes


def test_search_matches_words_without_diacritics(directory: AgencyDirectory) -> None:
    """q= finds names by words, ignoring case and diacritics, and codes too."""
    names = [item.name for item in directory.search(q="giao duc nghe an").items]
    assert names == ["Sở Giáo dục và Đào tạo tỉnh Nghệ An [DEMO]"]
    assert directory.search(q="CAO BẰNG ubnd").items[0].code == "H14"
    assert [item.code for item in directory.search(q="h14.91.01").items] == ["H14.91.01"]


def test_search_pages_keep_the_total(directory: AgencyDirectory) -> None:
    """Pages slice the matches in registry order; total counts them all."""
    everything = directory.search(under="H14", limit=500)
    first = directory.search(under="H14", limit=2)
    second = directory.search(under="H14", limit=2, offset=2)
    assert first.total == second.total == everything.total
    assert [*first.items, *second.items] == everything.items[:4]
    assert directory.search(under="H14", offset=everything.total).items == []


def test_search_refuses_bad_page_bounds(directory: AgencyDirectory) -> None:
    """limit outside 1..500 or a negative offset is a programming error."""
    with pytest.raises(ValueError, match="limit"):
        directory.search(limit=0)
    with pytest.raises(ValueError, match="offset"):
        directory.search(offset=-1)


def test_parse_code_keeps_unknown_forms() -> None:
    """Parsing never rejects: an id of no known form comes back invalid, as given."""
    parsed = parse_code("vxp.saas.03")
    assert (parsed.form, parsed.valid, parsed.raw) == ("unknown", False, "vxp.saas.03")
    assert parse_code("000.01.18.G12").parents == ["000.00.18.G12", "000.00.00.G12"]


def test_closed_agency_without_successor_is_reported() -> None:
    """A closed agency with no successor resolves to closed_without_successor."""
    registry = Registry(
        [Agency(name="Đã giải thể", code="H99.02", status=AgencyStatus.CLOSED, closed_on=None)]
    )
    found = AgencyDirectory(registry).lookup("H99.02", date(2025, 1, 1))
    assert found.resolution.outcome == "closed_without_successor"
