"""The ``deliveries`` and ``replay`` commands, every form as scripts call them, on a node's
SQLite database prepared with failed copies and three people (CliRunner, in-process)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from gateway.cli import app
from gateway.core.systems import SystemAdmin
from gateway.runtime import Runtime, open_runtime
from gateway.settings import get_settings
from tests.gateway.store.conftest import NOW, accepted, plan

PASSWORD = "correct horse battery"


@dataclasses.dataclass
class Node:
    """A prepared data directory: its environment and the failed copies' ids."""

    env: dict[str, str]
    failed: list[str]

    def run(self, *args: str, password: bool = True, who: str = PASSWORD) -> Result:
        """Run ``python -m gateway ARGS`` on this node (the password on stdin)."""
        return CliRunner().invoke(
            app, list(args), env=self.env, input=f"{who}\n" if password else None
        )


async def _prepare(env: dict[str, str]) -> list[str]:
    settings = get_settings(
        data_dir=Path(env["GATEWAY_DATA_DIR"]),
        secret_key=env["GATEWAY_SECRET_KEY"],
        run_workers=False,
    )
    async with open_runtime(settings, workers=False) as runtime:
        assert isinstance(runtime, Runtime)
        admin = SystemAdmin(
            runtime.store, runtime.exchange.secrets, runtime.registry, runtime.clock
        )
        await admin.add("sys-b", ["H41"])
        for name, role in (("olga", "operator"), ("oscar", "operator"), ("audrey", "auditor")):
            await runtime.people.add(name, role, password=PASSWORD)
        codes = tuple((f"000.00.{n}.H41", "sys-b") for n in range(10, 14))
        p = await accepted(runtime.store, plan(recipients=codes))
        ids = [r.delivery_id for r in p.recipients]
        for copy_id in ids:
            await runtime.store.confirm(
                copy_id,
                done=False,
                actor="sys-b",
                now=NOW,
                max_failures=1,
                retry_at=lambda _: NOW,
                reason="disk full",
            )
        return ids


@pytest.fixture
def node(tmp_path: Path) -> Node:
    """A migrated node database with four failed copies for sys-b; approval threshold 2."""
    env = {
        "GATEWAY_DATA_DIR": str(tmp_path / "var"),
        "GATEWAY_SECRET_KEY": "k" * 40,
        "GATEWAY_REPLAY_APPROVAL_THRESHOLD": "2",
        "GATEWAY_LOG_LEVEL": "WARNING",
    }
    return Node(env, asyncio.run(_prepare(env)))


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_deliveries_list_filters_and_counts(node: Node) -> None:
    """`deliveries list --state --sender --recipient --since --until --json` lists and counts."""
    page = _json(node.run("deliveries", "list", "--state", "failed", "--json", password=False))
    assert {c["delivery_id"] for c in page["items"]} == set(node.failed)
    assert page["counts"]["failed"] == 4
    assert page["items"][0]["updated_at"].endswith("+07:00")
    narrow = node.run(
        "deliveries", "list", "--state", "failed", "--sender", "000.00.01.H14",
        "--recipient", "000.00.10.H41", "--since", "2026-03-02T07:00:00+07:00",
        "--until", "2026-03-03T00:00:00", "--json", password=False,
    )  # fmt: skip
    assert [c["delivery_id"] for c in _json(narrow)["items"]] == [node.failed[0]]
    table = node.run("deliveries", "list", "--table", password=False)
    assert table.exit_code == 0
    assert "counts: queued 0  available 0" in table.stdout
    bad = node.run("deliveries", "list", "--state", "lost", password=False)
    assert bad.exit_code == 2


def test_deliveries_show_and_stuck(node: Node) -> None:
    """`deliveries show` prints a copy (unknown: exit 1, its code); `stuck` a page."""
    detail = _json(node.run("deliveries", "show", node.failed[0], "--json", password=False))
    assert detail["copy"]["fail_code"] == "RECEIVER_FAILED"
    assert [e["kind"] for e in detail["events"]][-1] == "failed"
    table = node.run("deliveries", "show", node.failed[0], "--table", password=False)
    assert "replayable" in table.stdout
    unknown = node.run("deliveries", "show", "nope", password=False)
    assert unknown.exit_code == 1
    assert "DELIVERY_UNKNOWN" in unknown.output
    assert _json(node.run("deliveries", "stuck", "--json", password=False))["items"] == []


