"""Who runs a command: ``--as USERNAME`` signs a person in with their password.

:func:`resolve_actor` reads the password from the terminal (``getpass``, not echoed) or, when
stdin is not a terminal (a script, a pipe), as the first line of stdin, and signs in through
:meth:`gateway.core.people.People.authenticate` (channel ``cli``): a wrong password is refused
with ``AUTH_PASSWORD``, counted towards the lock-out and audited like any failed sign-in. A
command run without ``--as`` acts as ``cli`` (whoever has a shell on the node's machine and its
database), which the audit log records as such.

A command that also reads a secret of its own from stdin (``users add`` / ``users passwd`` with
a password) reads it on the next line, after the acting user's password.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from gateway.core.actors import Actor, Channel
from gateway.core.people import People

#: The option of the commands that may act as a signed-in person.
AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Act as this user (password from the terminal, or the first line of stdin); "
        "without it the command acts as `cli`.",
        show_default=False,
    ),
]


def read_secret(prompt: str) -> str:
    """A password: typed at the terminal without echo, or one line of stdin (its line end
    removed) when stdin is no terminal; empty at the end of stdin."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


async def resolve_actor(people: People, username: str) -> Actor:
    """Sign ``username`` in with the password read by :func:`read_secret` (channel ``cli``);
    raises :class:`gateway.core.errors.AuthError` (audited) when that fails."""
    password = read_secret(f"password of {username}: ")
    return await people.authenticate(username, password, Channel.CLI)
