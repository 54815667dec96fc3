"""The bundled data: verified seed copy and the marked demo set (identifiers/data/)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from identifiers import AgencyCode, AgencyStatus, Registry, ResolutionOutcome

DATA = Path(__file__).resolve().parents[2] / "identifiers" / "data"
SDK_TEST_CODES = ("002.00.20.H13", "000.00.15.H51", "28.22.H17")


@pytest.fixture(scope="module")
def default() -> Registry:
    """The bundled registry."""
    return Registry.load_default()


def test_bundled_seed_is_a_byte_exact_copy_of_the_shared_file(shared_dir: Path) -> None:
    """identifiers/data/verified-codes.csv equals shared/data/agencies/verified-codes.csv."""
    shared = shared_dir / "data" / "agencies" / "verified-codes.csv"
    assert (DATA / "verified-codes.csv").read_bytes() == shared.read_bytes()


def test_default_registry_holds_every_verified_code_as_real(default: Registry) -> None:
    """Every verified code is registered, not demo, with the seed's name."""
    seed = Registry.from_csv(DATA / "verified-codes.csv")
    for agency in seed:
        registered = default.get(agency.primary)
        assert registered == agency
        assert not registered.demo


def test_every_demo_record_is_flagged_and_named_as_demo(default: Registry) -> None:
    """Demo rows carry demo=True, a [DEMO] name suffix and a DEMO evidence note."""
    demo_file = Registry.from_csv(DATA / "demo-codes.csv")
    assert len(demo_file) >= 10
    for agency in demo_file:
        assert agency.demo
        assert agency.name.endswith("[DEMO]")
        assert (agency.evidence or "").startswith("DEMO:")
        assert default.get(agency.primary) == agency


def test_demo_provinces_have_departments_in_both_forms(default: Registry) -> None:
    """Cao Bằng (H14) and Nghệ An (H41) each have several demo departments with both codes."""
    for province in ("H14", "H41"):
        departments = [a for a in default.subtree(province) if a.demo]
        assert len(departments) >= 4
        assert all(a.code and a.code102 for a in departments)
        assert all(default.owns(province, code) for a in departments for code in a.codes)


def test_sdk_sample_test_codes_are_registered_as_demo(default: Registry) -> None:
    """The official SDK sample codes resolve, so the sample packages can be routed in demos."""
    for code in SDK_TEST_CODES:
        resolution = default.resolve(code, at=date(2025, 8, 1))
        assert resolution.outcome is ResolutionOutcome.FOUND, code
        assert resolution.agency is not None
        assert resolution.agency.demo


def test_demo_merger_routes_to_its_successor(default: Registry) -> None:
    """One demo agency is closed into a demo successor with an effective date."""
    closed = [a for a in default if a.demo and a.status is AgencyStatus.CLOSED]
    assert len(closed) == 1
    merged = closed[0]
    assert merged.successor is not None
    assert merged.successor_effective is not None
    day = merged.successor_effective
    assert default.resolve(merged.primary, at=day).code == default.require(merged.successor).primary
    assert default.resolve(merged.primary, at=date.fromordinal(day.toordinal() - 1)).code == (
        merged.primary
    )


def test_every_organ_id_of_the_sdk_samples_parses(shared_dir: Path, default: Registry) -> None:
    """Each OrganId in the SDK sample packages parses, and each agency id among them resolves."""
    ids: set[str] = set()
    for path in (shared_dir / "data" / "edxml" / "sdk-samples").glob("*.edxml"):
        text = path.read_text(encoding="utf-8", errors="replace")
        ids.update(re.findall(r"<(?:\w+:)?OrganId>([^<]*)</", text))
    assert set(SDK_TEST_CODES) <= ids
    for raw in ids:
        code = AgencyCode.parse(raw)
        assert str(code) == raw.strip()
    # Trace-header node ids (01.02.G22), a commented-out id and an empty id are not agencies.
    agencies = ids - {"01.02.G22", "001.00.20.JB2", ""}
    missing = {raw for raw in agencies if default.get(raw) is None}
    assert not missing


def test_demo_set_can_be_left_out() -> None:
    """load_default(demo=False) holds the verified codes only."""
    real = Registry.load_default(demo=False)
    assert not any(agency.demo for agency in real)
    assert real.get("H14") is not None
    assert real.get("H14.91") is None
