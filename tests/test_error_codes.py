"""Every error code raised anywhere has one row: meaning, HTTP status, VXP ErrorCode, field.

The rows live in :mod:`gateway.api.error_codes`; docs/errors.md is the same table. Regenerate the
doc's table after changing a row with ``.venv/bin/python -m tests.test_error_codes``.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from gateway.api.error_codes import CODES
from gateway.api.errors import HTTP_CODES, exchange_status
from gateway.api.health import COMPONENT_CODES
from gateway.api.vxp.errors import error_code
from gateway.core.errors import AuthError, ExchangeError, NotFound
from tests.error_sources import ROOT, code_sites, computed_code_keywords, other_code_keywords

DOC = ROOT / "docs" / "errors.md"
BEGIN, END = "<!-- codes:begin -->", "<!-- codes:end -->"
#: Codes built at run time, each with the reason it needs no row of its own.
DYNAMIC: dict[str, str] = {
    "f'{topic.value.upper()}_MESSAGE_INVALID'": (
        "`WorkInvalid` (gateway/core/work.py): one code per bus topic, e.g. "
        "`FORWARD_MESSAGE_INVALID`; a poison work message is dead-lettered at once and logged, "
        "never the code of an answer"
    ),
    "f'HTTP_{exc.status_code}'": (
        "an HTTP error of the framework whose status has no name in `HTTP_CODES` "
        "(gateway/api/errors.py): answered with that status on the native API only"
    ),
    "f'UPSTREAM_ERRORCODE_{exc.error_code}'": (
        "a delivery failure code (gateway/workers/forwarder.py): the national node answered "
        "FAIL without one of our codes; recorded on the copy, never the code of an answer"
    ),
}
#: Calls with a ``code=`` keyword that is no error code, and why.
NOT_ERRORS: dict[str, str] = {
    "fail_delivery": "a delivery failure code recorded on a copy (docs/exchange.md)",
    "move": "the failure code of a delivery transition (gateway/store/deliveries.py)",
    "report_delivery": "the failure code a receiver reports for its copy",
}
VXP_VALUES = frozenset({"10", "15", "18", "19", "20", "21", "22", "23", "24", "25"})


def _answered() -> set[str]:
    """Codes answered from tables rather than raised: plain HTTP errors and readiness."""
    return set(HTTP_CODES.values()) | set(COMPONENT_CODES.values())


def render_table() -> str:
    """The table of docs/errors.md, one row per code, in the registry's order."""
    lines = [
        "| code | meaning | HTTP | VXP | field |",
        "|---|---|---|---|---|",
        *(
            f"| `{code}` | {row.meaning} | {row.http} | {row.vxp} | {row.field or '-'} |"
            for code, row in CODES.items()
        ),
        "",
        "Codes built at run time (no row of their own):",
        "",
        *(f"- `{pattern}`: {reason}" for pattern, reason in DYNAMIC.items()),
    ]
    return "\n".join(lines)


def _doc_table() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text, f"{DOC} lost its {BEGIN} marker"
    assert END in text, f"{DOC} lost its {END} marker"
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def test_every_raised_code_has_a_row() -> None:
    """Every literal code raised in edxml, identifiers, connectors, gateway has a registry row."""
    missing = sorted(
        f"{site.code} ({site.where}, {site.callee})"
        for site in code_sites()
        if not site.dynamic and site.code not in CODES
    )
    assert not missing, "codes without a row in gateway/api/error_codes.py:\n" + "\n".join(missing)


def test_a_new_code_without_a_row_is_reported(tmp_path: Path) -> None:
    """A code raised in a new module, by keyword, f-string or class attribute, is found."""
    module = tmp_path / "gateway" / "core" / "fresh.py"
    module.parent.mkdir(parents=True)
    module.write_text(
        "class FreshError(Exception):\n"
        "    code = 'FRESH_BASE'\n"
        "def f(n):\n"
        "    code = 'FRESH_A' if n else 'FRESH_B'\n"
        "    raise FreshError('x', code=code)\n"
        "def g(n):\n"
        "    raise FreshError('x', code=f'FRESH_{n}')\n",
        encoding="utf-8",
    )
    sites = code_sites(tmp_path)
    assert {site.code for site in sites if not site.dynamic} == {"FRESH_BASE", "FRESH_A", "FRESH_B"}
    assert [site.code for site in sites if site.dynamic] == ["f'FRESH_{n}'"]
    assert not {site.code for site in sites} & set(CODES)


