"""Parsing agency codes of every form (identifiers/code.py)."""

from __future__ import annotations

import csv
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identifiers import AgencyCode, CodeForm, owns

SEED = Path(__file__).resolve().parents[2] / "identifiers" / "data" / "verified-codes.csv"


def _seed_rows() -> list[dict[str, str]]:
    with SEED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# raw, form, key, level1, level, parents (nearest first)
CASES = [
    ("000.00.00.G22", CodeForm.QCVN102, "000.00.00.G22", "G22", 1, []),
    ("000.00.18.G12", CodeForm.QCVN102, "000.00.18.G12", "G12", 2, ["000.00.00.G12"]),
    (
        "000.01.14.H14",
        CodeForm.QCVN102,
        "000.01.14.H14",
        "H14",
        3,
        ["000.00.14.H14", "000.00.00.H14"],
    ),
    (
        "001.02.18.G12",
        CodeForm.QCVN102,
        "001.02.18.G12",
        "G12",
        4,
        ["000.02.18.G12", "000.00.18.G12", "000.00.00.G12"],
    ),
    # A gap (level 3 zero, level 4 set) as in the SDK sample code: levels count non-zero groups.
    (
        "002.00.20.H13",
        CodeForm.QCVN102,
        "002.00.20.H13",
        "H13",
        3,
        ["000.00.20.H13", "000.00.00.H13"],
    ),
    ("000.00.15.H51", CodeForm.QCVN102, "000.00.15.H51", "H51", 2, ["000.00.00.H51"]),
    ("G12", CodeForm.QD20, "G12", "G12", 1, []),
    ("G12.18.01", CodeForm.QD20, "G12.18.01", "G12", 3, ["G12.18", "G12"]),
    ("H37.DN.001", CodeForm.QD20, "H37.DN.001", "H37", 3, ["H37.DN", "H37"]),
    ("W00", CodeForm.QD20, "W00", "W00", 1, []),
    ("h14.01", CodeForm.QD20, "H14.01", "H14", 2, ["H14"]),
    ("0100107370", CodeForm.TAX, "0100107370", None, 1, []),
    ("0100107370-001", CodeForm.TAX, "0100107370-001", None, 2, ["0100107370"]),
    ("020100107370", CodeForm.TAX, "020100107370", None, 1, []),
    ("Z01ABC", CodeForm.SCHEME, "Z01ABC", None, 1, []),
    ("z99x1", CodeForm.SCHEME, "Z99X1", None, 1, []),
]

ODD_IDS = [
    "vxp.saas.03",
    "02.29.W00",
    "00.22.W00",
    "01.02.G22",
    "28.22.H17",
    "001.00.20.JB2",
    "",
    "   ",
    "Z00ABC",
    "Z01",
    "H14.",
    "H14..01",
    ".H14",
    "12345678901",
    "0100107370-01",
    "000.00.00.H1",
    "000.00.00.H14.01",
    "H14 01",
    "H١٤",
    "H14.ıd",
    "G12\x00",
]


@pytest.mark.parametrize(("raw", "form", "key", "level1", "level", "parents"), CASES)
def test_known_forms_parse_to_form_key_level_and_parents(
    raw: str, form: CodeForm, key: str, level1: str | None, level: int, parents: list[str]
) -> None:
    """Each known form yields its form, key, level-1 unit, level and nearest-first parents."""
    code = AgencyCode.parse(raw)
    assert (code.form, code.key, code.level1, code.level) == (form, key, level1, level)
    assert [parent.key for parent in code.parents] == parents
    assert all(parent.form is form for parent in code.parents)
    assert code.valid
    assert str(code) == raw


@pytest.mark.parametrize("raw", ODD_IDS)
def test_odd_ids_are_unknown_kept_raw_and_invalid(raw: str) -> None:
    """Ids of no known form parse as unknown, keep their raw text and are flagged invalid."""
    code = AgencyCode.parse(raw)
    assert code.form is CodeForm.UNKNOWN
    assert not code.valid
    assert code.key == raw.strip() == code.raw
    assert code.level1 is None
    assert code.level is None
    assert code.parents == ()
    assert code.parent is None


