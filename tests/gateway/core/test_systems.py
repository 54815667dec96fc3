"""SystemAdmin: every change audited (actor the person, or ``cli``; never a secret), the
capability checked, and admin systems that need no agency grant, so receive nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.core.actors import Action, Actor, Channel, Role
from gateway.core.audit import AuditLog
from gateway.core.clock import FrozenClock
from gateway.core.errors import BadRequest, NotAllowed
from gateway.core.routing import Routes
from gateway.core.secrets import SecretBox
from gateway.core.systems import SystemAdmin
from gateway.store.audit import SqlAudit
from identifiers import Agency, Registry
from tests.gateway.store.conftest import NOW, open_store

OPERATOR = Actor("olga", Role.OPERATOR, Channel.TOKEN)


def registry() -> Registry:
    """Lạng Sơn (H37) with two agencies."""
    return Registry(
        [
            Agency(code="H37", name="UBND tỉnh Lạng Sơn"),
            Agency(code="H37.01", name="Sở Nội vụ", parent="H37"),
            Agency(code="H37.02", name="Sở Tài chính", parent="H37"),
        ]
    )


@pytest.fixture
async def admin(tmp_path: Path) -> AsyncIterator[tuple[SystemAdmin, AuditLog]]:
    """A SystemAdmin on a SQLite store, auditing into its log."""
    async with open_store("sqlite", tmp_path) as store:
        clock = FrozenClock(NOW)
        audit = AuditLog(SqlAudit(store.engine), clock)
        yield SystemAdmin(store, SecretBox("k" * 40), registry(), clock, audit), audit


async def test_every_change_is_audited_without_secrets(
    admin: tuple[SystemAdmin, AuditLog],
) -> None:
    """add, disable, enable, rotate secret and token, grants: one entry each, by the actor."""
    systems, audit = admin
    added = await systems.add("sys-a", ["H37.01"], by=OPERATOR)
    await systems.set_enabled("sys-a", False, by=OPERATOR, reason="maintenance")
    await systems.set_enabled("sys-a", True)
    secret = await systems.rotate_secret("sys-a", by=OPERATOR)
    token = await systems.rotate_token("sys-a")
    await systems.grant("sys-a", ["H37.02"], by=OPERATOR)
    await systems.set_admin("sys-a", True)
    entries = [e async for e in audit.entries()]
    assert [(e.action, e.actor) for e in entries] == [
        (Action.SYSTEM_ADDED, "olga"),
        (Action.SYSTEM_DISABLED, "olga"),
        (Action.SYSTEM_ENABLED, "cli"),
        (Action.SYSTEM_SECRET_ROTATED, "olga"),
        (Action.SYSTEM_TOKEN_ROTATED, "cli"),
        (Action.SYSTEM_GRANTED, "olga"),
        (Action.SYSTEM_GRANTED, "cli"),
    ]
    assert {e.target for e in entries} == {"system:sys-a"}
    assert entries[0].after == {
        "grants": ["H37.01"], "enabled": True, "admin": False, "node_link": False,
        "description": "",
    }  # fmt: skip
    assert (entries[1].before, entries[1].after, entries[1].reason) == (
        {"enabled": True}, {"enabled": False}, "maintenance",
    )  # fmt: skip
    assert entries[5].after == {"grants": ["H37.01", "H37.02"]}
    assert (entries[0].channel, entries[2].channel) == ("token", "cli")
    logged = str([e.as_dict() for e in entries])
    for secret_value in (added.secret, added.token, secret, token):
        assert secret_value not in logged
    assert (await audit.verify()).ok


async def test_unchanged_values_are_not_audited(admin: tuple[SystemAdmin, AuditLog]) -> None:
    """Giving the admin grant to an admin system (or no codes to grant) adds no entry."""
    systems, audit = admin
    await systems.add("reg", [], admin=True)
    await systems.set_admin("reg", True)
    await systems.grant("reg", [])
    assert [e.action async for e in audit.entries()] == [Action.SYSTEM_ADDED]


async def test_an_auditor_may_not_manage_systems(admin: tuple[SystemAdmin, AuditLog]) -> None:
    """An auditor acting is refused with AUTH_ROLE, before anything changes."""
    systems, audit = admin
    with pytest.raises(NotAllowed) as caught:
        await systems.add("sys-a", ["H37"], by=Actor("ali", Role.AUDITOR))
    assert caught.value.code == "AUTH_ROLE"
    assert await systems.list() == []
    assert [e async for e in audit.entries()] == []


async def test_only_admin_systems_may_have_no_grant(admin: tuple[SystemAdmin, AuditLog]) -> None:
    """A document system needs a grant (SYSTEM_GRANT_INVALID); an admin system does not."""
    systems, _ = admin
    with pytest.raises(BadRequest) as caught:
        await systems.add("sys-a", [])
    assert caught.value.code == "SYSTEM_GRANT_INVALID"
    registered = await systems.add("reg", [], admin=True)
    assert (registered.system.grants, registered.system.admin) == ((), True)


async def test_an_admin_system_without_grants_receives_nothing(
    admin: tuple[SystemAdmin, AuditLog],
) -> None:
    """An admin system without a grant is never a copy's owner (its old H37 grant made it one)."""
    # Why an admin system received other agencies' copies: it had to hold a grant, and a level-1
    # grant (H37) owns every H37 agency no more specific system serves.
    systems, _ = admin
    await systems.add("sys-noi-vu", ["H37.01"])
    await systems.add("old-reg", ["H37"], admin=True)  # the old way: a grant to pass the check
    routes = Routes(systems.registry, systems.store)
    assert (await routes.table()).owner("H37.02") == "old-reg"  # the reported misrouting
    await systems.grant("old-reg", ["H37"], revoke=True)
    await systems.add("reg", [], admin=True)
    table = await routes.table()
    assert table.owner("H37.01") == "sys-noi-vu"
    assert table.owner("H37.02") is None
    assert "reg" not in {system_id for system_id, _ in await systems.store.grants()}
