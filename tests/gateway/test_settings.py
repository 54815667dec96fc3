"""Settings: GATEWAY_ prefix, defaults, .env, and the refusal of placeholder secrets."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from gateway.settings import (
    DEMO_NODE_ID,
    Environment,
    NodeRole,
    Settings,
    get_settings,
    redact_url,
)

REAL_SECRET = secrets.token_urlsafe(32)  # 43 random characters: what an operator should set


def test_defaults_give_the_embedded_dev_node() -> None:
    """With no configuration the node is a dev provincial node on SQLite under ./var."""
    settings = get_settings()
    assert settings.env is Environment.DEV
    assert settings.role is NodeRole.PROVINCIAL
    assert settings.node_id == DEMO_NODE_ID
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.data_dir == Path("var")
    assert settings.database_url == "sqlite+aiosqlite:///var/gateway.db"
    assert settings.amqp_url is None
    assert settings.registry_file is None
    assert (settings.log_level, settings.log_json) == ("INFO", False)
    assert settings.max_package_bytes == 100 * 1024 * 1024
    assert settings.secret_key.get_secret_value() == "change-me"


def test_environment_variables_use_the_gateway_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """GATEWAY_* variables set the settings; unprefixed names are ignored."""
    monkeypatch.setenv("GATEWAY_PORT", "9090")
    monkeypatch.setenv("GATEWAY_ROLE", "national")
    monkeypatch.setenv("GATEWAY_NODE_ID", " 000.00.00.G22 ")
    monkeypatch.setenv("GATEWAY_LOG_LEVEL", "debug")
    monkeypatch.setenv("GATEWAY_LOG_JSON", "true")
    monkeypatch.setenv("GATEWAY_REGISTRY_FILE", "/etc/registry.csv")
    monkeypatch.setenv("HOST", "0.0.0.0")  # noqa: S104 - must be ignored, not used
    settings = get_settings()
    assert settings.port == 9090
    assert settings.role is NodeRole.NATIONAL
    assert settings.node_id == "000.00.00.G22"
    assert settings.log_level == "DEBUG"
    assert settings.log_json is True
    assert settings.registry_file == Path("/etc/registry.csv")
    assert settings.host == "127.0.0.1"


def test_database_url_defaults_to_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    """An unset or empty database URL means the SQLite file in the data directory."""
    assert get_settings(data_dir=tmp_path).database_url == (
        f"sqlite+aiosqlite:///{tmp_path.as_posix()}/gateway.db"
    )
    explicit = "postgresql+asyncpg://node:pw@db:5432/gateway"
    assert get_settings(database_url=explicit).database_url == explicit


def test_empty_optional_variables_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """GATEWAY_AMQP_URL or GATEWAY_REGISTRY_FILE set but empty is the same as unset."""
    monkeypatch.setenv("GATEWAY_AMQP_URL", "")
    monkeypatch.setenv("GATEWAY_REGISTRY_FILE", " ")
    settings = get_settings()
    assert settings.amqp_url is None
    assert settings.registry_file is None


@pytest.mark.parametrize("env", ["test", "prod"])
@pytest.mark.parametrize(
    "secret", ["", "   ", "change-me", "CHANGE-ME", "secret", "short-but-real"]
)
def test_placeholder_secret_is_refused_outside_dev(
    monkeypatch: pytest.MonkeyPatch, env: str, secret: str
) -> None:
    """Outside dev an empty, placeholder or short secret stops start-up, naming the variable."""
    monkeypatch.setenv("GATEWAY_ENV", env)
    monkeypatch.setenv("GATEWAY_SECRET_KEY", secret)
    with pytest.raises(ValidationError, match="GATEWAY_SECRET_KEY") as caught:
        get_settings()
    if secret.strip():
        assert secret not in str(caught.value)  # the error never echoes the secret


def test_default_secret_is_refused_in_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    """GATEWAY_ENV=prod without GATEWAY_SECRET_KEY is refused: the default is a placeholder."""
    monkeypatch.setenv("GATEWAY_ENV", "prod")
    with pytest.raises(ValidationError, match="GATEWAY_SECRET_KEY is a placeholder"):
        get_settings()


def test_real_secret_is_accepted_in_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long non-placeholder secret lets a prod node start."""
    monkeypatch.setenv("GATEWAY_ENV", "prod")
    monkeypatch.setenv("GATEWAY_SECRET_KEY", REAL_SECRET)
    settings = get_settings()
    assert settings.env is Environment.PROD
    assert settings.secret_problem() is None