@pytest.mark.parametrize(
    "row", _seed_rows(), ids=lambda row: row["code_qd20"] or row["code_qcvn102"]
)
def test_every_seed_code_parses_in_its_column_form(row: dict[str, str]) -> None:
    """Every code of the verified seed file parses in its column's form at the seed's level."""
    level = int(row["level"])
    if row["code_qd20"]:
        code = AgencyCode.parse(row["code_qd20"])
        assert code.form is CodeForm.QD20
        assert code.level == level
        assert code.level1 == row["code_qd20"].split(".")[0]
    if row["code_qcvn102"]:
        code102 = AgencyCode.parse(row["code_qcvn102"])
        assert code102.form is CodeForm.QCVN102
        assert code102.level == level
        assert code102.level1 == row["code_qcvn102"][-3:]
    if row["code_qd20"] and row["code_qcvn102"]:
        assert AgencyCode.parse(row["code_qd20"]).level1 == code102.level1
    if row["parent_code_qd20"]:
        assert AgencyCode.parse(row["parent_code_qd20"]).form is CodeForm.QD20


def test_qd20_length_limit_is_35_characters() -> None:
    """A QĐ 20 code of 35 characters is qd20; one of 36 is unknown (Art. 4 length limit)."""
    base = "H14." + "A" * 31
    assert len(base) == 35
    assert AgencyCode.parse(base).form is CodeForm.QD20
    assert AgencyCode.parse(base + "B").form is CodeForm.UNKNOWN


def test_scheme_id_is_at_most_32_characters() -> None:
    """A scheme code takes 1 to 32 id characters after Z01–Z99 (Art. 6)."""
    assert AgencyCode.parse("Z01" + "9" * 32).form is CodeForm.SCHEME
    assert AgencyCode.parse("Z01" + "9" * 33).form is CodeForm.UNKNOWN


def test_whitespace_is_stripped_and_case_folded_into_the_key() -> None:
    """Surrounding whitespace is dropped; the key is upper-case while raw keeps the given case."""
    code = AgencyCode.parse("  000.00.00.h14\n")
    assert code.raw == "000.00.00.h14"
    assert code.key == "000.00.00.H14"
    assert code.form is CodeForm.QCVN102


def test_equality_is_by_form_and_key_never_across_forms() -> None:
    """Codes compare by form and key: case differences are equal, the two forms are not."""
    assert AgencyCode.parse("g12") == AgencyCode.parse(" G12 ")
    assert hash(AgencyCode.parse("g12")) == hash(AgencyCode.parse("G12"))
    assert AgencyCode.parse("G12") != AgencyCode.parse("000.00.00.G12")
    assert AgencyCode.parse("vxp.saas.03") != AgencyCode.parse("VXP.SAAS.03")


def test_constructor_and_parse_agree() -> None:
    """AgencyCode(raw) is the same as AgencyCode.parse(raw)."""
    assert AgencyCode(" G12.18 ") == AgencyCode.parse("G12.18")
    assert AgencyCode(" G12.18 ").raw == "G12.18"


def test_a_code_parsed_again_is_the_same_value() -> None:
    """Parsed codes are shared (immutable values): the same text gives the same object, and
    text that differs only around it gives an equal one with its own raw."""
    assert AgencyCode.parse("000.00.18.G12") is AgencyCode.parse("000.00.18.G12")
    assert AgencyCode.parse(" g12 ") == AgencyCode.parse("G12")
    assert AgencyCode.parse(" g12 ").raw == "g12"


def test_non_text_is_a_type_error() -> None:
    """Only strings are codes: anything else is a programming error."""
    with pytest.raises(TypeError):
        AgencyCode.parse(None)  # type: ignore[arg-type]


def test_to_dict_lists_parents_as_keys() -> None:
    """to_dict gives the JSON fields with parents as keys, nearest first."""
    assert AgencyCode.parse("G12.18.01").to_dict() == {
        "raw": "G12.18.01",
        "form": "qd20",
        "valid": True,
        "key": "G12.18.01",
        "level1": "G12",
        "level": 3,
        "parents": ["G12.18", "G12"],
    }


