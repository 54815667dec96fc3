"""The node's command line: ``python -m gateway <command>`` (also installed as ``truc-gateway``).

Commands: ``serve`` (run the node with uvicorn), ``version``, ``agencies lookup CODE``. Each command
reads the settings once with :func:`gateway.settings.get_settings`, so the ``GATEWAY_*`` variables
and ``.env`` apply everywhere. Groups of commands are typer sub-apps added to :data:`app` (later:
``worker``, ``migrate``, ``systems ...``). Heavy imports happen inside the commands that need them,
to keep ``version`` and lookups fast.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from gateway import package_version
from gateway.settings import Settings, env_var, get_settings

app = typer.Typer(
    name="gateway",
    help="Axis node for Vietnam's inter-agency e-document exchange.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
agencies_app = typer.Typer(help="The agency registry the node routes by.", no_args_is_help=True)
app.add_typer(agencies_app, name="agencies")

#: Exit status when the configuration is refused.
EXIT_CONFIG = 2
#: Exit status when a lookup fails with a coded registry error (e.g. AGENCY_UNKNOWN).
EXIT_REGISTRY_ERROR = 1


def _fail(message: str, status: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(status)


def _settings(**overrides: Any) -> Settings:
    """Read the settings, overridden by the options given; exit 2 naming each bad variable."""
    try:
        return get_settings(
            **{name: value for name, value in overrides.items() if value is not None}
        )
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            name = ".".join(str(part) for part in problem["loc"])
            prefix = f"{env_var(name)}: " if name else ""
            lines.append(f"  {prefix}{problem['msg'].removeprefix('Value error, ')}")
        _fail("configuration refused:\n" + "\n".join(lines), EXIT_CONFIG)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default: GATEWAY_HOST).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="TCP port to listen on (default: GATEWAY_PORT)."),
    ] = None,
) -> None:
    """Run the node: the native API, its docs at /docs, probes at /healthz and /readyz."""
    settings = _settings(host=host, port=port)
    import uvicorn

    from gateway.app import create_app

    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        lifespan="on",
        log_config=None,  # create_app configured logging; uvicorn's records go through it
        log_level=settings.log_level.lower(),
        access_log=False,  # the request-context middleware logs each request with its id
        server_header=False,
    )
    uvicorn.Server(config).run()


@app.command()
def version() -> None:
    """Print the node's version."""
    typer.echo(package_version())


@agencies_app.command("lookup")
def agencies_lookup(
    code: Annotated[str, typer.Argument(help="Agency code in either form: H14 or 000.00.00.H14.")],
    at: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Resolve succession as of this date."),
    ] = None,
) -> None:
    """Print an agency and where its traffic goes, as JSON (exit 1 if it is not registered)."""
    from gateway.directory import AgencyDirectory, load_registry
    from identifiers import IdentifierError
    from schemas.errors import ErrorBody, ErrorDetail

    settings = _settings()
    try:
        directory = AgencyDirectory(load_registry(settings))
        found = directory.lookup(code, at.date() if at is not None else None)
    except IdentifierError as error:
        detail = ErrorDetail(code=error.code, message=error.message, field=error.field)
        _fail(ErrorBody(error=detail).model_dump_json(indent=2), EXIT_REGISTRY_ERROR)
    typer.echo(found.model_dump_json(indent=2))


def main() -> None:
    """Entry point of ``python -m gateway`` and the ``truc-gateway`` script."""
    app()
