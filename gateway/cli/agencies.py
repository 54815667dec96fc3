"""``agencies lookup``: the agency registry the node routes by (files and settings only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from gateway.cli.context import load_settings
from gateway.cli.output import OutputOption, cell, emit, exit_with
from gateway.exits import EXIT_REGISTRY_ERROR

app = typer.Typer(help="The agency registry the node routes by.", no_args_is_help=True)


def _names(agency: dict[str, Any]) -> str:
    return f"{cell(agency['code'])}  {cell(agency['code102'])}  {agency['name']}"


def _lookup_table(found: dict[str, Any]) -> list[str]:
    agency, resolution = found["agency"], found["resolution"]
    rows = [
        ("requested", f"{found['requested']['raw']} ({found['requested']['form']})"),
        ("agency", _names(agency)),
        ("status", agency["status"]),
        ("parent", cell(agency.get("parent"))),
        ("resolution", f"{resolution['outcome']} at {resolution['at']}"),
    ]
    target = resolution.get("agency")
    if target is not None:
        rows.append(("goes to", _names(target)))
    for hop in resolution["redirects"]:
        rows.append(("redirect", f"{hop['from']} -> {hop['to']} (effective {hop['effective']})"))
    return [f"{name:<10}  {value}" for name, value in rows]


@app.command("lookup")
def lookup(
    code: Annotated[str, typer.Argument(help="Agency code in either form: H14 or 000.00.00.H14.")],
    at: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Resolve succession as of this date."),
    ] = None,
    output: OutputOption = None,
) -> None:
    """Print an agency and where its traffic goes (exit 1 if it is not registered)."""
    from gateway.directory import AgencyDirectory, load_registry
    from identifiers import IdentifierError
    from schemas.errors import ErrorBody, ErrorDetail

    settings = load_settings()
    try:
        directory = AgencyDirectory(load_registry(settings))
        found = directory.lookup(code, at.date() if at is not None else None)
    except IdentifierError as error:
        # The API's error body, on stderr: the same shape a client of /api/v1/agencies sees.
        detail = ErrorDetail(code=error.code, message=error.message, field=error.field)
        exit_with(ErrorBody(error=detail).model_dump_json(indent=2), EXIT_REGISTRY_ERROR)
    emit(found.model_dump(mode="json"), output, _lookup_table)
