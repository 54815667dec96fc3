"""``/docs`` works on an offline government network: Swagger UI's assets come from the node."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import CHROMIUM_ARGS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[str]:
    """The node served by uvicorn on a free loopback port: its base URL."""
    app: FastAPI = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the node did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_docs_page_names_only_assets_of_the_node(client: httpx.AsyncClient) -> None:
    """The page's scripts and stylesheets are paths on the node, each answered 200."""
    page = await client.get("/docs")
    assert page.status_code == 200
    links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert links, page.text
    for link in links:
        assert link.startswith("/"), f"{link} is not served by the node"
        asset = await client.get(link)
        assert asset.status_code == 200, link
        assert asset.content


@pytest.mark.browser
async def test_docs_renders_in_chromium_with_no_network(
    served: str, chromium: Path, tmp_path: Path
) -> None:
    """Headless Chromium, every request off the node refused, renders Swagger UI with the API."""
    from playwright.async_api import Route, async_playwright

    outside: list[str] = []

    async def only_the_node(route: Route) -> None:
        if route.request.url.startswith(served):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=list(CHROMIUM_ARGS)
        )
        try:
            page = await browser.new_page(viewport={"width": 1366, "height": 768})
            await page.route("**/*", only_the_node)
            await page.goto(f"{served}/docs")
            title = page.locator(".swagger-ui .info .title")
            await title.wait_for(timeout=15_000)
            assert "truc-lienthong axis node" in await title.inner_text()
            await page.locator(".opblock").first.wait_for(timeout=15_000)
            assert await page.locator(".opblock").count() > 10
            await page.screenshot(path=str(tmp_path / "docs.png"))
        finally:
            await browser.close()
    assert outside == []
