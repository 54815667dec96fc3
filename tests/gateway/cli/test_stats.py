"""``python -m gateway stats ...`` on a node database: summary (JSON and its recount), export
as XLSX and CSV, the 6-monthly report workbook."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from gateway.settings import ENV_PREFIX, get_settings
from gateway.store.database import create_engine, migrate
from gateway.store.repository import SqlStore
from tests.gateway.store.stats_history import CopySpec, DocSpec, History, legal_time

TIMEOUT = 60


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    return {**env, f"{ENV_PREFIX}DATA_DIR": str(data_dir), f"{ENV_PREFIX}NODE_ID": "truc-h14"}


def _gateway(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "stats", *args],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture
async def data_dir(tmp_path: Path) -> Path:
    """A node database with three documents of March 2026 (one to a merged agency's code)."""
    settings = get_settings(data_dir=tmp_path, secret_key="x" * 40)
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        writer = History(SqlStore(engine), legal_time())
        for minute in (8 * 60, 12 * 60, 20 * 60):  # in hours, lunch gap, evening
            spec = DocSpec(
                0, 4, minute, 0, 0, 0, 0, 0, 3, [CopySpec(1, "local"), CopySpec(7, "local")]
            )
            document_id, copies, at = await writer.document(spec)
            await writer.act(document_id, copies[0], "confirm", at + timedelta(minutes=30), "")
    finally:
        await engine.dispose()
    return tmp_path


def test_summary_json_equals_its_recount(data_dir: Path) -> None:
    """The summary counts the three documents and says the recount is equal."""
    done = _gateway(
        data_dir, "summary", "--from", "2026-03-01", "--to", "2026-03-31", "--recount", "--json"
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["figures"]["documents"]["sent"] == 3
    assert body["figures"]["as_recipient"]["outcomes"]["received"] == 3
    assert body["recount_equal"] is True
    one = _gateway(
        data_dir, "summary", "--from", "2026-03-02", "--to", "2026-03-02", "--agency", "H14"
    )
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["figures"]["documents"]["sent"] == 3  # off a terminal: JSON


def test_export_writes_xlsx_and_csv(data_dir: Path, tmp_path: Path) -> None:
    """Every table goes to one workbook (a sheet each) or one CSV file."""
    book_file = tmp_path / "out.xlsx"
    done = _gateway(
        data_dir, "export", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "xlsx",
        "--output", str(book_file),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(io.BytesIO(book_file.read_bytes()))
    assert "Thống kê theo cơ quan" in book.sheetnames
    assert "Văn bản gửi đi" in book.sheetnames
    csv_file = tmp_path / "out.csv"
    done = _gateway(
        data_dir, "export", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "csv",
        "--output", str(csv_file), "--table", "agencies",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = csv_file.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("code,name,parent")
    assert lines[-1].startswith("Tổng cộng")


def test_report_is_the_half_year_workbook(data_dir: Path, tmp_path: Path) -> None:
    """``stats report --period 2026-H1`` writes the workbook with the node in its title."""
    out = tmp_path / "bao-cao.xlsx"
    done = _gateway(data_dir, "report", "--period", "2026-H1", "--output", str(out))
    assert done.returncode == 0, done.stderr
    sheet = openpyxl.load_workbook(out)["Tổng hợp"]
    assert sheet["A1"].value == "BÁO CÁO TÌNH HÌNH GỬI, NHẬN VĂN BẢN ĐIỆN TỬ 6 THÁNG ĐẦU NĂM 2026"
    assert "truc-h14" in sheet["A2"].value
    agencies = openpyxl.load_workbook(out)["Theo cơ quan"]
    total = [r for r in agencies.iter_rows(values_only=True) if r and r[0] == "Tổng cộng"]
    assert total[0][4] == 3  # documents sent


def test_a_bad_period_is_refused(data_dir: Path, tmp_path: Path) -> None:
    """An unreadable period exits 1 with STATS_PERIOD."""
    done = _gateway(data_dir, "report", "--period", "2026-H7", "--output", str(tmp_path / "x.xlsx"))
    assert done.returncode == 1
    assert "STATS_PERIOD" in done.stderr
