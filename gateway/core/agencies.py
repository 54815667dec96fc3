"""Registry changes made by connected systems: ``registerAgency`` / ``deleteAgency`` (VXP §5.9).

Only systems with the admin grant may change the registry (``AUTH_FORBIDDEN`` otherwise). A
registered agency is added to the node's live registry and the registry is saved to the node's
data directory (``<data_dir>/registry.json``), which the node loads at start-up in place of the
bundled one when no ``GATEWAY_REGISTRY_FILE`` is set, so changes survive restarts. ``deleteAgency``
*closes* the agency (without successor) instead of erasing it: its history stays, traffic to it is
refused with ``RECIPIENT_CLOSED`` and ``getSynchronizeUnit`` lists it as deleted.

Each change is appended to the audit log (``registry_changed``, actor ``system:<id>``, the
agency before and after).

The request body of ``registerAgency`` is the caller's text verbatim; the official example's is
malformed JSON (``"mail":cc""``), so it is read leniently: JSON first, then ``"key":"value"`` pairs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from gateway.core.actors import (
    Action,
    Actor,
    AuditRecord,
    AuditSink,
    Capability,
    NullAudit,
    require,
)
from gateway.core.clock import VN_TZ, Clock
from gateway.core.errors import BadRequest, NotFound
from gateway.core.model import System
from gateway.core.permissions import require_admin
from identifiers import Agency, AgencyCode, Registry

_PAIR = re.compile(r'"([A-Za-z0-9_]+)"\s*:\s*"([^"]*)"')


def read_agency_body(text: str) -> dict[str, str]:
    """The fields of a ``registerAgency`` body: JSON if it parses, else quoted pairs."""
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return {str(k): str(v) for k, v in parsed.items() if v is not None}
    pairs = dict(_PAIR.findall(text))
    if not pairs:
        raise BadRequest("the body is not an agency description", field="data")
    return pairs


class RegistryAdmin:
    """Applies registry changes of admin systems (VXP) and of people (the console) to the live
    registry and saves it."""

    def __init__(
        self,
        registry: Registry,
        clock: Clock,
        save: Callable[[Registry], None],
        audit: AuditSink | None = None,
    ) -> None:
        self.registry = registry
        self.clock = clock
        self.save = save
        self.audit: AuditSink = audit or NullAudit()

    async def _record(
        self, caller: System, call: str, agency: Agency, before: Agency | None
    ) -> None:
        await self.audit.append(
            AuditRecord(
                actor=f"system:{caller.system_id}",
                action=Action.REGISTRY_CHANGED,
                target=f"agency:{agency.primary}",
                before=None if before is None else before.to_dict(),
                after=agency.to_dict(),
                extra={"call": call},
            )
        )

    @staticmethod
    def _require_admin(caller: System) -> None:
        require_admin(caller, "change the agency registry", "systemid")

    async def register(self, caller: System, body: str) -> Agency:
        """Add the agency a ``registerAgency`` body describes."""
        self._require_admin(caller)
        fields = read_agency_body(body)
        code = (fields.get("code") or "").strip()
        name = (fields.get("name") or "").strip()
        if not code or not name:
            raise BadRequest("code and name are required", field="code" if not code else "name")
        parsed = AgencyCode.parse(code)
        in_102 = parsed.form.value == "qcvn102"
        agency = Agency(
            code=None if in_102 else code,
            code102=code if in_102 else None,
            name=name,
            parent=(fields.get("pcode") or "").strip() or None,
            email=(fields.get("mail") or "").strip() or None,
            phone=(fields.get("mobile") or "").strip() or None,
            system_id=caller.system_id,
        )
        added = self.registry.add(agency, on=self.clock.now().astimezone(VN_TZ).date())
        self.save(self.registry)
        await self._record(caller, "registerAgency", added, None)
        return added

    async def delete(self, caller: System, code: str) -> Agency:
        """Close an agency (without successor)."""
        self._require_admin(caller)
        if not code.strip():
            raise BadRequest("AgencyCode is required", field="AgencyCode")
        before = self.registry.get(code.strip())
        closed = self.registry.close(code.strip(), None, self.clock.now().astimezone(VN_TZ).date())
        self.save(self.registry)
        await self._record(caller, "deleteAgency", closed, before)
        return closed

    # ---------------------------------------------------------------- people (the console)

    async def _record_person(
        self, by: Actor, call: str, agency: Agency, before: Agency | None, reason: str | None
    ) -> None:
        await self.audit.append(
            AuditRecord(
                actor=by.username,
                action=Action.REGISTRY_CHANGED,
                target=f"agency:{agency.primary}",
                reason=reason,
                before=None if before is None else before.to_dict(),
                after=agency.to_dict(),
                channel=by.channel,
                extra={"call": call},
            )
        )

    async def add_agency(
        self, by: Actor | None, agency: Agency, reason: str | None = None
    ) -> Agency:
        """Register ``agency`` for a person with ``MANAGE_REGISTRY`` (the console)."""
        who = require(by, Capability.MANAGE_REGISTRY, "code")
        added = self.registry.add(agency, on=self.clock.now().astimezone(VN_TZ).date())
        self.save(self.registry)
        await self._record_person(who, "add", added, None, reason)
        return added

    async def close_agency(
        self,
        by: Actor | None,
        code: str,
        successor: str | None = None,
        effective: date | None = None,
        reason: str | None = None,
    ) -> Agency:
        """Close an agency for a person with ``MANAGE_REGISTRY``, into ``successor`` (which must
        be registered) from ``effective`` (default today)."""
        who = require(by, Capability.MANAGE_REGISTRY, "code")
        if successor is not None and self.registry.get(successor) is None:
            raise NotFound(f"no agency {successor!r}", code="AGENCY_UNKNOWN", field="successor")
        before = self.registry.get(code)
        day = effective or self.clock.now().astimezone(VN_TZ).date()
        closed = self.registry.close(code, successor, day)
        self.save(self.registry)
        await self._record_person(who, "close", closed, before, reason)
        return closed
