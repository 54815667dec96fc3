"""What every command shares: reading the settings once, naming the data it works on, and
running an async command on the store with its coded failures mapped to exit statuses.

Each command reads the settings with :func:`load_settings` (so the ``GATEWAY_*`` variables and
``.env`` apply everywhere). A command on the node's data uses :func:`store_settings`, which first
names on stderr the data directory and database it uses; only ``serve`` and ``migrate`` create
them, the others exit :data:`~gateway.exits.EXIT_NO_DATABASE` where there is no database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from gateway.cli.output import exit_with, note
from gateway.exits import EXIT_CONFIG, EXIT_NO_DATABASE, EXIT_REGISTRY_ERROR
from gateway.settings import Settings, env_var, get_settings


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, overridden by the options given; exit 2 naming each bad variable.

    Also routes the log lines to stderr (+07:00 timestamps): unconfigured, structlog would print
    them on stdout, into the command's answer.
    """
    from gateway.logging import configure_logging

    try:
        settings = get_settings(
            **{name: value for name, value in overrides.items() if value is not None}
        )
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"])
            prefix = f"{env_var(name)}: " if name else ""
            lines.append(f"  {prefix}{problem['msg'].removeprefix('Value error, ')}")
        exit_with("configuration refused:\n" + "\n".join(lines), EXIT_CONFIG)
    configure_logging(settings.log_level, json=settings.log_json)
    return settings


def store_settings(**overrides: Any) -> Settings:
    """:func:`load_settings` for a command on the node's data: names the data directory and the
    database it uses on stderr (the same command run elsewhere finds other data)."""
    from gateway.runtime import database_location

    settings = load_settings(**overrides)
    note(f"data directory {settings.data_dir.resolve()}, database {database_location(settings)}")
    return settings


def run_store_command(run: Callable[[], Awaitable[None]]) -> None:
    """Run an async command; coded failures exit with their status and message (no traceback)."""
    import asyncio

    from gateway.core.errors import ExchangeError
    from gateway.store.database import StoreMissing, StoreNotMigrated

    async def main() -> None:
        await run()

    try:
        asyncio.run(main())
    except StoreMissing as error:
        exit_with(f"{error.code}: {error}", EXIT_NO_DATABASE)
    except StoreNotMigrated as error:
        exit_with(f"{error.code}: {error}", EXIT_REGISTRY_ERROR)
    except ExchangeError as error:
        field = f" [{error.field}]" if error.field else ""
        exit_with(f"{error.code}{field}: {error.message}", EXIT_REGISTRY_ERROR)
    except (OSError, ConnectionError) as error:
        exit_with(f"STORE_UNAVAILABLE: {error}", EXIT_REGISTRY_ERROR)
