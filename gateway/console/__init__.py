"""The operator console (``/console``): server-rendered pages for the people who run the node.

Vietnamese first (English as a switch), no asset from outside the node, role-scoped, every form
CSRF-protected, sessions in signed cookies. Routes call the core use cases (never SQL): one module
per page (:mod:`.overview`, :mod:`.systems`, ...), with :mod:`.access` (who visits, what they may
do), :mod:`.session`, :mod:`.i18n`, :mod:`.pages` (templates) and :mod:`.errors` (error pages).
"""

from __future__ import annotations

from gateway.console.router import build_console_router

__all__ = ["build_console_router"]