def test_placeholder_secret_is_allowed_in_dev() -> None:
    """In dev the placeholder secret is accepted (and reported as a problem for the logs)."""
    settings = get_settings(env="dev")
    assert settings.secret_problem() == "is a placeholder"


def test_dotenv_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A .env file in the working directory sets values; real environment variables override it."""
    (tmp_path / ".env").write_text(
        "GATEWAY_NODE_ID=000.00.00.H37\nGATEWAY_PORT=8181\nGATEWAY_ROLE=national\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GATEWAY_PORT", "8282")
    settings = get_settings()
    assert settings.node_id == "000.00.00.H37"
    assert settings.role is NodeRole.NATIONAL
    assert settings.port == 8282


def test_bad_values_name_the_setting() -> None:
    """Invalid values are refused with the setting named."""
    with pytest.raises(ValidationError, match="port"):
        Settings(port=70000)
    with pytest.raises(ValidationError, match="log_level"):
        Settings(log_level="LOUD")
    with pytest.raises(ValidationError, match="role"):
        Settings(role="regional")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="node_id"):
        Settings(node_id="   ")


def test_repr_and_public_view_hide_credentials() -> None:
    """Neither repr nor the loggable view shows the secret or URL passwords."""
    settings = Settings(
        database_url="postgresql+asyncpg://node:db-pass@db:5432/gw",
        amqp_url="amqp://node:mq-pass@mq:5672/",
        secret_key=SecretStr(REAL_SECRET),
    )
    shown = repr(settings) + str(settings.public_view())
    for secret in ("db-pass", "mq-pass", REAL_SECRET):
        assert secret not in shown
    assert settings.public_view()["amqp_url"] == "amqp://node:***@mq:5672/"


def test_redact_url_keeps_urls_without_password() -> None:
    """URLs without a password come back unchanged."""
    assert redact_url("sqlite+aiosqlite:///var/gateway.db") == "sqlite+aiosqlite:///var/gateway.db"
    assert redact_url("amqp://mq:5672/") == "amqp://mq:5672/"
    assert redact_url("amqp://u:p@s@[::1]:5672/vh") == "amqp://u:***@[::1]:5672/vh"


@pytest.mark.parametrize(
    ("variables", "hours", "table"),
    [
        ({}, None, None),
        ({"GATEWAY_OFFICE_HOURS": " ", "GATEWAY_CALENDAR_FILE": ""}, None, None),
        (
            {
                "GATEWAY_OFFICE_HOURS": " 07:00-11:30,13:30-17:00; 04-15..10-14=07:00-11:00 ",
                "GATEWAY_CALENDAR_FILE": "province.csv",
            },
            "07:00-11:30,13:30-17:00; 04-15..10-14=07:00-11:00",
            Path("province.csv"),
        ),
    ],
)
def test_calendar_settings(
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    hours: str | None,
    table: Path | None,
) -> None:
    """Office hours and the calendar file come from the environment; empty means unset."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    settings = get_settings()
    assert (settings.office_hours, settings.calendar_file) == (hours, table)
    assert settings.calendar_refresh_seconds == 60


def test_bad_office_hours_are_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Office hours in a wrong syntax stop the settings with CALENDAR_FORMAT."""
    monkeypatch.setenv("GATEWAY_OFFICE_HOURS", "7h-11h30")
    with pytest.raises(ValidationError) as refused:
        get_settings()
    assert "office_hours" in str(refused.value)
    assert "CALENDAR_FORMAT" in str(refused.value)
