"""RegistryAdmin: registerAgency/deleteAgency of an admin system are audited as ``system:<id>``,
and an admin system needs no agency grant to call them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.core.actors import Action, AuditRecord
from gateway.core.agencies import RegistryAdmin
from gateway.core.clock import FrozenClock
from gateway.core.errors import NotAllowed
from gateway.core.model import System
from identifiers import Agency, Registry

REGISTRAR = System("reg", (), admin=True)


class Records:
    """An audit sink that keeps what it is given."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    async def append(self, record: AuditRecord) -> None:
        """Keep ``record``."""
        self.records.append(record)


def admin_of(sink: Records) -> RegistryAdmin:
    """A RegistryAdmin on a small registry that saves nowhere."""
    registry = Registry([Agency(code="H37", name="UBND tỉnh Lạng Sơn")])
    clock = FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    return RegistryAdmin(registry, clock, lambda _: None, sink)


async def test_register_and_delete_are_audited_as_the_system() -> None:
    """Each call appends registry_changed, actor system:<id>, with the agency before/after."""
    sink = Records()
    admin = admin_of(sink)
    await admin.register(REGISTRAR, '{"code":"H37.09","name":"Sở Mới","pcode":"H37"}')
    await admin.delete(REGISTRAR, "H37.09")
    added, closed = sink.records
    assert (added.action, added.actor, added.target) == (
        Action.REGISTRY_CHANGED, "system:reg", "agency:H37.09",
    )  # fmt: skip
    assert added.before is None
    assert added.after is not None
    assert added.after["name"] == "Sở Mới"
    assert added.extra == {"call": "registerAgency"}
    assert closed.before is not None
    assert closed.after is not None
    assert closed.before["status"] != closed.after["status"]
    assert closed.extra == {"call": "deleteAgency"}


async def test_a_system_without_the_admin_grant_changes_nothing() -> None:
    """A document system is refused (AUTH_FORBIDDEN) and nothing is audited."""
    sink = Records()
    with pytest.raises(NotAllowed) as caught:
        await admin_of(sink).register(System("doc", ("H37",)), '{"code":"H37.09","name":"X"}')
    assert caught.value.code == "AUTH_FORBIDDEN"
    assert sink.records == []


async def test_people_with_manage_registry_add_and_close_into_a_successor() -> None:
    """An operator adds an agency and closes another into it, audited under their name; an
    auditor is refused (AUTH_ROLE) and an unknown successor names AGENCY_UNKNOWN."""
    from datetime import date

    from gateway.core.actors import Actor, Channel, Role
    from gateway.core.errors import NotFound

    sink = Records()
    admin = admin_of(sink)
    operator = Actor("vanhanh", Role.OPERATOR, Channel.CONSOLE)
    await admin.add_agency(operator, Agency(code="H37.10", name="Sở Mới", parent="H37"))
    closed = await admin.close_agency(operator, "H37", "H37.10", date(2026, 3, 1), "sáp nhập")
    assert closed.successor is not None
    assert [(r.actor, r.channel, r.extra["call"]) for r in sink.records] == [
        ("vanhanh", Channel.CONSOLE, "add"),
        ("vanhanh", Channel.CONSOLE, "close"),
    ]
    assert sink.records[1].reason == "sáp nhập"
    with pytest.raises(NotAllowed) as refused:
        await admin.add_agency(Actor("kt", Role.AUDITOR), Agency(code="H37.11", name="X"))
    assert refused.value.code == "AUTH_ROLE"
    with pytest.raises(NotFound) as unknown:
        await admin.close_agency(operator, "H37.10", "H99.99")
    assert unknown.value.code == "AGENCY_UNKNOWN"
