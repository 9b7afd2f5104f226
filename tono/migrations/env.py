"""Alembic's environment: one migration history for all of Tono's tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import Connection

from bot.models import PERSON_NAME_SEARCH
from tono.database import make_engine, metadata

config = context.config


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Autogenerate leaves alone the people search's index (migration 0010), which no model describes."""
    return not (name or "").startswith(PERSON_NAME_SEARCH)


def _run(connection: Connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things in place (DESIGN.md §12). transactional_ddl: SQLite's DDL is
    # transactional too, so a migration run that fails on either database leaves it as it was, never half-way.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True, include_name=include_name, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            _check_foreign_keys(connection)


def _foreign_keys_off(dbapi_connection, _record) -> None:
    # A batch migration copies a table and drops the old one; with foreign keys on, dropping a table that rows
    # of another table point to (a request's tasks) fails. SQLite's own recipe for changing a table: keys off
    # outside the transaction, check them all before it commits (below).
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, _rowid, parent, _key = broken[0]
        raise RuntimeError(f"the migration would leave rows of {table} pointing to no row of {parent} "
                           f"({len(broken)} in all); nothing was changed")


async def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        await connection.run_sync(_run)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _foreign_keys_off)  # after make_engine's own, which turns them on
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
