"""Users, personal tokens and sign-in throttles in the store (the port of gateway/core/people.py).

Not cached: people sign in rarely, and a disabled user's token must stop working at once, in
every process. A personal-token call costs one indexed join.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from gateway.core.actors import Role
from gateway.core.errors import NotAllowed, NotFound
from gateway.core.people import Throttle, User
from gateway.store.session import SessionScope, reconnecting
from gateway.store.tables import PersonalTokenRow, SignInThrottleRow, UserRow


def _user(row: UserRow) -> User:
    return User(
        username=row.username,
        role=Role(row.role),
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
        password_changed_at=row.password_changed_at,
    )


class SqlPeople(SessionScope):
    """:class:`gateway.core.people.PeopleStore` over SQLAlchemy (PostgreSQL or SQLite)."""

    async def add_user(self, user: User, password_hash: str) -> None:
        """Store a new user (``USER_EXISTS`` when the name is taken)."""
        exists = NotAllowed(
            f"user {user.username!r} already exists", code="USER_EXISTS", field="username"
        )
        try:
            async with self._tx() as s:
                if await s.get(UserRow, user.username) is not None:
                    raise exists
                s.add(
                    UserRow(
                        username=user.username,
                        role=user.role.value,
                        password_hash=password_hash,
                        enabled=user.enabled,
                        created_at=user.created_at,
                        updated_at=user.updated_at,
                        password_changed_at=user.password_changed_at,
                    )
                )
        except IntegrityError as exc:  # a concurrent add of the same name won
            raise exists from exc

    @reconnecting
    async def get_user(self, username: str) -> tuple[User, str] | None:
        """The user and their password hash, or None."""
        async with self._one() as s:
            row = await s.get(UserRow, username)
            return None if row is None else (_user(row), row.password_hash)

    @reconnecting
    async def list_users(self) -> list[User]:
        """Every user, by name."""
        async with self._one() as s:
            return [_user(r) for r in await s.scalars(select(UserRow).order_by(UserRow.username))]

    async def update_user(
        self,
        username: str,
        *,
        now: datetime,
        enabled: bool | None = None,
        password_hash: str | None = None,
    ) -> User:
        """Change what is given (``USER_UNKNOWN`` for an unknown name)."""
        async with self._tx() as s:
            row = await s.get(UserRow, username, with_for_update=self._postgres)
            if row is None:
                raise NotFound(f"no user {username!r}", code="USER_UNKNOWN", field="username")
            if enabled is not None:
                row.enabled = enabled
            if password_hash is not None:
                row.password_hash = password_hash
                row.password_changed_at = now
            row.updated_at = now
            await s.flush()
            return _user(row)

    @reconnecting
    async def throttle(self, username: str) -> Throttle:
        """The failed sign-ins recorded for ``username``."""
        async with self._one() as s:
            row = await s.get(SignInThrottleRow, username)
            return Throttle() if row is None else Throttle(row.failures, row.locked_until)

    async def record_failure(
        self, username: str, now: datetime, step: Callable[[Throttle, datetime], Throttle]
    ) -> Throttle:
        """Apply ``step`` to the row of ``username`` under a row lock (PostgreSQL) or the
        database's one writer (SQLite: the no-op write first takes the write lock)."""
        for attempt in range(3):
            try:
                async with self._tx() as s:
                    if not self._postgres:
                        await s.execute(
                            update(SignInThrottleRow)
                            .where(SignInThrottleRow.username == username)
                            .values(failures=SignInThrottleRow.failures)
                        )
                    row = await s.get(SignInThrottleRow, username, with_for_update=self._postgres)
                    current = (
                        Throttle() if row is None else Throttle(row.failures, row.locked_until)
                    )
                    new = step(current, now)
                    if row is None:
                        s.add(
                            SignInThrottleRow(
                                username=username,
                                failures=new.failures,
                                last_failure_at=now,
                                locked_until=new.locked_until,
                            )
                        )
                    else:
                        row.failures = new.failures
                        row.last_failure_at = now
                        row.locked_until = new.locked_until
                return new
            except IntegrityError:  # the first failure of that name, counted concurrently
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def clear_failures(self, username: str) -> None:
        """Forget the failed sign-ins of ``username``."""
        async with self._tx() as s:
            await s.execute(delete(SignInThrottleRow).where(SignInThrottleRow.username == username))

    async def add_token(self, token_hash: str, username: str, now: datetime) -> None:
        """Store a personal token's hash."""
        async with self._tx() as s:
            s.add(PersonalTokenRow(token_hash=token_hash, username=username, created_at=now))

    @reconnecting
    async def user_by_token(self, token_hash: str) -> User | None:
        """The user holding the token, or None."""
        async with self._one() as s:
            row = await s.scalar(
                select(UserRow)
                .join(PersonalTokenRow, PersonalTokenRow.username == UserRow.username)
                .where(PersonalTokenRow.token_hash == token_hash)
            )
            return None if row is None else _user(row)
