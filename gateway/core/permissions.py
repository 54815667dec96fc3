"""What a connected system may do beyond its agency grants, checked in one place.

- the **admin grant**: the registry calls (``registerAgency``/``deleteAgency``) and the calendar
  overrides; the CLI (no caller) is an operator and may;
- the **node link**: only another axis node may use the node-to-node VXP extensions
  (``reportDelivery``, ``nextDocId``, ``failCode``; docs/axes.md), else a document system could
  rewrite what its copies became.
"""

from __future__ import annotations

from gateway.core.errors import NotAllowed
from gateway.core.model import System


def require_admin(caller: System | None, what: str, field: str) -> None:
    """Refuse a system without the admin grant (``AUTH_FORBIDDEN`` naming ``field``)."""
    if caller is not None and not caller.admin:
        raise NotAllowed(
            f"system {caller.system_id} may not {what} (admin only)",
            code="AUTH_FORBIDDEN",
            field=field,
        )


def require_node_link(caller: System, field: str) -> None:
    """Refuse a node-to-node extension from a system that is no node link (``AUTH_NODE_LINK``
    naming the parameter, or ``systemid`` for a whole call)."""
    if not caller.node_link:
        raise NotAllowed(
            f"system {caller.system_id} is not registered as a node link: {field} is a "
            "node-to-node extension",
            code="AUTH_NODE_LINK",
            field=field,
        )
