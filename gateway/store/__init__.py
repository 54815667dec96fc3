"""The store adapter: SQLAlchemy 2 async over PostgreSQL (asyncpg) or SQLite (aiosqlite).

:mod:`~gateway.store.tables` holds the rows, :mod:`~gateway.store.database` the engine and the
Alembic migrations, :mod:`~gateway.store.repository` the implementation of the store port of
:mod:`gateway.core.ports`.
"""
