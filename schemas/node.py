"""Body of ``GET /api/v1/node``: who this node is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.timestamps import VnDateTime


class NodeInfo(BaseModel):
    """Identity and version of the running node."""

    model_config = ConfigDict(frozen=True)

    node_id: str = Field(
        description="The node's own agency/trace code.", examples=["000.00.00.H14"]
    )
    role: Literal["provincial", "national"]
    version: str = Field(examples=["0.1.0"])
    started_at: VnDateTime = Field(description="When the node started serving (+07:00).")
    time: VnDateTime = Field(description="The node's clock now (+07:00), to check synchronisation.")
