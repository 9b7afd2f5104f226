"""Alembic's environment: one migration history for all of Tono's tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.models import PERSON_NAME_SEARCH
from tono.database import make_engine, metadata

config = context.config


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Autogenerate leaves alone the people search's index (migration 0010), which no model describes."""
    return not (name or "").startswith(PERSON_NAME_SEARCH)


def _run(connection: Connection) -> None:
    # render_as_batch: SQLite cannot ALTER most things in place (DESIGN.md §12).
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        await connection.run_sync(_run)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
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
