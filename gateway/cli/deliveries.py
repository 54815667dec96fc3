"""``deliveries list|show|stuck``: the node-wide view of copies (docs/console.md "Deliveries").

The commands read the configured store (which they never create) through the same use cases as
the admin API (:class:`gateway.core.deliveries_admin.DeliveriesAdmin`), and print the same
records as ``/api/v1/admin/deliveries`` (timestamps in +07:00). ``--as USERNAME`` signs a person
in (their password from the terminal or stdin); without it the command reads as ``cli``, the
person at the node's machine, with the auditor's read-only rights. :func:`with_console` is also
what the ``replay`` commands run on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import typer

from gateway.cli.actor import AsOption
from gateway.cli.context import run_store_command, store_settings
from gateway.cli.output import OutputOption, columns, emit, exit_with, record_lines
from gateway.exits import EXIT_CONFIG

app = typer.Typer(help="The node-wide view of copies: list, show, stuck.", no_args_is_help=True)

#: Columns of ``deliveries list`` as a table (every field in the JSON).
LIST_COLUMNS = ("delivery_id", "state", "from", "to", "system_id", "updated_at", "fail_code")


@dataclass
class Console:
    """What the deliveries and replay commands work with."""

    deliveries: Any  # gateway.core.deliveries_admin.DeliveriesAdmin
    replays: Any  # gateway.core.replay.Replays
    people: Any  # gateway.core.people.People
    clock: Any
    store: Any


def parse_time(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 instant given on the command line; without an offset it is +07:00."""
    if text is None:
        return None
    from gateway.core.clock import VN_TZ

    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        exit_with(f"{option}: {value!r} is not an ISO 8601 instant", EXIT_CONFIG)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VN_TZ)


def with_console(action: Callable[[Console], Awaitable[None]]) -> None:
    """Run ``action(console)`` on the configured database (store, calendar, people, audit)."""
    from business_calendar.calendar import CalendarError
    from edxml import Limits
    from gateway.core.clock import SystemClock
    from gateway.directory import load_registry
    from gateway.logging import configure_logging
    from gateway.runtime import admin_use_cases, open_calendar, open_people, open_store

    settings = store_settings()
    # stdout carries the command's answer; only warnings and errors are logged (stderr).
    configure_logging("WARNING", json=settings.log_json)

    async def run() -> None:
        clock = SystemClock()
        async with open_store(settings, create=False) as store:
            try:
                calendar = await open_calendar(settings, store, clock)
            except CalendarError as error:
                exit_with(str(error), EXIT_CONFIG)
            people, audit = open_people(settings, store, clock)
            deliveries, replays = admin_use_cases(
                settings,
                store,
                load_registry(settings),
                clock,
                calendar.legal,
                audit,
                None,  # the node's relay publishes the work this command writes
                Limits(max_package_bytes=settings.max_package_bytes),
            )
            await action(Console(deliveries, replays, people, clock, store))

    run_store_command(run)


async def acting(console: Console, username: str | None) -> Any:
    """The person ``--as`` names (signed in with their password), or the read-only ``cli``."""
    from gateway.core.actors import Actor, Channel, Role

    if username is None:
        return Actor("cli", Role.AUDITOR, Channel.CLI)
    from gateway.cli.actor import resolve_actor

    return await resolve_actor(console.people, username)


def copy_json(copy: Any) -> dict[str, Any]:
    """A copy as the admin API shows it."""
    from gateway.api.deliveries_admin import admin_copy

    return admin_copy(copy).model_dump(mode="json", by_alias=True)


def page_json(page: Any) -> dict[str, Any]:
    """A page of copies with its counts (``more``: a further page exists)."""
    return {
        "items": [copy_json(c) for c in page.items],
        "counts": dict(page.counts),
        "more": page.next_position is not None,
    }


def _page_table(page: dict[str, Any]) -> Iterable[str]:
    yield from columns(page["items"], LIST_COLUMNS)
    counts = "  ".join(f"{state} {n}" for state, n in page["counts"].items())
    yield f"counts: {counts}"
    if page["more"]:
        yield "(more: narrow the filters or raise --limit)"


