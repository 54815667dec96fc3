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
(docs/benchmarks.md). Those connections are lent by :class:`DriverConnections`, which keeps a few
of the engine's pooled connections checked out between statements. SQLite runs the same store
methods through SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import functools
import time
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import greenlet_spawn

from gateway.core.errors import ExchangeError, StoreUnavailable

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="SessionScope")


#: Idle connections :class:`DriverConnections` keeps checked out at most (more in use at once
#: come from the engine's pool and go back to it).
DRIVER_IDLE = 8
#: The lender of each engine (:meth:`DriverConnections.of`).
_LENDERS: weakref.WeakKeyDictionary[Engine, DriverConnections] = weakref.WeakKeyDictionary()
#: Seconds a lent connection is kept before it goes back to the pool, which then recycles it as
#: it recycles its own (``pool_recycle`` in :func:`gateway.store.database.create_engine`).
DRIVER_RECYCLE_S = 1800.0


def _closed(proxied: PoolProxiedConnection) -> bool:
    """True when the connection's asyncpg connection is gone or has seen its socket close."""
    driver = proxied.driver_connection
    return driver is None or bool(driver.is_closed())


class DriverConnections:
    """Connections of an engine's pool kept checked out for driver SQL, lent without the pool.

    Checking a connection out of SQLAlchemy's pool and back in costs two greenlet switches and
    the pool's bookkeeping (about 40 µs, more than PostgreSQL spends on an empty poll;
    docs/benchmarks.md, round seven); lending an idle one of these is a list pop. Up to
    :data:`DRIVER_IDLE` stay checked out while idle (last in, first out, like the pool), the rest
    go back to the pool; each goes back after :data:`DRIVER_RECYCLE_S`. A connection found dead
    is invalidated with every idle one (a database restart kills them all; SQLAlchemy's pool
    does the same), and the engine's ``dispose()`` invalidates the idle ones too, so nothing
    stays checked out of a disposed engine. One per engine (:meth:`of`), shared by every store
    adapter on it.
    """

    def __init__(self, engine: AsyncEngine, idle: int = DRIVER_IDLE) -> None:
        # No reference to the engine (the registry's key would never be collected).
        self.idle_limit = idle
        #: (connection, monotonic time it was checked out of the pool), the last returned last.
        self._idle: list[tuple[PoolProxiedConnection, float]] = []
        event.listen(engine.sync_engine, "engine_disposed", self._disposed)

    @classmethod
    def of(cls, engine: AsyncEngine) -> DriverConnections:
        """The lender of ``engine`` (made on first use)."""
        lender = _LENDERS.get(engine.sync_engine)
        if lender is None:
            lender = _LENDERS[engine.sync_engine] = cls(engine)
        return lender

    @property
    def idle(self) -> int:
        """Connections held, not lent."""
        return len(self._idle)

    async def acquire(self, engine: AsyncEngine) -> tuple[PoolProxiedConnection, float]:
        """An idle held connection, or a new one from the pool of ``engine`` (this lender's).
        Held ones asyncpg has seen closed (the server went away meanwhile) are dropped."""
        while self._idle:
            lent = self._idle.pop()
            if not _closed(lent[0]):
                return lent
            await greenlet_spawn(lent[0].invalidate)
        return await engine.raw_connection(), time.monotonic()

    async def release(self, lent: tuple[PoolProxiedConnection, float], *, dead: bool) -> None:
        """Keep ``lent`` for the next caller, or give it back to the pool (``dead``: invalidate
        it and every idle one)."""
        proxied, since = lent
        if dead:
            idle, self._idle = self._idle, []
            for other, _ in idle:
                await greenlet_spawn(other.invalidate)
            await greenlet_spawn(proxied.invalidate)
            return
        driver = proxied.driver_connection
        if _closed(proxied) or driver is None or driver.is_in_transaction():
            # Never lend a connection with a transaction left open (or a closed one) again.
            await greenlet_spawn(proxied.invalidate)
        elif len(self._idle) < self.idle_limit and time.monotonic() - since < DRIVER_RECYCLE_S:
            self._idle.append(lent)
        else:
            await greenlet_spawn(proxied.close)

    def _disposed(self, engine: Engine) -> None:
        # Inside Engine.dispose(), which AsyncEngine.dispose() runs in its greenlet: the
        # adapter's awaits are allowed here.
        idle, self._idle = self._idle, []
        for proxied, _ in idle:
            proxied.invalidate()


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
        self._lender = DriverConnections.of(engine) if self._postgres else None

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
        and the failure marked for :func:`reconnecting`); constraint violations pass. The
        connection is lent by :class:`DriverConnections`."""
        lender = self._lender
        if lender is None:
            raise TypeError("driver SQL runs on PostgreSQL only")
        try:
            lent = await lender.acquire(self.engine)
        except (DBAPIError, OSError) as exc:
            raise StoreUnavailable(f"database error: {type(exc).__name__}") from exc
        dead = False
        try:
            yield lent[0].driver_connection
        except (asyncpg.IntegrityConstraintViolationError, ExchangeError):
            raise
        except (
            asyncpg.PostgresConnectionError,
            asyncpg.InterfaceError,
            # A connection the server terminated while it sat idle: asyncpg read the notice
            # but not yet the close ("another operation is in progress").
            asyncpg.InternalClientError,
            OSError,
        ) as exc:
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
            await lender.release(lent, dead=dead)


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
