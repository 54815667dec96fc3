"""``GET /api/v1/node``: who this node is."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from gateway import package_version
from gateway.api.dependencies import RuntimeDep
from gateway.api.errors import ERROR_RESPONSES
from schemas.node import NodeInfo

router = APIRouter(prefix="/node", tags=["node"], responses=ERROR_RESPONSES)


@router.get("", response_model=NodeInfo, summary="Node identity and version")
async def node_info(runtime: RuntimeDep) -> NodeInfo:
    """The node's id, role and version, when it started and its clock now (+07:00)."""
    return NodeInfo(
        node_id=runtime.settings.node_id,
        role=runtime.settings.role.value,
        version=package_version(),
        started_at=runtime.started_at,
        time=datetime.now(UTC),
    )
