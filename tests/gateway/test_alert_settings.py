"""The alert settings: stuck thresholds, the webhook and its secret's refusal outside dev."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from gateway.settings import get_settings

REAL = secrets.token_urlsafe(32)


def test_alert_defaults() -> None:
    """8 working hours, 60 minutes, one round a minute, 60 days, no webhook."""
    settings = get_settings()
    assert settings.stuck_available_hours == 8
    assert settings.stuck_moving_minutes == 60
    assert settings.alert_interval_seconds == 60
    assert settings.alert_certificate_days == 60
    assert settings.webhook_url is None
    assert settings.public_view()["webhook_url"] is None


def test_the_stuck_thresholds_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """GATEWAY_STUCK_* set the thresholds both the alerts and the admin list use."""
    monkeypatch.setenv("GATEWAY_STUCK_AVAILABLE_HOURS", "4")
    monkeypatch.setenv("GATEWAY_STUCK_MOVING_MINUTES", "15")
    settings = get_settings()
    assert (settings.stuck_available_hours, settings.stuck_moving_minutes) == (4, 15)


def test_a_webhook_needs_its_secret() -> None:
    """A webhook URL without a secret is refused, naming both variables."""
    with pytest.raises(ValidationError, match="GATEWAY_WEBHOOK_URL needs GATEWAY_WEBHOOK_SECRET"):
        get_settings(webhook_url="https://ops.example/hook")


@pytest.mark.parametrize("secret", ["change-me", "secret", "short"])
def test_a_placeholder_webhook_secret_is_refused_outside_dev(secret: str) -> None:
    """Outside dev a placeholder or short webhook secret stops start-up, never echoed."""
    with pytest.raises(ValidationError, match="GATEWAY_WEBHOOK_SECRET") as caught:
        get_settings(
            env="prod",
            secret_key=REAL,
            webhook_url="https://ops.example/hook",
            webhook_secret=secret,
        )
    assert f"'{secret}'" not in str(caught.value)


def test_a_webhook_is_accepted_with_a_real_secret_and_shown_without_its_path() -> None:
    """A real secret passes in prod; the public view shows only the webhook's origin."""
    settings = get_settings(
        env="prod",
        secret_key=REAL,
        webhook_url="https://ops.example:8443/hook?token=abc",
        webhook_secret=REAL,
    )
    assert settings.public_view()["webhook_url"] == "https://ops.example:8443"
    assert "abc" not in repr(settings)
    assert REAL not in repr(settings)


def test_a_placeholder_webhook_secret_is_allowed_in_dev() -> None:
    """In dev a short webhook secret is accepted (as the node's own placeholder key is)."""
    assert get_settings(webhook_url="http://127.0.0.1:9/hook", webhook_secret="dev").webhook_url


def test_a_webhook_url_must_be_http() -> None:
    """Anything but an http(s) URL is refused."""
    with pytest.raises(ValidationError, match="webhook_url"):
        get_settings(webhook_url="ftp://ops.example/hook", webhook_secret=REAL)


@pytest.mark.parametrize(
    ("name", "value"), [("stuck_available_hours", 1e9), ("stuck_moving_minutes", 1e12)]
)
def test_a_stuck_threshold_past_a_year_is_refused(name: str, value: float) -> None:
    """Beyond about a year (2 000 working hours, 525 600 minutes) a threshold is refused at
    start-up, naming it, instead of crashing every alert round later (a timedelta overflow)."""
    with pytest.raises(ValidationError, match=name):
        get_settings(**{name: value})