StateOption = Annotated[
    str | None,
    typer.Option("--state", help="queued, available, forwarded, received, failed or removed."),
]
SenderOption = Annotated[str | None, typer.Option("--sender", help="Sender agency code.")]
RecipientOption = Annotated[str | None, typer.Option("--recipient", help="Recipient agency code.")]
SinceOption = Annotated[
    str | None, typer.Option("--since", help="Changed at or after (ISO 8601; +07:00 if bare).")
]
UntilOption = Annotated[str | None, typer.Option("--until", help="Changed before (ISO 8601).")]


def state_of(text: str | None) -> Any:
    """The state ``--state`` names (exit 2 naming the choices otherwise)."""
    from gateway.core.model import DeliveryState

    if text is None:
        return None
    try:
        return DeliveryState(text.strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in DeliveryState)
        exit_with(f"--state: {text!r} is not one of {names}", EXIT_CONFIG)


@app.command("list")
def list_(
    state: StateOption = None,
    sender: SenderOption = None,
    recipient: RecipientOption = None,
    subtree: Annotated[
        bool, typer.Option("--subtree", help="Also every agency under --recipient.")
    ] = False,
    fail_code: Annotated[
        str | None, typer.Option("--fail-code", help="Failure code, e.g. ROUTE_NO_SYSTEM.")
    ] = None,
    system: Annotated[
        str | None, typer.Option("--system", help="Copies this system sends or receives.")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Most copies listed.")] = 100,
    as_: AsOption = None,
    output: OutputOption = None,
) -> None:
    """List the node's copies, most recently changed first, with the count per state."""
    from gateway.core.deliveries_admin import DeliveryFilter

    criteria = DeliveryFilter(
        state=state_of(state),
        sender=sender,
        recipient=recipient,
        subtree=subtree,
        fail_code=fail_code,
        system=system,
        since=parse_time(since, "--since"),
        until=parse_time(until, "--until"),
    )

    async def action(console: Console) -> None:
        actor = await acting(console, as_)
        page = await console.deliveries.list(actor, criteria, limit=limit)
        emit(page_json(page), output, _page_table)

    with_console(action)


@app.command("stuck")
def stuck(
    limit: Annotated[int, typer.Option(min=1, max=500, help="Most copies listed.")] = 100,
    as_: AsOption = None,
    output: OutputOption = None,
) -> None:
    """Copies waiting too long: available but unconfirmed after GATEWAY_STUCK_AVAILABLE_HOURS
    working hours, queued or forwarded longer than GATEWAY_STUCK_MOVING_MINUTES."""

    async def action(console: Console) -> None:
        actor = await acting(console, as_)
        page = await console.deliveries.stuck(actor, limit=limit)
        emit(page_json(page), output, _page_table)

    with_console(action)


def _detail_table(detail: dict[str, Any]) -> Iterable[str]:
    copy = detail["copy"]
    yield from record_lines(
        {
            "delivery_id": copy["delivery_id"],
            "document_id": copy["document_id"],
            "state": copy["state"],
            "from": copy["from"],
            "to": copy["to"],
            "system_id": copy["system_id"],
            "fail_code": copy["fail_code"],
            "last_error": copy["last_error"],
            "subject": detail["document"].get("subject"),
            "sent_at": detail["legal"].get("sent_at"),
            "time_in_failure_s": detail["time_in_failure_seconds"],
            "replayable": detail["replayable"],
        }
    )
    yield ""
    yield from columns(
        [
            {"at": e["at"], "kind": e["kind"], "actor": e["actor"], "detail": e["detail"]}
            for e in detail["events"]
        ]
    )


@app.command("show")
def show(
    delivery_id: Annotated[str, typer.Argument(help="The copy's id.")],
    as_: AsOption = None,
    output: OutputOption = None,
) -> None:
    """One copy: every event (time, actor), attempts, time in failure, legal times, the
    package's header facts and attachments (never content), its trace per hop, statuses."""

    async def action(console: Console) -> None:
        from gateway.api.deliveries_admin import copy_detail

        actor = await acting(console, as_)
        detail = await console.deliveries.detail(actor, delivery_id)
        body = copy_detail(detail, console.clock.now()).model_dump(mode="json", by_alias=True)
        emit(body, output, _detail_table)

    with_console(action)
