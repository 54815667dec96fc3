"""The node's configuration: the only module that reads the environment.

Every setting comes from an environment variable ``GATEWAY_<NAME>`` or from a ``.env`` file in the
working directory (environment variables win), else from its default. Defaults give the embedded
node: SQLite under ``./var`` and an in-process bus, listening on 127.0.0.1:8080.

Outside ``dev`` the node refuses to start with an empty, placeholder or short ``secret_key``
(design.md §3.2). Nothing reads the environment at import time: call :func:`get_settings`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "GATEWAY_"
#: The shipped value of ``secret_key``: accepted in ``dev`` only.
PLACEHOLDER_SECRET = "change-me"  # noqa: S105 - the documented placeholder, refused outside dev
#: Values refused as ``secret_key`` outside ``dev`` (compared case-insensitively, stripped).
PLACEHOLDER_SECRETS = frozenset(
    {PLACEHOLDER_SECRET, "changeme", "change_me", "changethis", "secret", "password", "test-secret"}
)
#: Shortest ``secret_key`` accepted outside ``dev`` (characters).
MIN_SECRET_LENGTH = 32
#: Demo node id: the QCVN 102 code of UBND tỉnh Cao Bằng, used by the VXP SDK samples.
DEMO_NODE_ID = "000.00.00.H14"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Environment(StrEnum):
    """Where the node runs; anything but ``dev`` enforces a real secret."""

    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class NodeRole(StrEnum):
    """The node's place in the exchange (domain.md §1): same code, role is configuration."""

    PROVINCIAL = "provincial"
    NATIONAL = "national"


def env_var(field_name: str) -> str:
    """The variable that sets ``field_name``: ``secret_key`` → ``GATEWAY_SECRET_KEY``."""
    return f"{ENV_PREFIX}{field_name.upper()}"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for logs and ``repr``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    username = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{username}:***@{hostport}"))


def secret_problem(value: str) -> str | None:
    """Why a secret is not fit for production (empty, a placeholder, short), or None."""
    secret = value.strip()
    if not secret:
        return "is empty"
    if secret.lower() in PLACEHOLDER_SECRETS:
        return "is a placeholder"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    return None


