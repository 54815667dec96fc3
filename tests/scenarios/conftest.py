"""End-to-end stories: whole nodes driven through their APIs by SDK-faithful clients.

Unit tests mirror the packages under ``tests/<package>/``; the scenarios here start one node
(``exchange/``) or three linked nodes (``axes/``) and tell a story across the components. They
share the node tests' environment fixtures (a clean ``GATEWAY_*`` environment, logging restored).
"""

from __future__ import annotations

from tests.gateway.conftest import app, clean_env, client, restore_logging, settings

__all__ = ["app", "clean_env", "client", "restore_logging", "settings"]