def test_the_scan_finds_the_codes_of_every_package() -> None:
    """The scan sees class codes, keyword codes, API answers and edxml findings of each package."""
    found = {site.code for site in code_sites()}
    for code in (
        "EDXML_NOT_EDXML", "EDXML_REQUIRED", "EDXML_BASE64", "EDXML_LAYOUT", "AGENCY_UNKNOWN",
        "BUS_PUBLISH_REFUSED", "VXP_HASH_FILE", "AUTH_HEADER_MISSING", "RECIPIENT_CLOSED",
        "CALENDAR_NO_SESSION", "INTERNAL", "UNSUPPORTED_MEDIA_TYPE", "REQUEST_UNKNOWN_PARAMETER",
    ):  # fmt: skip
        assert code in found, code


def test_every_row_is_a_code_that_is_raised() -> None:
    """No row is stale: each code is raised somewhere or answered from the API's tables."""
    raised = {site.code for site in code_sites() if not site.dynamic} | _answered()
    stale = sorted(set(CODES) - raised)
    assert not stale, f"rows for codes nothing raises: {stale}"


def test_dynamic_codes_are_listed_with_a_reason() -> None:
    """Every code built by an f-string is one of the listed patterns, and every pattern exists."""
    found = {site.code for site in code_sites() + other_code_keywords() if site.dynamic}
    assert found == set(DYNAMIC)
    assert all(reason.strip() for reason in DYNAMIC.values())


def test_computed_codes_are_passed_on_from_coded_errors() -> None:
    """A ``code=`` that is no literal passes on the code of an error or finding already scanned."""
    found = computed_code_keywords()
    assert found, "the scan should see the refusals that pass on an edxml code"
    other = [f"{where}: code={value}" for where, value in found if not value.endswith(".code")]
    assert not other, other


def test_other_code_keywords_are_no_error_codes() -> None:
    """A ``code=`` keyword of a call that raises nothing is one of the listed non-error uses."""
    unknown = sorted(
        f"{site.callee} ({site.where})"
        for site in other_code_keywords()
        if site.callee not in NOT_ERRORS
    )
    assert not unknown, "code= keywords of unknown calls:\n" + "\n".join(unknown)


def test_each_code_has_one_row() -> None:
    """No code is written twice in the registry (a dict literal would silently keep the last)."""
    source = (ROOT / "gateway" / "api" / "error_codes.py").read_text(encoding="utf-8")
    keys = [
        key.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant)
    ]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    assert not repeated, f"codes with two rows: {repeated}"


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_row_is_complete(code: str) -> None:
    """Each row names a meaning, an error HTTP status and one of the spec's VXP ErrorCodes."""
    row = CODES[code]
    assert re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*", code)
    assert row.meaning.strip()
    assert "|" not in row.meaning + row.field
    assert 400 <= row.http <= 599
    assert row.vxp in VXP_VALUES


@pytest.mark.parametrize("code", sorted(CODES))
def test_both_apis_answer_each_code_from_its_row(code: str) -> None:
    """The native API's status and the VXP ErrorCode of a code are the ones of its row."""
    assert exchange_status(ExchangeError("x", code=code)) == CODES[code].http
    assert error_code(code) == CODES[code].vxp


def test_an_unmapped_code_is_not_silently_mapped_by_a_prefix() -> None:
    """A code with no row matches no prefix: VXP answers 20, HTTP its class's own code's status."""
    assert error_code("AUTH_NOT_A_CODE") == "20"
    assert exchange_status(ExchangeError("x", code="EDXML_NOT_A_CODE")) == 422
    assert exchange_status(NotFound("x", code="NOT_A_CODE")) == 404
    assert exchange_status(AuthError("x", code="NOT_A_CODE")) == 401


def test_http_tables_agree_with_the_rows() -> None:
    """Plain HTTP errors and readiness answer their codes with the status of the code's row."""
    for status, code in HTTP_CODES.items():
        assert CODES[code].http == status, code
    for code in COMPONENT_CODES.values():
        assert CODES[code].http == 503, code


def test_docs_errors_md_is_the_registry() -> None:
    """docs/errors.md's table is the registry, row for row."""
    assert _doc_table() == render_table()


def test_the_exchange_summary_agrees_with_the_rows() -> None:
    """Each code named in docs/exchange.md's ErrorCode summary has that ErrorCode in its row."""
    text = (ROOT / "docs" / "exchange.md").read_text(encoding="utf-8")
    section = text.split("## VXP ErrorCode mapping", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.*) \|$", section, flags=re.MULTILINE)
    assert len(rows) == 10
    wrong = []
    for value, cell in rows:
        for code in re.findall(r"`([A-Z][A-Z0-9_]*[A-Z0-9])`", cell):
            if code not in CODES or CODES[code].vxp != value:
                wrong.append(f"{code} listed under {value}")
    assert not wrong, wrong


def _write_doc() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{BEGIN}\n{render_table()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    _write_doc()
    sys.exit(0)
