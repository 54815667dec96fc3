"""``replay``: send failed copies back to work, and the four-eyes replay requests
(docs/console.md "Replay and four-eyes approval").

Both forms of the group work as written::

    python -m gateway replay DELIVERY_ID... --as USERNAME --reason TEXT
    python -m gateway replay --state failed [--recipient CODE] [--sender CODE] [--since ISO] \\
        --as USERNAME --reason TEXT
    python -m gateway replay list [--json]
    python -m gateway replay show REQUEST_ID [--json]
    python -m gateway replay approve REQUEST_ID --as USERNAME [--wait]
    python -m gateway replay reject REQUEST_ID --as USERNAME --reason TEXT

The first form replays at once up to ``GATEWAY_REPLAY_APPROVAL_THRESHOLD`` copies (one result
per copy), else prints the new request's id; the filter form always creates a request. A
group's positional ids would swallow the subcommand names, so :class:`ReplayGroup` sends every
command line that does not start with a subcommand to the hidden ``run`` command. ``--as`` is
required: a replay names its person, and the approver must be another one.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from gateway.cli.deliveries import (
    Console,
    RecipientOption,
    SenderOption,
    SinceOption,
    StateOption,
    UntilOption,
    parse_time,
    state_of,
    with_console,
)
from gateway.cli.output import OutputOption, columns, emit, exit_with, note, record_lines
from gateway.exits import EXIT_CONFIG


class ReplayGroup(TyperGroup):
    """``replay``'s group: a command line that names no subcommand is the ``run`` command's."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's own click Context
        """Route ``replay ID... --as ...`` and ``replay --state ...`` to ``run``."""
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=ReplayGroup,
    help="Replay failed copies (replay ID... or replay --state failed ...), and the replay "
    "requests another person approves: list, show, approve, reject.",
    no_args_is_help=True,
)

AsRequired = Annotated[
    str,
    typer.Option(
        "--as",
        help="Act as this user (password from the terminal, or the first line of stdin).",
        show_default=False,
    ),
]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (kept with the copies and in the audit log).")
]
RequestArgument = Annotated[str, typer.Argument(help="The replay request's id.")]
#: Columns of ``replay list`` as a table.
LIST_COLUMNS = ("request_id", "state", "requested_by", "requested_at", "decided_by", "progress")
BAR_WIDTH = 20


def bar(progress: dict[str, Any], width: int = BAR_WIDTH) -> str:
    """A text progress bar: ``[#####---------------] 5/20``."""
    total, done = int(progress["total"]), int(progress["done"])
    filled = width if total == 0 else (done * width) // total
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


def request_json(request: Any) -> dict[str, Any]:
    """A request as the admin API shows it."""
    from gateway.api.replays import request_info

    return request_info(request).model_dump(mode="json", by_alias=True)


def _request_table(record: dict[str, Any]) -> Iterable[str]:
    shown = {k: v for k, v in record.items() if k not in ("progress", "selection")}
    yield from record_lines({**shown, "progress": bar(record["progress"])})


def _requests_table(records: list[dict[str, Any]]) -> Iterable[str]:
    rows: list[Mapping[str, Any]] = [{**r, "progress": bar(r["progress"])} for r in records]
    yield from columns(rows, LIST_COLUMNS)


def _results_table(results: list[Mapping[str, Any]]) -> Iterable[str]:
    yield from columns(results, ("delivery_id", "outcome", "state", "system_id", "reason"))


