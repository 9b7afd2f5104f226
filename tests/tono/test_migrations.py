"""Migrations run from empty to head and back, on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.models import PERSON_NAME_SEARCH
from tono import migrate
from tono.database import make_engine, metadata


def _modelled(name: str | None, type_: str = "table", parent_names: dict | None = None) -> bool:
    # The people search's index (migration 0010: an FTS5 table on SQLite) is deliberately not a model.
    return not (name or "").startswith(PERSON_NAME_SEARCH)


def _inspect(database_url: str, how):
    async def run():
        engine = make_engine(database_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(how)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(database_url: str) -> set[str]:
    return set(_inspect(database_url, lambda conn: inspect(conn).get_table_names())) - {"alembic_version"}


def test_upgrade_from_empty_creates_every_table_and_downgrade_removes_them(database_url):
    migrate.upgrade(database_url)

    assert {name for name in _tables(database_url) if _modelled(name)} == set(metadata.tables)

    migrate.downgrade(database_url, "base")

    assert _tables(database_url) == set()


def test_the_models_and_the_migrations_describe_the_same_schema(database_url):
    migrate.upgrade(database_url)

    differences = _inspect(
        database_url,
        lambda conn: compare_metadata(MigrationContext.configure(conn, opts={"include_name": _modelled}), metadata),
    )

    assert differences == [], "a model changed without a migration: run `alembic revision --autogenerate`"


def test_the_database_reports_the_head_revision_after_upgrade(database_url):
    migrate.upgrade(database_url)

    async def current():
        engine = make_engine(database_url)
        try:
            return await migrate.current_revision(engine)
        finally:
            await engine.dispose()

    assert asyncio.run(current()) == migrate.head_revision()
