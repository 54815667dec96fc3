"""`calendar override add|list|remove` and `calendar recompute`, run as users run them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from business_calendar.table import load_spec
from gateway.core.clock import VN_TZ
from gateway.core.legal import LegalTime
from gateway.core.model import DocumentLegal, MessageType
from gateway.runtime import open_store
from gateway.settings import Settings
from tests.gateway.store.conftest import accepted, plan
from tests.gateway.test_cli import _env, _gateway

ACCEPTED = datetime(2026, 3, 5, 10, 0, tzinfo=VN_TZ)


def _seed(settings: Settings) -> tuple[str, str]:
    """A document accepted Thu 2026-03-05 10:00, promulgated the 4th, due the 5th: its id and
    the version of the calendar its measures were computed with."""
    legal = LegalTime(load_spec())
    p = plan(promulgation_date=date(2026, 3, 4), due_date=date(2026, 3, 5))
    measures = legal.document(MessageType.EDOC, ACCEPTED, date(2026, 3, 4), date(2026, 3, 5))
    p = replace(p, document=replace(p.document, accepted_at=ACCEPTED, legal=measures))

    async def run() -> None:
        async with open_store(settings) as store:
            await accepted(store, p)

    asyncio.run(run())
    return p.document.document_id, legal.version


def _stored(settings: Settings, document_id: str) -> DocumentLegal:
    async def run() -> DocumentLegal:
        async with open_store(settings) as store:
            doc = await store.get_document(document_id)
            assert doc is not None
            return doc.legal

    return asyncio.run(run())


def test_override_and_recompute_commands(tmp_path: Path) -> None:
    """An operator adds a day off, recomputes (dry run first), lists and removes the row."""
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    env = _env(GATEWAY_DATA_DIR=str(data))
    document_id, old_version = _seed(settings)

    added = _gateway(
        "calendar", "override", "add", "2026-03-05", "--kind", "day_off",
        "--name", "Nghỉ bù", "--source", "CV 9/2026", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    shown = json.loads(added.stdout)
    assert shown["override"]["date"] == "2026-03-05"
    assert shown["override"]["created_by"].startswith("cli")
    assert shown["override"]["created_at"].endswith("+07:00")
    assert shown["calendar_version"] != old_version
    assert "recompute --from 2026-03-05" in added.stderr
    assert _stored(settings, document_id).calendar_version == old_version  # not rewritten

    dry = _gateway(
        "calendar", "recompute", "--from", "2026-03-01", "--dry-run", "--table",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert "documents: 1 (would change 1)" in dry.stdout
    assert f"document {document_id}: send_deadline 2026-03-05T11:30:00+07:00 -> " in dry.stdout
    assert _stored(settings, document_id).calendar_version == old_version

    done = _gateway(
        "calendar", "recompute", "--from", "2026-03-01", "--json", cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["documents"], report["documents_changed"], report["applied"]) == (1, 1, True)
    assert report["calendar_version"] == shown["calendar_version"]
    legal = _stored(settings, document_id)
    assert legal.send_deadline == datetime(2026, 3, 6, 11, 30, tzinfo=VN_TZ)
    assert legal.due_at == datetime(2026, 3, 6, 17, 0, tzinfo=VN_TZ)
    assert legal.calendar_version == shown["calendar_version"]

    listed = _gateway("calendar", "override", "list", cwd=tmp_path, env=env)
    assert [row["source"] for row in json.loads(listed.stdout)] == ["CV 9/2026"]
    again = _gateway(
        "calendar", "override", "add", "2026-03-05", "--kind", "day_off", "--source", "x",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert again.returncode == 1
    assert "CALENDAR_OVERRIDE_EXISTS" in again.stderr
    removed = _gateway("calendar", "override", "remove", "2026-03-05", cwd=tmp_path, env=env)
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout)["calendar_version"] == old_version
    gone = _gateway("calendar", "override", "remove", "2026-03-05", cwd=tmp_path, env=env)
    assert gone.returncode == 1
    assert "CALENDAR_OVERRIDE_UNKNOWN" in gone.stderr


def test_override_commands_refuse_bad_values(tmp_path: Path) -> None:
    """A bad date, kind or empty source is refused with exit status 1 and its code."""
    env = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"))
    assert _gateway("migrate", cwd=tmp_path, env=env).returncode == 0
    cases = [
        (("2026-13-01", "--kind", "day_off", "--source", "x"), "not a date"),
        (("2026-03-05", "--kind", "holiday", "--source", "x"), "CALENDAR_FORMAT [kind]"),
        (("2026-03-05", "--kind", "day_off", "--source", " "), "CALENDAR_FORMAT [source]"),
    ]
    for args, message in cases:
        result = _gateway("calendar", "override", "add", *args, cwd=tmp_path, env=env)
        assert result.returncode == 1, result.stderr
        assert message in result.stderr
    bad_file = _env(GATEWAY_DATA_DIR=str(tmp_path / "data"), GATEWAY_CALENDAR_FILE="missing.csv")
    refused = _gateway("calendar", "override", "list", cwd=tmp_path, env=bad_file)
    assert refused.returncode == 2
    assert "CALENDAR_FILE" in refused.stderr