@app.command("run", hidden=True)
def run(
    delivery_ids: Annotated[
        list[str] | None, typer.Argument(help="Copies to replay.", show_default=False)
    ] = None,
    as_: AsRequired = "",
    reason: ReasonOption = "",
    state: StateOption = None,
    sender: SenderOption = None,
    recipient: RecipientOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    output: OutputOption = None,
) -> None:
    """Replay these copies (at once up to the threshold, else a request), or request the
    replay of every failed copy matching --state failed and the filters."""
    from gateway.core.deliveries_admin import DeliveryFilter
    from gateway.core.model import DeliveryState

    ids = list(delivery_ids or [])
    filtering = any(v is not None for v in (state, sender, recipient, since, until))
    if not as_:
        exit_with("--as USERNAME is required: a replay names its person", EXIT_CONFIG)
    if not reason.strip():
        exit_with("--reason TEXT is required", EXIT_CONFIG)
    if ids and filtering:
        exit_with("give copy ids or filters (--state failed ...), not both", EXIT_CONFIG)
    if not ids and not filtering:
        exit_with("give copy ids, or --state failed with filters", EXIT_CONFIG)
    criteria = None
    if filtering:
        if state_of(state) is not DeliveryState.FAILED:
            exit_with("--state failed: only failed copies are replayed", EXIT_CONFIG)
        criteria = DeliveryFilter(
            state=DeliveryState.FAILED,
            sender=sender,
            recipient=recipient,
            since=parse_time(since, "--since"),
            until=parse_time(until, "--until"),
        )

    async def action(console: Console) -> None:
        from gateway.cli.actor import resolve_actor

        actor = await resolve_actor(console.people, as_)
        if criteria is not None:
            request = await console.replays.request(actor, reason, criteria=criteria)
        else:
            answer = await console.replays.replay(actor, ids, reason)
            if answer.request is None:
                from gateway.api.replays import item_result

                results = [item_result(r).model_dump(mode="json") for r in answer.results]
                emit(results, output, _results_table)
                return
            request = answer.request
        note(
            f"replay request {request.request_id} ({request.total} copies) waits for another "
            f"person: replay approve {request.request_id} --as USERNAME"
        )
        emit(request_json(request), output, _request_table)

    with_console(action)


@app.command("list")
def list_(
    limit: Annotated[int, typer.Option(min=1, max=500, help="Most requests listed.")] = 100,
    output: OutputOption = None,
) -> None:
    """The latest replay requests, newest first, with their state and progress."""

    async def action(console: Console) -> None:
        from gateway.cli.deliveries import acting

        found = await console.replays.list_requests(await acting(console, None), limit)
        emit([request_json(r) for r in found], output, _requests_table)

    with_console(action)


@app.command("show")
def show(request_id: RequestArgument, output: OutputOption = None) -> None:
    """One replay request with its decision and a progress bar."""

    async def action(console: Console) -> None:
        from gateway.cli.deliveries import acting

        found = await console.replays.get(await acting(console, None), request_id)
        emit(request_json(found), output, _request_table)

    with_console(action)


async def _follow(console: Console, actor: Any, request_id: str, every: float = 0.5) -> Any:
    """Show a progress bar until the request's background run finishes (the node runs it)."""
    request = await console.replays.get(actor, request_id)
    with typer.progressbar(
        length=max(request.total, 1), label="replaying", file=sys.stderr
    ) as shown:
        done = 0
        while True:
            request = await console.replays.get(actor, request_id)
            shown.update(request.progress.done - done)
            done = request.progress.done
            if request.state.value != "approved":
                return request
            await asyncio.sleep(every)


@app.command("approve")
def approve(
    request_id: RequestArgument,
    as_: AsRequired,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Show a progress bar until the node has run the request."),
    ] = False,
    output: OutputOption = None,
) -> None:
    """Approve another person's replay request; the node replays its copies in the background."""

    async def action(console: Console) -> None:
        from gateway.cli.actor import resolve_actor

        actor = await resolve_actor(console.people, as_)
        request = await console.replays.approve(actor, request_id)
        if wait:
            request = await _follow(console, actor, request_id)
        emit(request_json(request), output, _request_table)

    with_console(action)


@app.command("reject")
def reject(
    request_id: RequestArgument,
    as_: AsRequired,
    reason: ReasonOption,
    output: OutputOption = None,
) -> None:
    """Reject a pending replay request with a reason."""

    async def action(console: Console) -> None:
        from gateway.cli.actor import resolve_actor

        actor = await resolve_actor(console.people, as_)
        emit(
            request_json(await console.replays.reject(actor, request_id, reason)),
            output,
            _request_table,
        )

    with_console(action)
