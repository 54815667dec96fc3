"""The one printing rule of the command line (gateway/cli/output.py), unit by unit."""

from __future__ import annotations

import io
import json

import pytest

from gateway.cli import output


class _Stdout(io.StringIO):
    """A stdout that says whether it is a terminal."""

    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(("choice", "tty", "expected"), [
    (True, True, True), (True, False, True), (False, False, False), (False, True, False),
    (None, False, True), (None, True, False),
])  # fmt: skip
def test_json_when_asked_or_when_stdout_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch, choice: bool | None, tty: bool, expected: bool
) -> None:
    """--json and --table win; with neither, JSON unless stdout is a terminal."""
    monkeypatch.setattr("sys.stdout", _Stdout(tty))
    assert output.wants_json(choice) is expected


def test_emit_prints_one_json_document_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Piped, a record is one JSON document, non-ASCII kept as is."""
    out = _Stdout(tty=False)
    monkeypatch.setattr("sys.stdout", out)
    output.emit({"name": "Cao Bằng", "grants": ["H14"]}, None)
    assert json.loads(out.getvalue()) == {"name": "Cao Bằng", "grants": ["H14"]}
    assert "Cao Bằng" in out.getvalue()


def test_emit_prints_the_table_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal a record prints as aligned `field  value` lines."""
    out = _Stdout(tty=True)
    monkeypatch.setattr("sys.stdout", out)
    output.emit({"system_id": "s1", "enabled": True, "grants": ["H14", "H37"]}, None)
    assert out.getvalue().splitlines() == [
        "system_id  s1",
        "enabled    yes",
        "grants     H14,H37",
    ]


def test_columns_align_rows_under_a_header() -> None:
    """A list of records is a header and one aligned line per record; none says so."""
    rows = [{"id": "a", "on": False, "note": None}, {"id": "long-id", "on": True, "note": "x"}]
    assert output.columns(rows) == ["ID       ON   NOTE", "a        no   -", "long-id  yes  x"]
    assert output.columns([]) == ["(none)"]


def test_fail_writes_stderr_and_exits_with_the_status(capsys: pytest.CaptureFixture[str]) -> None:
    """An error goes to stderr, nothing to stdout, with the status given."""
    with pytest.raises(output.typer.Exit) as raised:
        output.exit_with("SYSTEM_EXISTS: taken", 1)
    assert raised.value.exit_code == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "SYSTEM_EXISTS: taken\n")
