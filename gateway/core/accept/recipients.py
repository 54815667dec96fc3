"""Recipients: each code through the registry (succession followed), then to its system or link.

``to`` if given, else ``To/OrganId`` (documents) or ``ResponseFor/OrganId`` (statuses); each
code is resolved through the registry with succession (``RECIPIENT_UNKNOWN`` lists every unknown
code; ``RECIPIENT_CLOSED`` / ``RECIPIENT_SUSPENDED``). A copy goes to the local system that owns
its code (the most specific grant, :mod:`gateway.core.routing`); on a provincial node a code
outside the province goes by the upstream link; on a national node a code its registry does not
know still goes to the downstream node owning its subtree.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gateway.core import work
from gateway.core.accept.request import AcceptConfig
from gateway.core.clock import VN_TZ
from gateway.core.errors import PackageRefused, RecipientRefused
from gateway.core.model import RecipientPlan, System
from gateway.core.routing import RoutingTable, code_key, grant_covers, granted
from identifiers import Registry, ResolutionOutcome

#: (code as requested, effective code after succession, the redirects followed)
Resolved = tuple[str, str, tuple[dict[str, Any], ...]]


class Recipients:
    """Where the copies of a package go, on this node's registry and settings."""

    def __init__(self, registry: Registry, config: AcceptConfig) -> None:
        self.registry = registry
        self.config = config

    def may_act_for(self, caller: System, code: str) -> bool:
        """True when ``caller`` may send as ``code``: its grants, or, for the upstream node
        (which relays for every agency outside the province), any code outside it."""
        if caller.relay:
            return self.outside_province(code)
        return granted(self.registry, caller.grants, code)

    def outside_province(self, code: str) -> bool:
        """True on a provincial node with an upstream when ``code`` lies outside its province."""
        if not self.config.upstream:
            return False
        return not any(grant_covers(self.registry, own, code) for own in self.config.province)

    def relayed(self, code: str, table: RoutingTable) -> bool:
        """An agency this node's registry does not know, that another node will resolve: the
        national node (upstream), or the downstream node owning its subtree (national role)."""
        if self.outside_province(code):
            return True
        return self.config.national and table.owner(code) is not None

    def resolve(self, codes: Sequence[str], now: datetime, table: RoutingTable) -> list[Resolved]:
        """(requested, effective code, redirects) per distinct recipient, or a coded refusal."""
        # Succession on the day of the send, in Vietnam's time zone.
        today = now.astimezone(VN_TZ).date()
        unknown: list[str] = []
        stopped: list[tuple[str, str]] = []
        out: list[Resolved] = []
        seen: set[str] = set()
        for raw in codes:
            code = raw.strip()
            if not code:
                continue
            resolution = self.registry.resolve(code, today)
            if resolution.outcome is ResolutionOutcome.UNKNOWN:
                if self.relayed(code, table) and code_key(code) not in seen:
                    seen.add(code_key(code))
                    out.append((code, code, ()))
                else:
                    unknown.append(code)
                continue
            if resolution.outcome is not ResolutionOutcome.FOUND or resolution.code is None:
                stopped.append((code, resolution.outcome.value))
                continue
            effective = code
            if resolution.redirects and resolution.agency is not None:
                # Keep the sender's code form: 000.00.94.H14 → 000.00.95.H14, H14.94 → H14.95.
                agency = resolution.agency
                requested = self.registry.get(code)
                in_102 = requested is not None and requested.code102 == code
                effective = (agency.code102 if in_102 else agency.code) or agency.primary
            key = code_key(effective)
            if key in seen:
                continue
            seen.add(key)
            redirects = tuple(r.to_dict() for r in resolution.redirects)
            out.append((code, effective, redirects))
        if unknown:
            raise RecipientRefused(
                "recipient agency not registered: " + ", ".join(unknown),
                code="RECIPIENT_UNKNOWN",
                codes=unknown,
            )
        if stopped:
            closed = [c for c, outcome in stopped if outcome != ResolutionOutcome.SUSPENDED.value]
            code = "RECIPIENT_CLOSED" if closed else "RECIPIENT_SUSPENDED"
            listed = ", ".join(f"{c} ({outcome})" for c, outcome in stopped)
            raise RecipientRefused(
                f"recipient agency cannot receive: {listed}",
                code=code,
                codes=[c for c, _ in stopped],
            )
        if not out:
            raise PackageRefused("no recipient given", code="EDXML_REQUIRED", field="To/OrganId")
        return out

    def plans(
        self,
        table: RoutingTable,
        resolved: Sequence[Resolved],
        concerns: dict[str, str] | None = None,
        origin_doc_id: str | None = None,
    ) -> tuple[RecipientPlan, ...]:
        """One copy per resolved code: to the local system that owns it, else (outside the
        province) by the upstream link; ``concerns`` maps a code key to the copy a status is
        about; a pulled package (``origin_doc_id``) never goes back up
        (``RECIPIENT_NOT_IN_PROVINCE``)."""
        plans = []
        loops: list[str] = []
        for requested, code, redirects in resolved:
            key = code_key(code)
            # A local system that owns the code first; else, outside the province, upstream.
            owner = table.owner(code)
            link = work.UPSTREAM if owner is None and self.outside_province(code) else None
            if link is not None and origin_doc_id is not None:
                loops.append(code)  # pulled from upstream: never sent back up
                continue
            plans.append(
                RecipientPlan(
                    delivery_id=str(uuid.uuid4()),
                    requested_code=requested,
                    code=code,
                    code_key=key,
                    system_id=owner,
                    redirects=redirects,
                    concerns_delivery_id=(concerns or {}).get(key),
                    link=link,
                    origin_doc_id=origin_doc_id if len(resolved) == 1 else None,
                )
            )
        if loops:
            raise RecipientRefused(
                "recipient is not in this node's province: " + ", ".join(loops),
                code="RECIPIENT_NOT_IN_PROVINCE",
                codes=loops,
            )
        return tuple(plans)
