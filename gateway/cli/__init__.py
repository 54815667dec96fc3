"""The node's command line: ``python -m gateway <command>`` (also installed as ``truc-gateway``).

One module per group of commands, each a typer app added here: :mod:`~gateway.cli.node`
(``serve``, ``worker``, ``migrate``, ``version``, ``demo``), :mod:`~gateway.cli.systems`,
:mod:`~gateway.cli.agencies`, :mod:`~gateway.cli.calendar`, :mod:`~gateway.cli.users` and
:mod:`~gateway.cli.audit`; a new group (users, deliveries,
stats) is a new module whose ``app`` is added in :data:`GROUPS`. They share
:mod:`~gateway.cli.context` (settings read once, the data-directory line, running a command on
the store) and print only through :mod:`~gateway.cli.output` (JSON with ``--json`` or off a
terminal, a table for people on one; logs and errors on stderr), with the exit statuses of
:mod:`gateway.exits`. Heavy imports happen inside the commands that need them, to keep
``version`` and lookups fast; nothing here reads the environment at import time.
"""

from __future__ import annotations

import typer

from gateway.cli import agencies, audit, calendar, deliveries, node, replay, systems, users

app = typer.Typer(
    name="gateway",
    help="Axis node for Vietnam's inter-agency e-document exchange.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for command in node.COMMANDS:
    app.command()(command)

#: The groups of commands: ``python -m gateway NAME ...``.
GROUPS: dict[str, typer.Typer] = {
    "agencies": agencies.app,
    "systems": systems.app,
    "calendar": calendar.app,
    "users": users.app,
    "audit": audit.app,
    "deliveries": deliveries.app,
    "replay": replay.app,
}
for name, group in GROUPS.items():
    app.add_typer(group, name=name)


def main() -> None:
    """Entry point of ``python -m gateway`` and the ``truc-gateway`` script."""
    app()


__all__ = ["app", "main"]
