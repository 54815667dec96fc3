"""FastAPI dependencies: what a route needs from the running node."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.api.errors import ApiError
from gateway.directory import AgencyDirectory
from gateway.runtime import Runtime


def current_runtime(request: Request) -> Runtime | None:
    """The node's open resources, or None before start-up completes and after shutdown."""
    runtime = getattr(request.app.state, "runtime", None)
    return runtime if isinstance(runtime, Runtime) else None


def get_runtime(request: Request) -> Runtime:
    """The node's open resources; 503 ``NOT_READY`` while the node starts or stops."""
    runtime = current_runtime(request)
    if runtime is None:
        raise ApiError(503, "NOT_READY", "the node is starting or stopping; retry shortly")
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_directory(runtime: RuntimeDep) -> AgencyDirectory:
    """Queries over the loaded agency registry."""
    return AgencyDirectory(runtime.registry)


DirectoryDep = Annotated[AgencyDirectory, Depends(get_directory)]
