"""The native exchange API under ``/api/v1``: what the VXP-compatible API offers, as typed JSON.

Authentication is ``Authorization: Bearer <token>`` (a connected system's token,
:func:`gateway.api.dependencies.get_caller`); every route is scoped to the calling system through
:class:`gateway.core.exchange.Exchange`, which enforces the same ownership rules for both APIs.

- ``POST /documents`` send; ``GET /documents/{id}/trace`` follow a document the caller sent;
- ``GET /inbox``, ``/inbox/count``, ``/inbox/{delivery_id}``, ``POST .../confirm`` receive;
- ``GET /sent`` and ``GET /deliveries`` list copies, a page at a time (``cursor``, ``since``,
  ``until``: :mod:`gateway.api.native.paging`).

Errors are the coded bodies of :mod:`gateway.api.errors`.
"""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api.native import copies, documents, inbox

router = APIRouter()
for _module in (documents, inbox, copies):
    router.include_router(_module.router)

__all__ = ["router"]
