"""Bodies of the liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Liveness(BaseModel):
    """The process answers HTTP."""

    model_config = ConfigDict(frozen=True)

    status: Literal["ok"] = "ok"


class ComponentCheck(BaseModel):
    """The state of one component the node needs to serve traffic."""

    model_config = ConfigDict(frozen=True)

    status: Literal["ok", "unavailable"]
    detail: str = Field(description="What was checked, or why the component is unavailable.")


class Readiness(BaseModel):
    """Whether the node can serve traffic, component by component."""

    model_config = ConfigDict(frozen=True)

    status: Literal["ready", "not_ready"]
    components: dict[str, ComponentCheck] = Field(
        description="One entry per component (registry now; database and bus later)."
    )
