"""Logging: correlation id sanitising and the JSON/console renderers."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from gateway.logging import (
    MAX_REQUEST_ID_LENGTH,
    configure_logging,
    get_logger,
    new_request_id,
    sanitize_request_id,
)


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("abc-123", "abc-123"),
        ("  0f8fad5b-d9cb-469f-a165-70867728950e ", "0f8fad5b-d9cb-469f-a165-70867728950e"),
        ("00-4bf92f3577b34da6-00f067aa0ba902b7-01", "00-4bf92f3577b34da6-00f067aa0ba902b7-01"),
        ("node/42:7@h14", "node/42:7@h14"),
        ("x" * MAX_REQUEST_ID_LENGTH, "x" * MAX_REQUEST_ID_LENGTH),
        ("x" * (MAX_REQUEST_ID_LENGTH + 1), None),
        ("", None),
        ("two words", None),
        ("line\nbreak", None),
        ("mã", None),
        ("{json}", None),
        (None, None),
    ],
)
def test_sanitize_request_id(incoming: str | None, kept: str | None) -> None:
    """Safe ASCII ids of bounded length are kept (stripped); anything else is dropped."""
    assert sanitize_request_id(incoming) == kept


def test_new_request_ids_are_unique_hex() -> None:
    """Generated ids are 32 hex digits and do not repeat."""
    ids = {new_request_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(value) == 32 and int(value, 16) >= 0 for value in ids)


def test_json_lines_carry_context_and_vietnam_time(capsys: pytest.CaptureFixture[str]) -> None:
    """With log_json every line is one JSON object with +07:00 time and the bound request id."""
    configure_logging("INFO", json=True)
    with structlog.contextvars.bound_contextvars(request_id="rid-9"):
        get_logger("gateway.test").info("tài liệu đã nhận", documents=2)
    logging.getLogger("uvicorn.error").info("foreign %s", "record")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    ours, foreign = lines[-2], lines[-1]
    assert ours["event"] == "tài liệu đã nhận"
    assert (ours["request_id"], ours["documents"], ours["level"]) == ("rid-9", 2, "info")
    assert ours["timestamp"].endswith("+07:00")
    assert (foreign["event"], foreign["logger"]) == ("foreign record", "uvicorn.error")


def test_console_renderer_and_level(capsys: pytest.CaptureFixture[str]) -> None:
    """The console renderer writes readable lines and drops records below the level."""
    configure_logging("WARNING", json=False)
    log = get_logger("gateway.test")
    log.info("hidden line")
    log.warning("shown line", code="H14")
    err = capsys.readouterr().err
    assert "hidden line" not in err
    assert "shown line" in err
    assert "code=H14" in err


def test_reconfiguring_keeps_one_handler() -> None:
    """Configuring twice leaves exactly one node handler on the root logger."""
    configure_logging("INFO")
    configure_logging("DEBUG", json=True)
    names = [handler.get_name() for handler in logging.getLogger().handlers]
    assert names.count("gateway") == 1
    assert logging.getLogger().level == logging.DEBUG


@pytest.mark.parametrize("json_lines", [True, False])
def test_tracebacks_show_no_local_variables(
    capsys: pytest.CaptureFixture[str], json_lines: bool
) -> None:
    """Logged exceptions keep their traceback but never the values of local variables."""
    configure_logging("INFO", json=json_lines)
    password = "hunter2-in-a-local"
    try:
        raise ValueError(f"bad length {len(password)}")
    except ValueError:
        get_logger("gateway.test").exception("failed")
    err = capsys.readouterr().err
    assert "ValueError" in err
    assert "bad length 18" in err
    assert "hunter2-in-a-local" not in err
