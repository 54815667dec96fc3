"""``python -m gateway demo``: three axis nodes in one process exchanging documents (issue 4).

A national node and the provincial nodes of Cao Bằng (``H14``) and Lạng Sơn (``H37``) start on
local ports, each on the embedded default (SQLite and the in-process bus, no services), with demo
registries and demo document systems. The script sends a normal and an urgent document across
provinces and one inside a province, has the receivers confirm and answer 01 → 03 → 06, revokes
one document, and prints each document's timeline as every node it crossed saw it
(docs/demo.md).
"""

from gateway.demo.cluster import DemoError
from gateway.demo.scenario import DemoOptions, run_demo

__all__ = ["DemoError", "DemoOptions", "run_demo"]
