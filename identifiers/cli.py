"""Command line: ``python -m identifiers parse|resolve|export``.

Output is JSON (or CSV for ``export --format csv``) on stdout, UTF-8. Exit codes: 0 success (for
``resolve``: the agency was found), 1 ``resolve`` ended unknown, closed without successor or
suspended (the JSON is still printed), 2 usage or registry-file error with a coded message on
stderr (``CLI_USAGE: ...``, ``REGISTRY_FILE ...``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import NoReturn, TextIO

from identifiers.code import AgencyCode
from identifiers.errors import IdentifierError
from identifiers.registry import Registry

EXIT_OK = 0
EXIT_NOT_DELIVERABLE = 1
EXIT_USAGE = 2


class _UsageError(Exception):
    """A command-line usage problem; printed as ``CLI_USAGE: ...``."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message}\n{self.format_usage().rstrip()}")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m identifiers``."""
    parser = _Parser(
        prog="python -m identifiers",
        description="Agency codes: parse both forms, resolve through the registry, export it.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parse = commands.add_parser("parse", help="parse codes; prints a JSON array")
    parse.add_argument("codes", nargs="+", metavar="CODE")
    registry_help = "registry file, .csv or .json (default: the bundled registry with demo set)"
    no_demo_help = "leave the demo set out of the bundled registry"
    resolve = commands.add_parser("resolve", help="resolve a code, following successors")
    resolve.add_argument("code", metavar="CODE")
    resolve.add_argument("--registry", metavar="FILE", help=registry_help)
    resolve.add_argument("--no-demo", action="store_true", help=no_demo_help)
    resolve.add_argument("--at", type=_iso_date, metavar="YYYY-MM-DD", help="default: today")
    export = commands.add_parser("export", help="write the registry to stdout")
    export.add_argument("--registry", metavar="FILE", help=registry_help)
    export.add_argument("--no-demo", action="store_true", help=no_demo_help)
    export.add_argument("--format", choices=("csv", "json"), default="json")
    return parser


def _registry(args: argparse.Namespace) -> Registry:
    if args.registry is None:
        return Registry.load_default(demo=not args.no_demo)
    return Registry.load(args.registry)


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def _run(args: argparse.Namespace, stdout: TextIO) -> int:
    if args.command == "parse":
        stdout.write(_dump([AgencyCode.parse(code).to_dict() for code in args.codes]))
        return EXIT_OK
    registry = _registry(args)
    if args.command == "resolve":
        resolution = registry.resolve(args.code, at=args.at)
        stdout.write(_dump(resolution.to_dict()))
        return EXIT_OK if resolution.found else EXIT_NOT_DELIVERABLE
    text = registry.to_csv_text() if args.format == "csv" else registry.to_json_text()
    stdout.write(text)
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run the command line and return its exit code."""
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    try:
        args = build_parser().parse_args(argv)
        return _run(args, out)
    except _UsageError as error:
        err.write(f"CLI_USAGE: {error}\n")
    except IdentifierError as error:
        err.write(f"{error}\n")
    return EXIT_USAGE
