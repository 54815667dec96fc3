"""The one place the command line prints: data on stdout, errors on stderr.

The rule (docs/gateway.md, "Output"): a command that prints records prints **one JSON document**
on stdout when given ``--json`` or when stdout is not a terminal (a pipe, a file, a subprocess),
and a readable table for people on a terminal; ``--table`` asks for the table anywhere. So
``systems add X --agency H14 | jq -r .token`` works with or without ``--json``, and a secret
printed once is never lost to a table nobody reads. Commands that print one value per line
(``version``, ``calendar legal-time``) print it plainly, and JSON with ``--json``. Log lines and
errors go to stderr, never into the answer.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, NoReturn

import typer

#: The option every record-printing command takes: ``--json``, ``--table`` or neither (auto).
OutputOption = Annotated[
    bool | None,
    typer.Option(
        "--json/--table",
        help="Print JSON, or a table. Default: JSON unless stdout is a terminal.",
        show_default=False,
    ),
]
#: The option of the commands that print plain values: JSON only when asked.
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of plain lines.")]


def wants_json(choice: bool | None) -> bool:
    """``--json`` (True), ``--table`` (False), or, with neither, JSON unless stdout is a tty."""
    if choice is not None:
        return choice
    return not sys.stdout.isatty()


def echo_json(value: Any) -> None:
    """Print ``value`` as the command's one JSON document on stdout."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def json_line(value: Any) -> str:
    """``value`` as one compact JSON line (JSON Lines, for streamed answers)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def emit(
    value: Any, choice: bool | None, table: Callable[[Any], Iterable[str]] | None = None
) -> None:
    """Print a command's answer: JSON per :func:`wants_json`, else the lines of ``table(value)``
    (by default a record's fields, or a list of records as columns)."""
    if wants_json(choice):
        echo_json(value)
        return
    lines = table(value) if table is not None else default_table(value)
    for line in lines:
        typer.echo(line)


def default_table(value: Any) -> list[str]:
    """A mapping as ``field  value`` lines; a list of mappings as aligned columns."""
    if isinstance(value, Mapping):
        return record_lines(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return columns(list(value))
    return [cell(value)]


def cell(value: Any) -> str:
    """One value as a table shows it: lists comma-joined, null as ``-``, booleans yes/no."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(cell(item) for item in value) or "-"
    if isinstance(value, Mapping):
        return " ".join(f"{k}={cell(v)}" for k, v in value.items())
    return str(value)


def record_lines(record: Mapping[str, Any]) -> list[str]:
    """One ``field  value`` line per field, the names aligned."""
    width = max((len(name) for name in record), default=0)
    return [f"{name:<{width}}  {cell(value)}" for name, value in record.items()]


def columns(rows: list[Mapping[str, Any]], names: Sequence[str] | None = None) -> list[str]:
    """Rows as aligned columns under a header (``(none)`` for no rows)."""
    if not rows:
        return ["(none)"]
    names = list(names) if names is not None else list(rows[0])
    cells = [[cell(row.get(name)) for name in names] for row in rows]
    widths = [max(len(name), *(len(line[i]) for line in cells)) for i, name in enumerate(names)]
    header = "  ".join(name.upper().ljust(w) for name, w in zip(names, widths, strict=True))
    body = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return [line.rstrip() for line in (header, *body)]


def note(message: str) -> None:
    """A line for the person at the terminal, on stderr (never in the answer)."""
    typer.echo(message, err=True)


def exit_with(message: str, status: int) -> NoReturn:
    """Print ``message`` on stderr and exit with ``status`` (one of :mod:`gateway.exits`)."""
    typer.echo(message, err=True)
    raise typer.Exit(status)
