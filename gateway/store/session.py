"""Transactions of the store: one session per transaction, database failures made domain errors.

:class:`SessionScope` is the base of the store's adapters. Connections are not pinged at checkout
(``pool_pre_ping`` costs three round trips per transaction); instead :func:`reconnecting` runs a
method once more when its transaction failed because the connection was found dead (a database
restart or a dropped socket: SQLAlchemy then invalidates the pool, so the second attempt gets a
fresh connection). Every method it wraps is one transaction, so nothing was committed by the failed
attempt; a failure during ``COMMIT`` itself is the one ambiguous case, and the store's writes are
idempotent on a repeat (unique keys, ``UPDATE … WHERE state = …``).

The hottest statements (the poll, the accept's reads and its one write) run on PostgreSQL as
driver SQL on the pooled connection's asyncpg connection (:meth:`SessionScope._driver`), written
once as text: SQLAlchemy's session and statement machinery cost several times the statement itself
(docs/benchmarks.md). SQLite runs the same store methods through SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util import greenlet_spawn

from gateway.core.errors import ExchangeError, StoreUnavailable

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="SessionScope")


class SessionScope:
    """An engine, its session factory, and :meth:`_tx`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.dialect = engine.dialect.name
        self._postgres = self.dialect == "postgresql"
        # Single-statement work needs no BEGIN/COMMIT round trips: on PostgreSQL it runs on
        # connections in autocommit mode (set client-side by asyncpg, no extra round trip).
        self._autocommit = (
            async_sessionmaker(
                engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
            )
            if self._postgres
            else None
        )

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction; database failures become ``StoreUnavailable``."""
        try:
            async with self._sessions() as session, session.begin():
                yield session
        except (IntegrityError, ExchangeError):
            raise
        except (DBAPIError, OSError) as exc:
            raise StoreUnavailable(f"database error: {type(exc).__name__}") from exc

    @asynccontextmanager
    async def _one(self) -> AsyncIterator[AsyncSession]:
        """A session for one statement (or reads that need no common snapshot): autocommit on
        PostgreSQL, a transaction on SQLite (which starts none for reads anyway)."""
        if self._autocommit is None:
            async with self._tx() as session:
                yield session
            return
        try:
            async with self._autocommit() as session:
                yield session
        except (IntegrityError, ExchangeError):
            raise
        except (DBAPIError, OSError) as exc:
            raise StoreUnavailable(f"database error: {type(exc).__name__}") from exc

    @asynccontextmanager
    async def _driver(self) -> AsyncIterator[Any]:
        """PostgreSQL only: the asyncpg connection of a pooled connection, in autocommit (each
        statement its own transaction, nothing left open when it goes back to the pool).
        Database failures become ``StoreUnavailable`` (a dead connection is dropped from the pool
        and the failure marked for :func:`reconnecting`); constraint violations pass."""
        try:
            proxied = await self.engine.raw_connection()
        except (DBAPIError, OSError) as exc:
            raise StoreUnavailable(f"database error: {type(exc).__name__}") from exc
        dead = False
        try:
            yield proxied.driver_connection
        except (asyncpg.IntegrityConstraintViolationError, ExchangeError):
            raise
        except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError) as exc:
            dead = True
            error = StoreUnavailable(f"database error: {type(exc).__name__}")
            error.dropped = True  # type: ignore[attr-defined]
            raise error from exc
        except asyncpg.PostgresError as exc:
            raise StoreUnavailable(f"database error: {type(exc).__name__}") from exc
        except asyncio.CancelledError:
            dead = True  # a statement may still be running on it: never hand it out again
            raise
        finally:
            if dead:
                await greenlet_spawn(proxied.invalidate)
            await greenlet_spawn(proxied.close)


def _dropped(exc: BaseException) -> bool:
    if getattr(exc, "dropped", False):
        return True
    cause = exc.__cause__
    return isinstance(cause, DBAPIError) and bool(cause.connection_invalidated)


def reconnecting(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
    """Run a one-transaction store method again, once, when its connection was found dead."""

    @functools.wraps(method)
    async def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(self, *args, **kwargs)
        except StoreUnavailable as exc:
            if not _dropped(exc):
                raise
        return await method(self, *args, **kwargs)

    return wrapper