@pytest.mark.parametrize(
    ("owner", "code", "expected"),
    [
        ("H14", "H14", True),
        ("H14", "H14.01", True),
        ("H14", "000.01.14.H14", True),
        ("H14", "000.00.00.H14", True),
        ("000.00.00.H14", "H14.01.02", True),
        ("h14", "H14.01", True),
        ("H14", "H41.01", False),
        ("H14", "K14", False),
        ("H14.01", "H14.01.02", True),
        ("H14.01", "H14.02", False),
        ("H14.01", "H14", False),
        ("000.00.18.G12", "000.01.18.G12", True),
        ("000.00.18.G12", "G12.18.01", False),  # no conversion between forms by rule
        ("0100107370", "0100107370-001", True),
        ("vxp.saas.03", "vxp.saas.03", True),
        ("vxp.saas", "vxp.saas.03", False),
        ("H14", "vxp.saas.03", False),
        ("", "", False),
    ],
)
def test_structural_ownership(owner: str, code: str, expected: bool) -> None:
    """A level-1 unit owns its whole subtree in both forms; deeper codes own their own form only."""
    assert owns(owner, code) is expected


# -- properties ------------------------------------------------------------------------------

CODEISH = st.text(alphabet=string.digits + ".-ABGHKWYZabz ıx\t\n", max_size=40)


@given(st.one_of(st.text(), CODEISH))
def test_parse_round_trips_the_stripped_text(text: str) -> None:
    """str(parse(x)) == x.strip() for any text."""
    assert str(AgencyCode.parse(text)) == text.strip()


@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1")), CODEISH))
def test_parse_never_raises_and_is_consistent(text: str) -> None:
    """Parsing any text succeeds and gives a self-consistent value."""
    code = AgencyCode.parse(text)
    assert code.valid is (code.form is not CodeForm.UNKNOWN)
    assert AgencyCode.parse(code.key) == code  # the key is a fixed point
    assert len(code.parents) == (code.level or 1) - 1
    code.to_dict()


def _group(digits: int) -> st.SearchStrategy[str]:
    return st.integers(0, 10**digits - 1).map(lambda n: f"{n:0{digits}d}")


LEVEL1 = st.builds(
    lambda letter, number: f"{letter}{number:02d}",
    st.sampled_from(string.ascii_uppercase),
    st.integers(0, 99),
)


@given(_group(3), _group(2), _group(2), LEVEL1)
def test_generated_qcvn102_codes_parse_to_their_structure(v: str, z: str, y: str, m: str) -> None:
    """Any V.Z.Y.MXX code is qcvn102 with level 1 on the right and zero-filled parents."""
    raw = f"{v}.{z}.{y}.{m}"
    code = AgencyCode.parse(raw)
    assert code.form is CodeForm.QCVN102
    assert code.level1 == m
    assert code.level == 1 + sum(int(group) != 0 for group in (v, z, y))
    assert [parent.level for parent in code.parents] == list(range(code.level - 1, 0, -1))
    assert all(parent.level1 == m and parent.form is CodeForm.QCVN102 for parent in code.parents)
    if code.parents:
        assert code.parents[-1].key == f"000.00.00.{m}"
    assert AgencyCode.parse(raw.lower()) == code


@settings(max_examples=150)
@given(
    LEVEL1.filter(lambda m: m[0] != "Z"),
    st.lists(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=6)),
)
def test_generated_qd20_codes_parse_to_their_structure(m: str, groups: list[str]) -> None:
    """Any MXX(.group)* code within 35 characters is qd20 with prefixes as parents."""
    raw = ".".join([m, *groups])
    code = AgencyCode.parse(raw)
    if len(raw) > 35:
        assert code.form is CodeForm.UNKNOWN
        return
    assert code.form is CodeForm.QD20
    assert code.level1 == m
    assert code.level == 1 + len(groups)
    expected = [".".join([m, *groups[:n]]) for n in range(len(groups) - 1, -1, -1)]
    assert [parent.key for parent in code.parents] == expected
    assert all(owns(m, parent) and owns(parent, code) for parent in code.parents)
