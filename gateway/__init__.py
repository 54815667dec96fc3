"""The axis node: the exchange engine (core use cases, store, workers), its VXP-compatible and
native APIs, settings, the app factory and the CLI (docs/gateway.md).

Nothing here runs at import time: build the node with :func:`gateway.app.create_app` and
:func:`gateway.settings.get_settings`, or start it with ``python -m gateway serve``.
"""

from __future__ import annotations

from importlib import metadata

#: Distribution name in pyproject.toml.
DISTRIBUTION = "truc-lienthong"


def package_version() -> str:
    """The installed version of the project, or ``0+unknown`` when it is not installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"
