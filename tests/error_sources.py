"""Where the error codes of the project are raised: an ``ast`` scan of the source tree.

Read by tests/test_error_codes.py. A code is collected from:

- a class-level ``code = "..."`` of an exception class (or ``self.code = "..."`` in one);
- a ``code=`` keyword of a call to an exception class of the project;
- the code argument of the API's own answers: ``ApiError(status, CODE, ...)``,
  ``error_response(status, CODE, ...)`` and the VXP ``fail(CODE, ...)``;
- every ``EDXML_*`` / ``STATUS_*`` string of edxml/: validation findings and reader notes become
  the ``code`` of a refusal (gateway/core/accept/checks.py raises ``PackageRefused`` with
  ``errors[0].code``).

A name is followed to the string constants assigned to it in its function or module (``code=code``
after ``code = "A" if x else "B"``).
F-strings are returned apart: the test lists each one with a reason.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("edxml", "identifiers", "business_calendar", "connectors", "gateway")
CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
FINDING = re.compile(r"^(?:EDXML|STATUS)_[A-Z0-9_]+$")
#: Callables that take an error code positionally, and the index of that argument.
ANSWERS: dict[str, int] = {"ApiError": 1, "error_response": 1, "fail": 0}
_ROOT_EXCEPTIONS = frozenset({"Exception", "ValueError", "RuntimeError", "LookupError"})


@dataclass(frozen=True)
class Site:
    """One place a code (or a code pattern) is written."""

    code: str
    where: str
    callee: str
    dynamic: bool = False


def _trees(root: Path = ROOT) -> list[tuple[str, ast.Module]]:
    files = [path for room in ROOMS for path in sorted((root / room).rglob("*.py"))]
    return [
        (path.relative_to(root).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in files
    ]


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def exception_classes(trees: list[tuple[str, ast.Module]]) -> set[str]:
    """Names of every exception class defined in the scanned rooms."""
    classes = [
        node for _, tree in trees for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
    ]
    found: set[str] = set()
    grew = True
    while grew:
        grew = False
        for node in classes:
            bases = {_name(base) for base in node.bases}
            if node.name not in found and bases & (_ROOT_EXCEPTIONS | found):
                found.add(node.name)
                grew = True
    return found


def _assignments(nodes: list[ast.stmt]) -> dict[str, list[ast.expr]]:
    values: dict[str, list[ast.expr]] = {}
    for root in nodes:
        for node in ast.walk(root):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        values.setdefault(target.id, []).append(node.value)
    return values


def _scopes(tree: ast.Module) -> dict[ast.AST, dict[str, list[ast.expr]]]:
    """For every node, the names it can see: its function's assignments, else the module's."""
    module = _assignments([stmt for stmt in tree.body if isinstance(stmt, ast.Assign)])
    scope: dict[ast.AST, dict[str, list[ast.expr]]] = {}

    def visit(node: ast.AST, names: dict[str, list[ast.expr]]) -> None:
        scope[node] = names
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, {**module, **_assignments(child.body)})
            else:
                visit(child, names)

    visit(tree, module)
    return scope


def _strings(
    node: ast.expr, names: dict[str, list[ast.expr]], depth: int = 0
) -> Iterator[ast.expr]:
    """The string constants and f-strings an expression can evaluate to (as far as is visible)."""
    if isinstance(node, ast.Constant | ast.JoinedStr):
        yield node
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body, names, depth)
        yield from _strings(node.orelse, names, depth)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _strings(value, names, depth)
    elif isinstance(node, ast.Call) and _name(node.func) == "get" and len(node.args) == 2:
        yield from _strings(node.args[1], names, depth)  # ``TABLE.get(key, default)``
    elif isinstance(node, ast.Name) and depth < 3:
        for value in names.get(node.id, []):
            yield from _strings(value, names, depth + 1)


def _site(node: ast.expr, where: str, callee: str) -> Site | None:
    if isinstance(node, ast.JoinedStr):
        return Site(ast.unparse(node), where, callee, dynamic=True)
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
        return Site(node.value, where, callee)
    return None


def code_sites(root: Path = ROOT) -> list[Site]:
    """Every site where the project (or a tree like it at ``root``) writes an error code."""
    trees = _trees(root)
    errors = exception_classes(trees)
    sites: list[Site] = []
    for path, tree in trees:
        scope = _scopes(tree)

        def add(value: ast.expr, line: int, callee: str) -> None:
            for text in _strings(value, scope[value]):  # noqa: B023
                site = _site(text, f"{path}:{line}", callee)  # noqa: B023
                if site is not None:
                    sites.append(site)

        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in errors:
                for item in ast.walk(node):
                    if isinstance(item, ast.Assign) and any(
                        _name(target) == "code" for target in item.targets
                    ):
                        add(item.value, item.lineno, node.name)
            elif isinstance(node, ast.Call):
                callee = _name(node.func)
                if callee in errors:
                    for keyword in node.keywords:
                        if keyword.arg == "code":
                            add(keyword.value, node.lineno, callee)
                if callee in ANSWERS and len(node.args) > ANSWERS[callee]:
                    add(node.args[ANSWERS[callee]], node.lineno, callee)
            elif (
                path.startswith("edxml/")
                and isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and FINDING.match(node.value)
            ):
                sites.append(Site(node.value, f"{path}:{node.lineno}", "finding"))
    return sites


def other_code_keywords() -> list[Site]:
    """``code=`` keywords of calls that are no exception class (to be listed as not errors)."""
    trees = _trees()
    errors = exception_classes(trees)
    sites: list[Site] = []
    for path, tree in trees:
        scope = _scopes(tree)
        for node in ast.walk(tree):
            callee = _name(node.func) if isinstance(node, ast.Call) else ""
            if isinstance(node, ast.Call) and callee not in errors:
                for keyword in node.keywords:
                    if keyword.arg == "code":
                        for text in _strings(keyword.value, scope[keyword.value]):
                            site = _site(text, f"{path}:{node.lineno}", _name(node.func))
                            if site is not None:
                                sites.append(site)
    return sites


def computed_code_keywords() -> list[tuple[str, str]]:
    """``code=`` values of error constructors that are no visible string: (where, expression)."""
    trees = _trees()
    errors = exception_classes(trees)
    found: list[tuple[str, str]] = []
    for path, tree in trees:
        scope = _scopes(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in errors:
                for keyword in node.keywords:
                    value = keyword.value
                    if keyword.arg == "code" and not list(_strings(value, scope[value])):
                        found.append((f"{path}:{node.lineno}", ast.unparse(value)))
    return found
