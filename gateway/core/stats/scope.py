"""Which agencies a figure counts: one agency rolled up along the registry, or the whole node.

A province's (or a ministry's) figures include its departments': the scope of a code is its
subtree in the registry (:meth:`identifiers.Registry.subtree`, by structure or parent links),
plus the codes seen in the traffic that the registry places under it. A merged agency's history
follows its successor (Tuyên Quang 51/2024 Art. 23; QĐ 09/2025/QĐ-TTg): an agency closed into one
of the scope's agencies, and its own subtree, count there, and the redirect is shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.core.routing import code_key
from identifiers import Registry
from identifiers.agency import Agency


@dataclass(frozen=True, slots=True)
class Redirect:
    """A closed agency whose history is counted under its successor."""

    source: str
    target: str


@dataclass(frozen=True, slots=True)
class Scope:
    """What a figure counts: ``keys`` (agency code keys), or every agency when ``whole``."""

    code: str | None
    name: str | None
    keys: frozenset[str]
    redirects: tuple[Redirect, ...] = ()
    whole: bool = False


NODE_SCOPE = Scope(None, None, frozenset(), (), True)


def _keys(agency: Agency) -> set[str]:
    return {code_key(c) for c in agency.codes}


def _final(registry: Registry, agency: Agency) -> Agency:
    seen: set[str] = set()
    while agency.successor and agency.primary not in seen and len(seen) < 64:
        seen.add(agency.primary)
        nxt = registry.get(agency.successor)
        if nxt is None:
            break
        agency = nxt
    return agency


def resolve_scope(registry: Registry, code: str | None, known: Iterable[str]) -> Scope:
    """The scope of ``code`` (None: the whole node); ``known`` are the agency keys the rollups
    hold, so that codes the registry does not list but places in the subtree count too."""
    if code is None or not code.strip():
        return NODE_SCOPE
    known = set(known)
    root = registry.get(code)
    keys = {code_key(code)}
    for agency in registry.subtree(code):
        keys |= _keys(agency)
    keys |= {k for k in known if k not in keys and registry.owns(code, k)}
    redirects: list[Redirect] = []
    for agency in registry.agencies():
        if not agency.successor or _keys(agency) & keys:
            continue
        final = _final(registry, agency)
        if final is not agency and _keys(final) & keys:
            redirects.append(Redirect(agency.primary, final.primary))
            keys |= _keys(agency)
            for below in registry.subtree(agency.primary):
                keys |= _keys(below)
            keys |= {k for k in known if registry.owns(agency.primary, k)}
    whole = bool(known) and known <= keys
    return Scope(
        root.primary if root is not None else code.strip(),
        root.name if root is not None else None,
        frozenset(keys),
        tuple(redirects),
        whole,
    )


def successor_of(registry: Registry, key: str) -> tuple[str, Redirect | None]:
    """Where an agency's own row goes in a per-agency table: its final successor's key (with
    the redirect) when it was merged, else itself."""
    agency = registry.get(key)
    if agency is None or not agency.successor:
        return key, None
    final = _final(registry, agency)
    if final is agency:
        return key, None
    return code_key(final.primary), Redirect(agency.primary, final.primary)
