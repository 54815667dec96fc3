"""``python -m gateway demo``: three nodes exchange documents, print their timelines (issue 4)."""

from __future__ import annotations

import re

import pytest

from gateway.demo import DemoOptions, run_demo
from gateway.demo.mailbox import Mailbox

NODES = ("Cao Bằng node (H14)", "national node", "Lạng Sơn node (H37)")


def _sections(text: str) -> dict[int, str]:
    """The timeline of each document, by its number."""
    parts = re.split(r"^== Document (\d+): ", text, flags=re.MULTILINE)
    return {int(number): body for number, body in zip(parts[1::2], parts[2::2], strict=True)}


def _hop(tag: str, text: str) -> str:
    """A hop as the timeline prints it after its time: node (or system), then what happened."""
    return f"{tag:<14}  {text}"


def _crossed(section: str) -> list[str]:
    block = section.split("   crossed:\n", 1)[1].split("   hops:", 1)[0]
    return [line.split("  DocId")[0].strip() for line in block.splitlines()]


async def test_the_demo_runs_green_and_shows_every_hop() -> None:
    """Exit 0; each document's timeline shows its nodes, receipt, legal time and statuses."""
    lines: list[str] = []
    errors: list[str] = []
    status = await run_demo(DemoOptions(step_timeout=10), out=lines.append, err=errors.append)
    text = "\n".join(lines)
    assert status == 0, "\n".join(errors) + "\n" + text[-4000:]
    assert errors == []
    assert "Demo finished: every step passed." in text
    docs = _sections(text)
    assert sorted(docs) == [1, 2, 3, 4]

    for number, receiver in ((1, "vpubnd-langson"), (2, "sonv-langson")):
        doc = docs[number]
        assert _crossed(doc) == list(NODES)
        for hop in (
            _hop("H14", "forwarded to the national node"),
            _hop("national", "available to node-h37"),
            _hop("national", "taken on by node-h37"),
            _hop("H37", "accepted from upstream as 000.00.00.H14"),
            _hop("H37", f"confirmed by {receiver} (updateStatus done)"),
            _hop("national", "receipt reported back by node-h37"),
            _hop("H14", "receipt reported back by upstream"),
            _hop(receiver, "has it"),
        ):
            assert hop in doc, (number, hop)
        # The sender's, Cao Bằng's, the national and Lạng Sơn's TraceHeader, in order.
        headers = doc.split("TraceHeaderList as received: ", 1)[1].splitlines()[0]
        assert [h.split()[0] for h in headers.split(" -> ")] == [
            "000.00.00.H14",
            "000.00.00.H14",
            "000.00.00.G22",
            "000.00.00.H37",
        ]
        for code in ("01", "03", "06"):
            (line,) = [ln for ln in doc.splitlines() if ln.strip().startswith(f"{code} ")]
            assert re.search(r"issued \d{4}-\d\d-\d\dT[\d:.]+\+07:00", line), line
            seen = [f"{name} at " for name in ("Lạng Sơn node (H37)", "national node", NODES[0])]
            assert all(part in line for part in seen), line
            assert "taken by vpubnd-caobang at" in line, line
        row = doc.split("getSentEdocList", 1)[1]
        assert "state received" in row
        assert "statusCode 06" in row
        assert re.search(r"legalReceivedTime \d{4}-\d\d-\d\dT\S+\+07:00", row), row
        assert re.search(r"receivedOutOfHours (true|false)", row), row
        for node in NODES:
            assert re.search(
                rf"{re.escape(node)}, copy for \S+: state received, .*received_at \d{{4}}.*"
                r"legal_received_at \d{4}\S+\+07:00 \(out of hours: (yes|no)\)",
                doc,
            ), (number, node)

    for node in ("H14", "national", "H37"):
        assert _hop(node, "revoked by document 4 (business type 1") in docs[1], node
    assert "priority 3" in docs[2]

    local = docs[3]
    assert _crossed(local) == [NODES[0]]
    assert _hop("H14", "confirmed by sonv-caobang (updateStatus done)") in local
    assert "seen by Cao Bằng node (H14) at" in local

    revoke = docs[4]
    assert _crossed(revoke) == list(NODES)
    assert _hop("vpubnd-langson", "has it") in revoke


async def test_a_step_that_times_out_fails_the_demo_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A receiver that never collects: exit 1, the step named, the timelines still printed."""

    async def collect_nothing(self: Mailbox, kind: str) -> None:
        return None

    monkeypatch.setattr(Mailbox, "collect", collect_nothing)
    lines: list[str] = []
    errors: list[str] = []
    status = await run_demo(DemoOptions(step_timeout=1), out=lines.append, err=errors.append)
    assert status == 1
    assert errors == [
        "demo FAILED: step 'sonv-caobang at the Cao Bằng node (H14) receives and confirms "
        "document 3' timed out after 1s"
    ]
    local = _sections("\n".join(lines))[3]
    assert "available to sonv-caobang" in local
