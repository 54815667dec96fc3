"""The replay runner: approved requests run to their end, poison and unknown requests rejected,
store failures retried, unfinished runs resumed at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from connectors.bus import Message, Reject, Retry
from gateway.core import work
from gateway.core.errors import StoreUnavailable
from gateway.core.replay_model import Progress, ReplayRequest, RequestState
from gateway.workers.relay import to_message
from gateway.workers.replayer import ReplayRunner, resume
from tests.gateway.store.conftest import NOW


class FakeReplays:
    """Replays that record what the runner asks."""

    def __init__(self, known: dict[str, ReplayRequest], *, failing: bool = False) -> None:
        self.known = known
        self.failing = failing
        self.ran: list[str] = []

    async def run_all(self, request_id: str) -> ReplayRequest | None:
        """The request, run (or a database failure)."""
        if self.failing:
            raise StoreUnavailable("database error")
        self.ran.append(request_id)
        return self.known.get(request_id)

    async def unfinished(self) -> list[str]:
        """Every known request still approved."""
        return [r for r, v in self.known.items() if v.state is RequestState.APPROVED]


class FakeBus:
    """A bus that keeps what is published."""

    def __init__(self) -> None:
        self.published: list[Message] = []

    async def publish(self, messages: Sequence[Message]) -> None:
        """Keep ``messages``."""
        self.published.extend(messages)


def _request(request_id: str, state: RequestState) -> ReplayRequest:
    return ReplayRequest(
        request_id, state, "r", {}, 2, "olga", NOW, NOW, progress=Progress(2, 2, 2)
    )


async def test_a_message_runs_its_request() -> None:
    """A replay message runs the named request to its end."""
    replays = FakeReplays({"r-1": _request("r-1", RequestState.DONE)})
    await ReplayRunner(replays).handle(to_message(work.replay("r-1")))  # type: ignore[arg-type]
    assert replays.ran == ["r-1"]


async def test_poison_unknown_and_failing_messages() -> None:
    """Poison and unknown requests are rejected; a database failure is retried."""
    runner = ReplayRunner(FakeReplays({}))  # type: ignore[arg-type]
    with pytest.raises(Reject):
        await runner.handle(Message(topic="replay", body=b"{}", message_id="replay:x"))
    with pytest.raises(Reject):
        await runner.handle(to_message(work.replay("nope")))
    failing = ReplayRunner(FakeReplays({}, failing=True))  # type: ignore[arg-type]
    with pytest.raises(Retry):
        await failing.handle(to_message(work.replay("r-1")))


async def test_start_up_resumes_unfinished_runs() -> None:
    """Every approved request not finished gets a sweep message (a tagged repeat)."""
    replays: Any = FakeReplays(
        {"a": _request("a", RequestState.APPROVED), "b": _request("b", RequestState.DONE)}
    )
    bus: Any = FakeBus()
    assert await resume(replays, bus) == 1
    assert [m.message_id for m in bus.published] == ["replay:a:sweep"]
    assert work.parse_replay(bus.published[0].body) == "a"
