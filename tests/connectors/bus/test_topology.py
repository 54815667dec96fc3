"""The topology as data: names from the prefix, routes that return retries home, shipped file."""

from __future__ import annotations

import json

import pytest

from connectors.bus import DEFAULT_RETRY, Names, RetryPolicy, definitions_json, topology
from connectors.bus.__main__ import main
from connectors.bus.topology import Topology, delay_ms
from tests.conftest import ROOT

SHIPPED = ROOT / "deploy" / "rabbitmq" / "definitions.json"


def matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: ``*`` is exactly one word, ``#`` zero or more."""

    def match(words: list[str], parts: list[str]) -> bool:
        if not words:
            return not parts
        if words[0] == "#":
            return any(match(words[1:], parts[i:]) for i in range(len(parts) + 1))
        return bool(parts) and words[0] in ("*", parts[0]) and match(words[1:], parts[1:])

    return match(pattern.split("."), key.split("."))


def route(spec: Topology, exchange: str, key: str) -> list[str]:
    """The queues a message published to ``exchange`` with ``key`` reaches."""
    kinds = {e["name"]: e["type"] for e in spec["exchanges"]}
    return [
        b["destination"]
        for b in spec["bindings"]
        if b["source"] == exchange
        and (
            b["routing_key"] == key
            if kinds[exchange] == "direct"
            else matches(b["routing_key"], key)
        )
    ]


def test_the_shipped_definitions_equal_the_generated_ones() -> None:
    """deploy/rabbitmq/definitions.json is `python -m connectors.bus` output (regenerate it)."""
    assert SHIPPED.read_text(encoding="utf-8") == definitions_json(), (
        "regenerate: python -m connectors.bus > deploy/rabbitmq/definitions.json"
    )


def test_every_name_derives_from_the_prefix() -> None:
    """All exchanges and queues start with the prefix, so nodes and tests can share a broker."""
    spec = topology("hcm", ("route",), RetryPolicy((1, 5)))
    names = [e["name"] for e in spec["exchanges"]] + [q["name"] for q in spec["queues"]]
    assert all(name.startswith("hcm.") for name in names)
    assert sorted(q["name"] for q in spec["queues"]) == [
        "hcm.delay.1000",
        "hcm.delay.5000",
        "hcm.route",
        "hcm.route.dead",
        "hcm.route.urgent",
    ]


def test_every_queue_is_a_durable_quorum_queue() -> None:
    """Work, delay and dead-letter queues are durable quorum queues."""
    for queue in topology()["queues"]:
        assert queue["durable"] is True
        assert queue["arguments"]["x-queue-type"] == "quorum"


def test_delay_queues_hold_messages_for_their_delay_then_send_them_back() -> None:
    """One delay queue per distinct delay: a TTL, then at-least-once back to the work exchange."""
    spec = topology("gw", ("route",), RetryPolicy((0.05, 1, 1, 600)))
    delays = {q["name"]: q["arguments"] for q in spec["queues"] if ".delay." in q["name"]}
    assert sorted(delays) == ["gw.delay.1000", "gw.delay.50", "gw.delay.600000"]
    assert delays["gw.delay.50"] == {
        "x-queue-type": "quorum",
        "x-message-ttl": 50,
        "x-dead-letter-exchange": "gw.work",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


@pytest.mark.parametrize("urgent", [False, True])
@pytest.mark.parametrize("topic", ["route", "forward", "notify"])
def test_publishes_retries_and_dead_letters_reach_exactly_their_queue(
    topic: str, urgent: bool
) -> None:
    """Each routing key reaches one queue; a retry comes back to the queue it left."""
    spec = topology()
    names = Names("gw")
    home = names.queue(topic, urgent=urgent)
    assert route(spec, names.work_exchange, names.work_key(topic, urgent=urgent)) == [home]
    for delay in DEFAULT_RETRY.delays:
        ms = delay_ms(delay)
        key = names.retry_key(topic, urgent=urgent, milliseconds=ms)
        assert route(spec, names.retry_exchange, key) == [names.delay_queue(ms)]
        # After the TTL the broker dead-letters it to the work exchange with the same key.
        assert route(spec, names.work_exchange, key) == [home]
    assert route(spec, names.dead_exchange, topic) == [names.dead_queue(topic)]


def test_bindings_connect_declared_things_only() -> None:
    """Every binding names a declared exchange and a declared queue."""
    spec = topology()
    exchanges = {e["name"] for e in spec["exchanges"]}
    queues = {q["name"] for q in spec["queues"]}
    for binding in spec["bindings"]:
        assert binding["source"] in exchanges
        assert binding["destination"] in queues


@pytest.mark.parametrize("prefix", ["", ".gw", "gw node", "a" * 101])
def test_bad_prefixes_are_refused(prefix: str) -> None:
    """A prefix is 1-100 safe characters starting with a letter or digit."""
    with pytest.raises(ValueError, match="prefix"):
        topology(prefix)


def test_the_command_line_renders_other_vhosts_prefixes_and_delays(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`python -m connectors.bus --prefix ... --vhost ...` prints importable definitions."""
    assert main(["--prefix", "hcm", "--topics", "route", "--delays", "2,10", "--vhost", "hcm"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {item["vhost"] for kind in data.values() for item in kind} == {"hcm"}
    assert sorted(q["name"] for q in data["queues"]) == [
        "hcm.delay.10000",
        "hcm.delay.2000",
        "hcm.route",
        "hcm.route.dead",
        "hcm.route.urgent",
    ]


def test_the_command_line_refuses_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    """A bad topic exits with status 2 and names the problem."""
    with pytest.raises(SystemExit) as caught:
        main(["--topics", "Route.Urgent"])
    assert caught.value.code == 2
    assert "Route.Urgent" in capsys.readouterr().err