def _origin(url: str) -> str:
    """Scheme, host and port of ``url``: a webhook's path or query may carry a token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")


class Settings(BaseSettings):
    """Settings of one node; see docs/configuration.md for each variable."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
        # Validation errors must never echo the input: it may hold the secret or URL passwords.
        hide_input_in_errors=True,
    )

    env: Environment = Field(default=Environment.DEV, description="dev, test or prod.")
    role: NodeRole = Field(default=NodeRole.PROVINCIAL, description="provincial or national.")
    node_id: str = Field(
        default=DEMO_NODE_ID,
        min_length=1,
        max_length=50,  # edxml.md §2: OrganId is at most 50 characters
        description="The node's own agency/trace code (its OrganId in trace headers).",
    )
    host: str = Field(default="127.0.0.1", min_length=1, description="Interface to listen on.")
    port: int = Field(default=8080, ge=1, le=65535, description="TCP port to listen on.")
    data_dir: Path = Field(default=Path("var"), description="Where the node keeps its files.")
    database_url: Annotated[str, Field(repr=False)] = Field(
        default="",
        description="SQLAlchemy async URL; empty means SQLite at <data_dir>/gateway.db.",
    )
    amqp_url: Annotated[str | None, Field(repr=False)] = Field(
        default=None, description="RabbitMQ URL; unset means the in-process bus."
    )
    secret_key: SecretStr = Field(
        default=SecretStr(PLACEHOLDER_SECRET),
        description="Key for the node's own tokens and signatures; a real one outside dev.",
    )
    database_schema: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$",
        description="PostgreSQL schema for the node's tables (one per node on a shared database).",
    )
    auto_migrate: bool | None = Field(
        default=None,
        description="Apply migrations at start-up; unset means yes on SQLite, no on PostgreSQL.",
    )
    amqp_prefix: str = Field(
        default="gw",
        pattern=r"^[a-z][a-z0-9_-]{0,30}$",
        description="Prefix of the node's RabbitMQ exchanges and queues.",
    )
    run_workers: bool | None = Field(
        default=None,
        description="Run relay and router inside `serve`; unset means yes on the embedded default.",
    )
    vxp_timestamp_window_seconds: float | None = Field(
        default=None,
        gt=0,
        description="Refuse VXP requests whose signed timestamp is further off; unset: no check.",
    )
    trust_file: Path | None = Field(
        default=None, description="PEM bundle of trusted signing certificates (CA or leaf)."
    )
    max_receiver_failures: int = Field(
        default=5, ge=1, le=100, description="updateStatus fail offers before a copy is failed."
    )
    receiver_retry_seconds: float = Field(
        default=60.0, gt=0, description="First delay before a failed copy is offered again."
    )
    bus_retry_delays: str = Field(
        default="1,5,30,120,600",
        pattern=r"^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$",
        description="Seconds between retries of failing work, comma-separated; then dead-letter.",
    )
    registry_file: Path | None = Field(
        default=None, description="CSV or JSON agency registry replacing the bundled one."
    )
    province_codes: str = Field(
        default="",
        pattern=r"^[\sA-Za-z0-9.,]*$",
        description="A provincial node's level-1 code(s), comma-separated (e.g. H14).",
    )
    upstream_url: Annotated[str | None, Field(repr=False)] = Field(
        default=None,
        description="A provincial node's national node, its VXP endpoint (e.g. https://n/vxp).",
    )
    upstream_system_id: str | None = Field(
        default=None, description="This node's system id at the national node."
    )
    upstream_secret: SecretStr | None = Field(
        default=None, description="This node's secret at the national node."
    )
    upstream_poll_seconds: float = Field(
        default=5.0, gt=0, description="Seconds between polls of the national node's lists."
    )
    upstream_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Timeout of every call to the national node."
    )
    upstream_resend_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Upstream copies still queued this long are forwarded again once the "
        "national node answers (it was down).",
    )
    outbox_retention_days: float = Field(
        default=7.0,
        ge=0,
        le=3650,
        description="Published outbox rows older than this many days are deleted by the relay; "
        "0 keeps them for ever.",
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING, ERROR, CRITICAL.")
    log_json: bool = Field(default=False, description="JSON log lines instead of console ones.")
    max_package_bytes: int = Field(
        default=100 * 1024 * 1024, ge=1, description="Largest package accepted, in bytes."
    )
    calendar_file: Path | None = Field(
        default=None,
        description="Calendar override table (CSV) replacing the shipped one (docs/calendar.md).",
    )
    office_hours: str | None = Field(
        default=None,
        description='Office sessions as the CLI\'s --hours, e.g. "07:00-11:30,13:30-17:00"; '
        "unset means 07:30-11:30,13:30-17:00.",
    )
    calendar_refresh_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Seconds between checks for override rows changed by another process; "
        "0 turns the check off.",
    )
    # --- the operators' deliveries view and replay (docs/console.md)
    replay_approval_threshold: int = Field(
        default=10,
        ge=1,
        description="Replaying more copies than this at once needs a second person's approval "
        "(a replay request).",
    )
    stuck_available_hours: float = Field(
        default=8.0,
        ge=0,
        # About a year of office time: beyond, "stuck" means nothing more (and a huge value
        # overflowed the alert rounds' time arithmetic).
        le=2000,
        description="A copy available but not confirmed after this many working hours (the "
        "business calendar) is stuck.",
    )
    stuck_moving_minutes: float = Field(
        default=60.0,
        ge=0,
        le=525_600,  # a year
        description="A copy queued or forwarded for longer than this many minutes is stuck.",
    )
    sign_in_max_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Failed sign-ins in a row that lock a username (console, CLI).",
    )
    sign_in_lockout_minutes: float = Field(
        default=15.0, gt=0, description="Minutes a username stays locked after them."
    )
    # ---------------------------------------------------------------- alerts (docs/console.md)
    alert_interval_seconds: float = Field(
        default=60.0, gt=0, description="Seconds between the alert worker's detection rounds."
    )
    alert_upstream_down_seconds: float = Field(
        default=60.0,
        ge=0,
        description="The upstream link is down once its poll rounds have failed this long.",
    )
    alert_certificate_days: int = Field(
        default=60,
        ge=1,
        le=3650,
        description="Alert on trust-store certificates expiring within this many days.",
    )
    webhook_url: Annotated[str | None, Field(repr=False)] = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Where alerts are posted (JSON, HMAC-signed); unset: alerts are only logged "
        "and counted.",
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Key of the webhook's HMAC-SHA256 signature."
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Timeout of every webhook request."
    )
    # --- the operator console (gateway/console, docs/console.md)
    console_session_minutes: float = Field(
        default=480.0, gt=0, description="How long a console sign-in lasts, in minutes."
    )
    console_secure_cookie: bool = Field(
        default=False,
        description="Always mark the console's cookies Secure (the node is reached over TLS).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated IP addresses of reverse proxies whose X-Forwarded-Proto "
        "the console believes (https there marks its cookies Secure).",
    )

    @field_validator("node_id", "host")
    @classmethod
    def _strip(cls, value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("must not be blank")
        return stripped

    @field_validator("office_hours")
    @classmethod
    def _office_hours(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from business_calendar.table import parse_hours  # the syntax lives with the calendar

        parse_hours(value)  # CalendarError is a ValueError: reported with the variable's name
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator(
        "amqp_url",
        "registry_file",
        "trust_file",
        "database_schema",
        "auto_migrate",
        "run_workers",
        "upstream_url",
        "upstream_system_id",
        "upstream_secret",
        "calendar_file",
        "office_hours",
        "webhook_url",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # A variable set but empty (GATEWAY_AMQP_URL=) means the same as leaving it unset.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _derive_and_check(self) -> Settings:
        if not self.database_url.strip():
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'gateway.db').as_posix()}"
        problem = self.secret_problem()
        if problem is not None and self.env is not Environment.DEV:
            # design.md §3.2: refuse placeholder secrets outside dev, naming the variable.
            raise ValueError(
                f"{env_var('secret_key')} {problem}; set it to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters (env={self.env.value} refuses placeholders)"
            )
        self._check_upstream()
        self._check_webhook()
        return self

    def _check_webhook(self) -> None:
        if self.webhook_url is None:
            return
        if self.webhook_secret is None:
            raise ValueError(f"{env_var('webhook_url')} needs {env_var('webhook_secret')}")
        problem = secret_problem(self.webhook_secret.get_secret_value())
        if problem is not None and self.env is not Environment.DEV:
            # design.md §3.2: a webhook signed with a guessable key proves nothing.
            raise ValueError(
                f"{env_var('webhook_secret')} {problem}; set it to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters (env={self.env.value} refuses placeholders)"
            )

    def _check_upstream(self) -> None:
        if self.upstream_url is None:
            return
        if self.role is NodeRole.NATIONAL:
            raise ValueError(
                f"{env_var('upstream_url')} is for provincial nodes; a national node has none"
            )
        missing = [
            env_var(name)
            for name in ("upstream_system_id", "upstream_secret")
            if getattr(self, name) is None
        ]
        if missing:
            raise ValueError(f"{env_var('upstream_url')} needs {' and '.join(missing)}")
        if not self.province:
            raise ValueError(
                f"{env_var('upstream_url')} needs {env_var('province_codes')} (e.g. H14): "
                "what is inside the province stays, the rest goes upstream"
            )

    @property
    def province(self) -> tuple[str, ...]:
        """The province's level-1 codes (``province_codes`` split)."""
        return tuple(c.strip() for c in self.province_codes.split(",") if c.strip())

    @property
    def embedded(self) -> bool:
        """True on the embedded default: SQLite and the in-process bus."""
        return self.database_url.startswith("sqlite") and self.amqp_url is None

    @property
    def workers_in_serve(self) -> bool:
        """Whether ``serve`` also runs the relay and the router."""
        return self.embedded if self.run_workers is None else self.run_workers

    @property
    def migrate_on_start(self) -> bool:
        """Whether the node applies migrations when it starts."""
        if self.auto_migrate is None:
            return self.database_url.startswith("sqlite")
        return self.auto_migrate

    @property
    def retry_delays(self) -> tuple[float, ...]:
        """``bus_retry_delays`` as seconds."""
        return tuple(float(part) for part in self.bus_retry_delays.split(","))

    def secret_problem(self) -> str | None:
        """Why ``secret_key`` is not fit for production, or None when it is."""
        return secret_problem(self.secret_key.get_secret_value())

    def public_view(self) -> dict[str, object]:
        """The settings as a JSON-ready mapping with passwords and the secret hidden (for logs)."""
        return {
            "env": self.env.value,
            "role": self.role.value,
            "node_id": self.node_id,
            "host": self.host,
            "port": self.port,
            "data_dir": str(self.data_dir),
            "database_url": redact_url(self.database_url),
            "amqp_url": redact_url(self.amqp_url) if self.amqp_url else None,
            "registry_file": str(self.registry_file) if self.registry_file else None,
            "database_schema": self.database_schema,
            "amqp_prefix": self.amqp_prefix,
            "trust_file": str(self.trust_file) if self.trust_file else None,
            "workers_in_serve": self.workers_in_serve,
            "migrate_on_start": self.migrate_on_start,
            "log_level": self.log_level,
            "log_json": self.log_json,
            "max_package_bytes": self.max_package_bytes,
            "province_codes": self.province_codes,
            "upstream_url": redact_url(self.upstream_url) if self.upstream_url else None,
            "upstream_system_id": self.upstream_system_id,
            "calendar_file": str(self.calendar_file) if self.calendar_file else None,
            "office_hours": self.office_hours,
            "calendar_refresh_seconds": self.calendar_refresh_seconds,
            "replay_approval_threshold": self.replay_approval_threshold,
            "stuck_available_hours": self.stuck_available_hours,
            "stuck_moving_minutes": self.stuck_moving_minutes,
            "alert_interval_seconds": self.alert_interval_seconds,
            "outbox_retention_days": self.outbox_retention_days,
            "webhook_url": _origin(self.webhook_url) if self.webhook_url else None,
        }


def get_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment and ``.env``; ``overrides`` win over both.

    Raises :class:`pydantic.ValidationError` naming the offending variable.
    """
    return Settings(**overrides)
