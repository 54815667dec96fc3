"""Bundled XSD files (package data).

``edxml.xsd`` describes the edXML layout the node emits (``edxml.writer.build``).
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def xsd_path(name: str = "edxml.xsd") -> Traversable:
    """Return the bundled XSD file ``name`` (default: the emitted edXML layout)."""
    return files("schemas.xsd") / name
