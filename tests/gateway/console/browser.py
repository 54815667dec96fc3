"""One headless Chromium for the whole test session, driven from its own thread.

Playwright's objects belong to the event loop that created them, while each test runs on its own
loop (and serves the node from it). So the browser lives on a loop of its own, in a thread; a
test hands it a coroutine (``await browser.run(steps(page))``) and awaits the result without
blocking its own loop, which keeps serving the node the browser talks to.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from tests.conftest import CHROMIUM_ARGS

T = TypeVar("T")


class BrowserThread:
    """A loop in a thread holding Playwright and one Chromium."""

    def __init__(self, executable: Path) -> None:
        self.executable = executable
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="chromium", daemon=True)
        self.playwright: Any = None
        self.browser: Any = None

    def start(self) -> None:
        """Start the loop and launch Chromium (blocking until it is up)."""
        self.thread.start()
        self.call(self._launch())

    async def _launch(self) -> None:
        from playwright.async_api import async_playwright

        self.playwright = await async_playwright().start()
        self.browser = await self.playwright.chromium.launch(
            executable_path=str(self.executable), args=list(CHROMIUM_ARGS)
        )

    def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the browser's loop, blocking (set-up and tear-down only)."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(work, self.loop)
        return future.result(timeout=60)

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the browser's loop; the caller's loop keeps running meanwhile."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))

    async def _close(self) -> None:
        if self.browser is not None:
            await self.browser.close()
        if self.playwright is not None:
            await self.playwright.stop()

    def stop(self) -> None:
        """Close Chromium and Playwright, then the loop and its thread."""
        try:
            self.call(self._close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()
