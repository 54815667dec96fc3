"""The console end to end in headless Chromium, on both backends: sign in (wrong, then right
password), filter the failed copies, open one and replay it (it is back in the receiver's VXP pull
list), request a bulk replay as one operator, approve it as another and reject a second request,
then verify the audit chain. Screenshots go to ``var/screenshots/<backend>/`` (git-ignored).
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from gateway.core.model import DeliveryState
from tests.conftest import ROOT
from tests.gateway.console.browser import BrowserThread
from tests.gateway.console.conftest import (
    PASSWORDS,
    Console,
    count_stats,
    exchanged,
    failed_copies,
    pull_list,
)
from tests.scenarios.exchange.conftest import eventually

VIEWPORT = {"width": 1366, "height": 768}


class Pages:
    """The browser-side steps (they run on the browser's loop)."""

    def __init__(self, base: str, shots: Path) -> None:
        self.base = base
        self.shots = shots

    async def shot(self, page: Any, name: str) -> None:
        await page.screenshot(path=str(self.shots / f"{name}.png"))

    async def person(self, browser: Any) -> Any:
        context = await browser.new_context(viewport=VIEWPORT, locale="vi-VN")
        outside: list[str] = []

        async def only_the_node(route: Any) -> None:
            if route.request.url.startswith(self.base):
                await route.continue_()
            else:  # no CDN, no font service: every asset is the node's
                outside.append(route.request.url)
                await route.abort()

        await context.route("**/*", only_the_node)
        context.outside = outside
        return await context.new_page()

    async def sign_in(self, page: Any, username: str, password: str) -> str:
        await page.goto(f"{self.base}/console/deliveries")
        assert "/console/login" in page.url
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", password)
        await page.click("form button[type=submit]")
        await page.wait_for_load_state()
        error = page.locator("#login-error")
        return await error.inner_text() if await error.count() else ""

    async def first_operator(self, browser: Any, ids: list[str]) -> dict[str, Any]:
        page = await self.person(browser)
        refused = await self.sign_in(page, "vanhanh1", "khong-dung-mat-khau")
        await self.shot(page, "01-login-refused")
        assert "Sai tên đăng nhập hoặc mật khẩu" in refused
        assert await self.sign_in(page, "vanhanh1", PASSWORDS["vanhanh1"]) == ""
        assert page.url.endswith("/console/deliveries")
        await page.goto(f"{self.base}/console/")
        assert await page.locator("#tile-failed .value").inner_text() == str(len(ids))
        await self.shot(page, "02-overview")

        await page.click("nav.side a[href='/console/deliveries']")
        await page.select_option("select[name=state]", "failed")
        await page.click("#apply-filter")
        await page.wait_for_load_state()
        rows = page.locator("tr.copy")
        assert await rows.count() == len(ids)
        assert "Lỗi" in await page.locator("#chip-failed").inner_text()
        await self.shot(page, "03-deliveries-failed")

        first = ids[0]
        await page.click(f"tr[data-id='{first}'] a.open")
        await page.wait_for_load_state()
        assert "Lỗi" in await page.locator("#copy-state").inner_text()
        await self.shot(page, "04-copy")
        await page.fill("#replay-reason", "Hệ thống nhận đã khắc phục lỗi")
        await page.click("#replay")
        await page.wait_for_load_state()
        assert await page.locator("#replayed").count() == 1
        assert await page.locator("#copy-state").inner_text() == "Chờ nhận"
        await self.shot(page, "05-copy-replayed")

        requests = []
        for chosen, why in ((ids[1:3], "Gửi lại hàng loạt sau sự cố"), (ids[3:], "Yêu cầu thử")):
            await page.goto(f"{self.base}/console/deliveries?state=failed")
            for delivery_id in chosen:
                await page.check(f"input[name=delivery_id][value='{delivery_id}']")
            await page.fill("#selected-reason", why)
            await page.click("#request-selected")
            await page.wait_for_load_state()
            assert await page.locator("#created").count() == 1
            requests.append(parse_qs(urlsplit(page.url).query)["created"][0])
        row = page.locator(f"#request-{requests[0]}")
        assert await row.locator("button.approve").count() == 0  # four eyes: not one's own
        await self.shot(page, "06-replays-pending")
        return {"requests": requests, "outside": page.context.outside}

    async def second_operator(self, browser: Any, requests: list[str]) -> list[str]:
        page = await self.person(browser)
        assert await self.sign_in(page, "vanhanh2", PASSWORDS["vanhanh2"]) == ""
        await page.goto(f"{self.base}/console/replays")
        approve, reject = requests
        await page.click(f"#request-{approve} button.approve")
        await page.wait_for_load_state()
        await page.fill(f"#request-{reject} input.reject-reason", "Không cần gửi lại")
        await page.click(f"#request-{reject} button.reject")
        await page.wait_for_load_state()
        states = [
            await page.locator(f"#request-{r} .status").inner_text() for r in (approve, reject)
        ]
        await self.shot(page, "07-replays-decided")
        return [*states, *page.context.outside]

    async def admin(self, browser: Any) -> tuple[str, list[str]]:
        page = await self.person(browser)
        assert await self.sign_in(page, "quantri", PASSWORDS["quantri"]) == ""
        for path, name in (
            ("/console/systems", "08-systems"),
            ("/console/registry?q=H14", "09-registry"),
            ("/console/registry/000.00.00.H14", "10-agency"),
            ("/console/calendar?month=2026-09", "11-calendar"),
            ("/console/users", "12-users"),
        ):
            await page.goto(self.base + path)
            assert await page.locator("main h1").count() == 1, path
            await self.shot(page, name)
        asked: list[str] = []

        async def accept(dialog: Any) -> None:
            asked.append(dialog.message)
            await dialog.accept()

        await page.goto(f"{self.base}/console/systems")
        page.once("dialog", accept)  # the node's own script asks before rotating
        await page.click("#system-sdk-test form[action$='/rotate'] button")
        await page.wait_for_load_state()
        assert asked
        assert len(await page.locator("#secret").inner_text()) >= 16
        await self.shot(page, "12b-secret-once")
        await page.goto(f"{self.base}/console/audit")
        await page.click("#verify")
        await page.wait_for_load_state()
        verdict = await page.locator("#verdict").inner_text()
        await self.shot(page, "13-audit-verified")
        await page.goto(f"{self.base}/console/?lang=en")
        await self.shot(page, "14-overview-en")
        return verdict, page.context.outside


class StatsPages(Pages):
    """The auditor on the statistics page."""

    async def tile(self, page: Any, ident: str) -> str:
        return str(await page.locator(f"#{ident} .value").inner_text()).strip()

    async def auditor(self, browser: Any, last_year: str) -> dict[str, Any]:
        page = await self.person(browser)
        assert await self.sign_in(page, "kiemtoan", PASSWORDS["kiemtoan"]) == ""
        await page.goto(f"{self.base}/console/")
        await page.click("nav.side a[href='/console/stats']")
        await page.wait_for_load_state()
        assert await page.locator("main h1").inner_text() == "Thống kê"
        found: dict[str, Any] = {"this_month": await self.tile(page, "tile-sent")}
        for chart in ("chart-daily", "chart-shares", "chart-hours", "chart-backlog"):
            assert await page.locator(f"svg#{chart}").count() == 1, chart
        await page.screenshot(path=str(self.shots / "15-stats.png"), full_page=True)

        await page.select_option("#period", last_year)
        await page.click("#apply-period")
        await page.wait_for_load_state()
        found["last_year"] = await self.tile(page, "tile-sent")
        found["last_year_url"] = page.url

        await page.select_option("#period", index=0)  # this month
        await page.click("#apply-period")
        await page.wait_for_load_state()
        found["again"] = await self.tile(page, "tile-sent")
        async with page.expect_download() as waiting:
            await page.click("#export-agencies-xlsx")
        download = await waiting.value
        found["filename"] = download.suggested_filename
        found["xlsx"] = self.shots / "stats-agencies.xlsx"
        await download.save_as(str(found["xlsx"]))
        found["period"] = parse_qs(urlsplit(page.url).query)["period"][0]
        await page.select_option("#agency", "H41")
        await page.click("#apply-period")
        await page.wait_for_load_state()
        found["received_by_h41"] = await self.tile(page, "tile-received")
        await page.screenshot(path=str(self.shots / "15b-stats-agency.png"), full_page=True)
        await page.goto(f"{self.base}/console/stats?lang=en")
        await page.screenshot(path=str(self.shots / "16-stats-en.png"), full_page=True)
        found["outside"] = page.context.outside
        return found


@pytest.mark.browser
async def test_statistics_page(
    console: Console, served: str, browser: BrowserThread, backend: str
) -> None:
    """An auditor opens the statistics, picks another period in the form (other figures), and
    downloads the per-agency XLSX, whose numbers are the API's JSON for the same period."""
    await exchanged(console, 3)
    await failed_copies(console, 1)
    await count_stats(console)
    shots = ROOT / "var" / "screenshots" / backend
    shots.mkdir(parents=True, exist_ok=True)
    runtime = console.node.runtime
    year = runtime.clock.now().year
    found = await browser.run(StatsPages(served, shots).auditor(browser.browser, str(year - 1)))
    assert found["this_month"] == "4"
    assert found["last_year"] == "0"
    assert f"period={year - 1}" in found["last_year_url"]
    assert found["again"] == "4"
    assert found["received_by_h41"] == "3"
    assert found["filename"].endswith(".xlsx")
    assert found["outside"] == []

    token = await runtime.people.create_token("kiemtoan")
    answer = await console.client().get(
        "/api/v1/stats/tables/agencies",
        params={"period": found["period"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    table = answer.json()
    content = await asyncio.to_thread(found["xlsx"].read_bytes)
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    first = next(i for i, row in enumerate(rows) if row and row[0] == "Mã định danh")
    assert [c["heading"] for c in table["columns"]] == list(rows[first])
    downloaded = [list(row) for row in rows[first + 1 :]]
    assert downloaded == [[None if v == "" else v for v in row] for row in table["rows"]]
    total = dict(zip([c["key"] for c in table["columns"]], table["rows"][-1], strict=True))
    assert total["sent"] == 4
    assert total["failed"] == 1


@pytest.mark.browser
async def test_console_end_to_end(
    console: Console, served: str, browser: BrowserThread, backend: str
) -> None:
    """Sign in, filter, open, replay, four-eyes bulk replay (approve and reject), audit verified."""
    ids = await failed_copies(console, 4)
    shots = ROOT / "var" / "screenshots" / backend
    shots.mkdir(parents=True, exist_ok=True)
    pages = Pages(served, shots)

    first = await browser.run(pages.first_operator(browser.browser, ids))
    assert ids[0] in await pull_list(console)  # the replayed copy is offered again

    decided = await browser.run(pages.second_operator(browser.browser, first["requests"]))
    assert decided == ["Đã duyệt, đang gửi lại", "Đã từ chối"] or decided[:2] == [
        "Hoàn tất",
        "Đã từ chối",
    ]
    await eventually(lambda: pull_list(console), lambda found: set(ids[:3]) <= found)
    store = console.node.runtime.store
    last = await store.get_delivery(ids[3])
    assert last is not None
    assert last.state is DeliveryState.FAILED  # the rejected request replayed nothing

    verdict, outside = await browser.run(pages.admin(browser.browser))
    assert "Chuỗi băm toàn vẹn" in verdict
    assert outside == []
    assert first["outside"] == []
