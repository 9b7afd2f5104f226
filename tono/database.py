"""Engines and sessions, built from the settings and handed to each side (DESIGN.md §2 rule 6)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import agency.models  # noqa: F401  (registers the agency's tables)
import bot.models  # noqa: F401  (registers the provider's tables)
import bot.records.tables  # noqa: F401  (the programme's data at the provider)
import bot.reports.tables  # noqa: F401  (reports, their rows and the ledger)
import linkqueue.tables  # noqa: F401  (registers the queue's tables)
import tono.served_address  # noqa: F401  (where `tono run` serves the web chat, for `tono enrol`)

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


# The execution option that marks a transaction whose loss in a power cut costs only a repeated chat message
# (the outbox marking a message sent: bot/outbound/notifier.py passes it by this name).
BOOKKEEPING = "tono_bookkeeping"


def _begin_immediate(connection) -> None:
    # Every transaction waits for the disk at COMMIT (synchronous=FULL) except bookkeeping: with WAL,
    # NORMAL survives a crash of Tono and only a power cut can undo it, and the next FULL commit's fsync
    # of the same log makes it durable too. It saves a disk flush for every chat message sent.
    bookkeeping = connection.get_execution_options().get(BOOKKEEPING, False)
    connection.exec_driver_sql("PRAGMA synchronous=NORMAL" if bookkeeping else "PRAGMA synchronous=FULL")
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


# ---- What a database error means to the person who ran the command --------------------------------------

def in_use_sentence(path: Path) -> str:
    return f"The database {path} is in use by another program: close it and try again."


def not_a_database_sentence(path: Path) -> str:
    return (f"The file {path} is not a SQLite database: point TONO_DATABASE_URL at another file, or move this one "
            "away and run `tono db upgrade`.")


def postgres_login_problem(error: BaseException, database_url: str) -> str | None:
    """One sentence for a PostgreSQL server that answered but would not let Tono in (no such database, no such
    role, a wrong password), or None for anything else. asyncpg raises these from connecting, before SQLAlchemy
    wraps anything, so they are recognised by asyncpg's own classes (and psycopg's SQLSTATE, for Alembic)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    error = getattr(error, "orig", None) or error
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    where = f"the PostgreSQL server at {url.host or 'localhost'}:{url.port or 5432}"
    role, database = url.username or "(your login name)", url.database or "(none)"
    if state == "3D000":  # invalid_catalog_name
        return (f"TONO_DATABASE_URL names the database {database}, which does not exist on {where}: create it "
                f"(`createdb -h {url.host or 'localhost'} -p {url.port or 5432} -U {role} {database}`, as a role "
                "that may create databases) or correct the URL.")
    if state == "28000":  # invalid_authorization_specification: the role does not exist or may not log in
        return (f"TONO_DATABASE_URL logs in as {role}, which {where} does not let in (no such role, or it may not "
                f"log in): create the role (`createuser {role}`, as the server's administrator) or correct the URL.")
    if state == "28P01":  # invalid_password
        return (f"{where[0].upper()}{where[1:]} refused the password for {role}: correct the password in "
                "TONO_DATABASE_URL.")
    if state == "42501" and "CONNECT" in str(error).upper():  # insufficient_privilege on the database
        return (f"The role {role} may not connect to the database {database} on {where}: grant it CONNECT "
                "(`GRANT CONNECT ON DATABASE ...`) or use a role that may.")
    return None


def explain_database_error(error: BaseException, database_url: str) -> str:
    """One sentence for an error the database raised outside start-up's own checks (another program took
    the lock in between, the disk filled up): what happened and what to do, never a traceback."""
    if login := postgres_login_problem(error, database_url):
        return login
    reason = " ".join(str(getattr(error, "orig", None) or error).split())
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return (f"The PostgreSQL database at {url.host or 'localhost'}:{url.port or 5432} refused ({reason[:200]}): "
                "check that the server runs and TONO_DATABASE_URL is right, then try again.")
    path = Path(url.database or "tono.db")
    if "locked" in reason or "busy" in reason:
        return in_use_sentence(path)
    if "not a database" in reason:
        return not_a_database_sentence(path)
    if "readonly" in reason or "unable to open" in reason:
        return (f"Tono may not write the database {path} or its folder: give yourself write access or change "
                "TONO_DATABASE_URL.")
    if "disk is full" in reason or "disk I/O" in reason:
        return f"The disk that holds the database {path} is full or failing ({reason[:120]}): free some space."
    return f"The database {path} refused ({reason[:200]}): try again, and if it happens again, report it."
