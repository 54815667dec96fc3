"""Users, sign-in with lock-out, personal tokens: the People use case on both backends."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from gateway.core.actors import Action, Actor, Channel, Role
from gateway.core.audit import AuditLog
from gateway.core.clock import FrozenClock
from gateway.core.errors import AuthError, BadRequest, NotAllowed, NotFound
from gateway.core.passwords import Passwords
from gateway.core.people import People, PeopleConfig
from gateway.store.audit import SqlAudit
from gateway.store.people import SqlPeople
from gateway.store.repository import SqlStore
from tests.gateway.store.conftest import NOW

#: argon2id at its cheapest: the tests check behaviour, not cost.
CHEAP = Passwords(time_cost=1, memory_kib=8, parallelism=1)
PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at the store tests' instant."""
    return FrozenClock(NOW)


@pytest.fixture
def audit(store: SqlStore, clock: FrozenClock) -> AuditLog:
    """The store's audit log."""
    return AuditLog(SqlAudit(store.engine), clock)


@pytest.fixture
def people(store: SqlStore, clock: FrozenClock, audit: AuditLog) -> People:
    """People on the store, 3 failures lock for 15 minutes."""
    config = PeopleConfig(max_failures=3, lockout=timedelta(minutes=15))
    return People(SqlPeople(store.engine), clock, audit, passwords=CHEAP, config=config)


async def actions(audit: AuditLog) -> list[str]:
    """The actions of the log, oldest first."""
    return [entry.action async for entry in audit.entries()]


async def test_add_then_sign_in_returns_the_actor(people: People, audit: AuditLog) -> None:
    """A user added with a password signs in as an Actor of their role; both are audited."""
    user, shown = await people.add("Alice", "operator", password=PASSWORD)
    assert (user.username, user.role, shown) == ("alice", Role.OPERATOR, None)
    actor = await people.authenticate("alice", PASSWORD, Channel.CONSOLE)
    assert actor == Actor("alice", Role.OPERATOR, Channel.CONSOLE)
    assert await actions(audit) == [Action.USER_ADDED, Action.SIGN_IN]
    (signed_in,) = await audit.page(action="sign_in")
    assert (signed_in.actor, signed_in.channel) == ("alice", "console")


async def test_a_generated_password_is_returned_once_and_works(people: People) -> None:
    """Without a password one is generated, returned, and accepted at sign-in."""
    _, shown = await people.add("bob", Role.AUDITOR)
    assert shown is not None
    assert len(shown) >= 16
    assert (await people.authenticate("bob", shown, Channel.CLI)).role is Role.AUDITOR


async def test_the_password_is_stored_as_argon2id(people: People, store: SqlStore) -> None:
    """The store keeps an argon2id PHC string, never the password."""
    await people.add("carol", "admin", password=PASSWORD)
    found = await SqlPeople(store.engine).get_user("carol")
    assert found is not None
    assert found[1].startswith("$argon2id$")
    assert PASSWORD not in found[1]


async def test_wrong_password_and_unknown_user_fail_alike(people: People, audit: AuditLog) -> None:
    """A wrong password and an unknown name both give AUTH_PASSWORD, each audited."""
    await people.add("alice", "operator", password=PASSWORD)
    for name in ("alice", "nobody"):
        with pytest.raises(AuthError) as caught:
            await people.authenticate(name, "wrong password!", Channel.CONSOLE)
        assert caught.value.code == "AUTH_PASSWORD"
    failed = await audit.page(action="sign_in_failed")
    assert sorted(e.actor for e in failed) == ["alice", "nobody"]
    assert {e.reason for e in failed} == {"AUTH_PASSWORD"}


async def test_failures_lock_the_name_even_for_the_right_password(
    people: People, clock: FrozenClock, audit: AuditLog
) -> None:
    """The 3rd failure locks for 15 minutes: the right password gets AUTH_LOCKED, then works."""
    await people.add("alice", "operator", password=PASSWORD)
    for _ in range(3):
        with pytest.raises(AuthError, match="wrong"):
            await people.authenticate("alice", "guess guess", Channel.CONSOLE)
    with pytest.raises(AuthError) as caught:
        await people.authenticate("alice", PASSWORD, Channel.CONSOLE)
    assert caught.value.code == "AUTH_LOCKED"
    assert "user_locked" in await actions(audit)
    clock.advance(timedelta(minutes=15, seconds=1))
    assert (await people.authenticate("alice", PASSWORD, Channel.CONSOLE)).username == "alice"
    # A success clears the count: two failures later the name is not locked.
    for _ in range(2):
        with pytest.raises(AuthError, match="wrong"):
            await people.authenticate("alice", "guess guess", Channel.CONSOLE)
    await people.authenticate("alice", PASSWORD, Channel.CONSOLE)


async def test_unknown_names_lock_too(people: People) -> None:
    """A name nobody has locks like a real one: lock-outs reveal nothing about names."""
    for _ in range(3):
        with pytest.raises(AuthError, match="wrong"):
            await people.authenticate("ghost", "guess guess", Channel.CONSOLE)
    with pytest.raises(AuthError) as caught:
        await people.authenticate("ghost", "guess guess", Channel.CONSOLE)
    assert caught.value.code == "AUTH_LOCKED"


