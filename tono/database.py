"""Engines and sessions, built from the settings and handed to each side (DESIGN.md §2 rule 6)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import agency.models  # noqa: F401  (registers the agency's tables)
import bot.models  # noqa: F401  (registers the provider's tables)
import linkqueue.tables  # noqa: F401  (registers the queue's tables)

metadata = SQLModel.metadata


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers go on while one writer commits; foreign keys are off in SQLite unless asked.
    # The driver's own transaction handling is switched off so that _begin_immediate decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _begin_immediate(connection) -> None:
    # SQLite has no row locks: a transaction that read first and writes later fails when another
    # committed in between. Taking the write lock at BEGIN makes transactions queue up instead,
    # which is what SELECT … FOR UPDATE gives on PostgreSQL (SQLAlchemy's documented recipe).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(database_url: str, **kwargs) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if database_url.startswith("sqlite") and ":memory:" not in database_url:
        # One connection per process, so transactions queue in asyncio, first come first served. With a
        # pool, every connection's BEGIN IMMEDIATE waits in SQLite's busy handler instead, which sleeps up
        # to 100 ms between tries and under load starves some until "database is locked" (a lost turn).
        # One writer at a time either way; another process still waits in the busy handler.
        kwargs = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60, **kwargs}
    engine = create_async_engine(database_url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
