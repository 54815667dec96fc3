"""The query-string rule of the native API: a parameter a route does not take is refused.

A misspelt filter (``/deliveries?status=failed`` for ``state``) would otherwise be ignored, and the
client would read the unfiltered list as the answer to its question. :func:`refuse_unknown_query`
is a dependency of the whole ``/api/v1`` router (:func:`gateway.api.build_router`), so every route
gets the rule from its own declared parameters, including those of its dependencies; none checks
by hand. It runs before authentication, like the 404 of an unknown route: both are about the
request's shape, which the OpenAPI document makes public.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from gateway.api.errors import ApiError

#: Code of the 422 answered for a query parameter the route does not take.
UNKNOWN_PARAMETER = "REQUEST_UNKNOWN_PARAMETER"


def _names(dependant: Dependant, into: set[str]) -> set[str]:
    for field in dependant.query_params:
        into.add(field.alias)
    for sub in dependant.dependencies:
        _names(sub, into)
    return into


#: Attribute under which a route keeps its computed names (routes are not hashable).
_CACHE = "_gateway_query_names"


def declared_query(route: APIRoute) -> frozenset[str]:
    """The query parameter names ``route`` takes (aliases: ``from``, not ``sender``)."""
    names = getattr(route, _CACHE, None)
    if not isinstance(names, frozenset):
        names = frozenset(_names(route.dependant, set()))
        setattr(route, _CACHE, names)
    return names


async def refuse_unknown_query(request: Request) -> None:
    """Refuse, with 422 ``REQUEST_UNKNOWN_PARAMETER`` and ``field`` set to its name, the first
    query parameter the matched route does not declare."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = declared_query(route)
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in allowed]
    if not unknown:
        return
    takes = ", ".join(sorted(allowed)) if allowed else "none"
    others = f" (and {', '.join(repr(n) for n in unknown[1:])})" if len(unknown) > 1 else ""
    raise ApiError(
        422,
        UNKNOWN_PARAMETER,
        f"unknown query parameter {unknown[0]!r}{others}; {request.url.path} takes: {takes}",
        field=unknown[0],
    )