def test_replay_ids_runs_at_once_up_to_the_threshold(node: Node) -> None:
    """`replay ID ID --as U --reason T` replays both now; again, they are skipped."""
    ids = node.failed[:2]
    results = _json(node.run("replay", *ids, "--as", "olga", "--reason", "disk replaced", "--json"))
    assert [r["outcome"] for r in results] == ["replayed", "replayed"]
    again = _json(node.run("replay", ids[0], "--as", "olga", "--reason", "again", "--json"))
    assert again[0]["outcome"] == "skipped"
    wrong = node.run("replay", ids[0], "--as", "olga", "--reason", "r", who="wrong password")
    assert wrong.exit_code == 1
    assert "AUTH_PASSWORD" in wrong.output


def test_replay_more_ids_prints_a_request_others_approve(node: Node) -> None:
    """Ids above the threshold make a request that only another operator may approve."""
    made = _json(node.run("replay", *node.failed[:3], "--as", "olga", "--reason", "bulk", "--json"))
    request_id = made["request_id"]
    assert made["state"] == "pending"
    assert made["total"] == 3
    own = node.run("replay", "approve", request_id, "--as", "olga", "--json")
    assert own.exit_code == 1
    assert "REPLAY_SELF_APPROVAL" in own.output
    approved = _json(node.run("replay", "approve", request_id, "--as", "oscar", "--json"))
    assert approved["state"] == "approved"
    assert approved["decided_by"] == "oscar"
    listed = _json(node.run("replay", "list", "--json", password=False))
    assert [r["request_id"] for r in listed] == [request_id]
    shown = node.run("replay", "show", request_id, "--table", password=False)
    assert "[--------------------] 0/3" in shown.stdout
    table = node.run("replay", "list", "--table", password=False)
    assert request_id in table.stdout


def test_replay_by_filter_is_always_a_request_and_can_be_rejected(node: Node) -> None:
    """`replay --state failed ...` makes a request; `replay reject` rejects it."""
    made = _json(
        node.run(
            "replay",
            "--state",
            "failed",
            "--recipient",
            "000.00.11.H41",
            "--sender",
            "000.00.01.H14",
            "--since",
            "2026-03-01T00:00:00+07:00",
            "--as",
            "olga",
            "--reason",
            "one agency",
            "--json",
        )
    )
    assert made["total"] == 1
    assert made["selection"]["filter"]["recipient"] == "000.00.11.H41"
    auditor = node.run("replay", "reject", made["request_id"], "--as", "audrey", "--reason", "no")
    assert auditor.exit_code == 1
    assert "AUTH_ROLE" in auditor.output
    rejected = _json(
        node.run(
            "replay",
            "reject",
            made["request_id"],
            "--as",
            "oscar",
            "--reason",
            "wrong set",
            "--json",
        )
    )
    assert rejected["state"] == "rejected"
    assert rejected["decision_reason"] == "wrong set"


def test_replay_refuses_malformed_command_lines(node: Node) -> None:
    """Ids with filters, neither, another state, or no --as exit 2 naming the problem."""
    both = node.run("replay", node.failed[0], "--state", "failed", "--as", "olga", "--reason", "r")
    assert both.exit_code == 2
    neither = node.run("replay", "--as", "olga", "--reason", "r")
    assert neither.exit_code == 2
    other = node.run("replay", "--state", "received", "--as", "olga", "--reason", "r")
    assert other.exit_code == 2
    nobody = node.run("replay", node.failed[0], "--reason", "r")
    assert nobody.exit_code == 2
    assert "--as" in nobody.output


def test_approve_wait_follows_the_run_with_a_progress_bar(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`replay approve --wait` polls the request until its run leaves `approved`."""
    from gateway.cli.replay import _follow
    from gateway.core.replay_model import Progress, ReplayRequest, RequestState

    def state(done: int, which: RequestState) -> ReplayRequest:
        return ReplayRequest(
            "r", which, "x", {}, 3, "olga", NOW, NOW, progress=Progress(3, done, done)
        )

    answers = [state(0, RequestState.APPROVED), state(0, RequestState.APPROVED),
               state(2, RequestState.APPROVED), state(3, RequestState.DONE)]  # fmt: skip

    class Replays:
        async def get(self, actor: object, request_id: str) -> ReplayRequest:
            return answers.pop(0)

    console: Any = dataclasses.make_dataclass("C", ["replays"])(Replays())
    finished = asyncio.run(_follow(console, None, "r", every=0))
    assert finished.state is RequestState.DONE
    assert answers == []
    assert capsys.readouterr().out == ""  # the bar goes to stderr, never into the answer
