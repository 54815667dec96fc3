"""The VXP-compatible API (``/vxp``): the wire protocol of the official national-axis SDK."""

from gateway.api.vxp.routes import ROUTES, VxpShortcut

__all__ = ["ROUTES", "VxpShortcut"]