async def test_concurrent_failures_all_count(people: People) -> None:
    """Failures at the same moment are each counted (no lost update of the counter)."""
    await people.add("alice", "operator", password=PASSWORD)

    async def fail() -> None:
        with pytest.raises(AuthError):
            await people.authenticate("alice", "guess guess", Channel.CONSOLE)

    await asyncio.gather(fail(), fail(), fail())
    with pytest.raises(AuthError) as caught:
        await people.authenticate("alice", PASSWORD, Channel.CONSOLE)
    assert caught.value.code == "AUTH_LOCKED"


async def test_an_admin_password_reset_lifts_the_lock(people: People) -> None:
    """`passwd` sets a new password and clears the lock-out at once."""
    await people.add("alice", "operator", password=PASSWORD)
    for _ in range(3):
        with pytest.raises(AuthError):
            await people.authenticate("alice", "guess guess", Channel.CONSOLE)
    _, new = await people.set_password("alice")
    assert new is not None
    assert (await people.authenticate("alice", new, Channel.CONSOLE)).username == "alice"
    with pytest.raises(AuthError, match="wrong"):
        await people.authenticate("alice", PASSWORD, Channel.CONSOLE)


async def test_a_disabled_user_cannot_sign_in_or_use_a_token(people: People) -> None:
    """Disabled: AUTH_USER_DISABLED at sign-in and for every token; enabled again, both work."""
    await people.add("admin", "admin", password=PASSWORD)
    await people.add("alice", "operator", password=PASSWORD)
    token = await people.create_token("alice")
    assert (await people.actor_for_token(token)).channel is Channel.TOKEN
    await people.set_enabled("alice", False)
    with pytest.raises(AuthError) as signing:
        await people.authenticate("alice", PASSWORD, Channel.CONSOLE)
    with pytest.raises(AuthError) as using:
        await people.actor_for_token(token)
    assert signing.value.code == using.value.code == "AUTH_USER_DISABLED"
    await people.set_enabled("alice", True)
    assert (await people.actor_for_token(token)).username == "alice"


async def test_tokens_act_with_the_users_role_and_are_stored_hashed(
    people: People, store: SqlStore
) -> None:
    """A personal token names its user and role; the store holds only its SHA-256."""
    await people.add("bob", "auditor", password=PASSWORD)
    token = await people.create_token("bob")
    assert token.startswith("gwp_")
    assert await people.actor_for_token(token) == Actor("bob", Role.AUDITOR, Channel.TOKEN)
    async with store.engine.connect() as connection:
        from sqlalchemy import text

        stored = (await connection.execute(text("SELECT token_hash FROM personal_tokens"))).all()
    assert token not in str(stored)
    for bad in ("gwp_nope", "gwt_system-token", ""):
        with pytest.raises(AuthError) as caught:
            await people.actor_for_token(bad)
        assert caught.value.code == "AUTH_TOKEN"


async def test_checks_of_names_roles_passwords_and_duplicates(people: People) -> None:
    """Malformed names, unknown roles, short passwords, taken names, unknown users are coded."""
    cases = [
        (people.add("a b", "operator"), BadRequest, "USER_NAME_INVALID"),
        (people.add("alice", "root"), BadRequest, "USER_ROLE_INVALID"),
        (people.add("alice", "operator", password="short"), BadRequest, "USER_PASSWORD_WEAK"),
        (people.set_enabled("nobody", False), NotFound, "USER_UNKNOWN"),
    ]
    for pending, kind, code in cases:
        with pytest.raises(kind) as caught:
            await pending
        assert caught.value.code == code
    await people.add("alice", "operator", password=PASSWORD)
    with pytest.raises(NotAllowed) as taken:
        await people.add("ALICE", "auditor", password=PASSWORD)
    assert taken.value.code == "USER_EXISTS"


async def test_the_last_enabled_admin_cannot_be_disabled(people: People) -> None:
    """Disabling the only enabled admin is refused (USER_LAST_ADMIN); with two it works."""
    await people.add("root", "admin", password=PASSWORD)
    with pytest.raises(NotAllowed) as caught:
        await people.set_enabled("root", False)
    assert caught.value.code == "USER_LAST_ADMIN"
    await people.add("root2", "admin", password=PASSWORD)
    assert not (await people.set_enabled("root", False)).enabled


async def test_only_user_managers_may_manage_users(people: People) -> None:
    """An operator acting may not add users (AUTH_ROLE); an admin may, and is the recorded actor."""
    operator = Actor("olga", Role.OPERATOR, Channel.TOKEN)
    with pytest.raises(NotAllowed) as caught:
        await people.add("x1", "auditor", by=operator)
    assert caught.value.code == "AUTH_ROLE"
    admin = Actor("root", Role.ADMIN, Channel.TOKEN)
    await people.add("x1", "auditor", by=admin)
    (entry,) = await people.audit.page(action="user_added")  # type: ignore[attr-defined]
    assert (entry.actor, entry.channel, entry.target) == ("root", "token", "user:x1")


async def test_people_change_their_own_password_and_tokens(people: People) -> None:
    """Without MANAGE_USERS a person may set their own password and make their own token."""
    await people.add("olga", "operator", password=PASSWORD)
    olga = Actor("olga", Role.OPERATOR, Channel.TOKEN)
    await people.set_password("olga", "a new long password", by=olga)
    assert (await people.create_token("olga", by=olga)).startswith("gwp_")
    await people.add("other", "auditor", password=PASSWORD)
    with pytest.raises(NotAllowed):
        await people.create_token("other", by=olga)
