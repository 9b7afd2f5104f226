"""Shared fixtures: a throwaway database per test on SQLite, and on PostgreSQL where a server answers."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

POSTGRES_URL = os.environ.get("TONO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_postgres_problem: str | None = None


def _postgres_admin_dsn() -> str:
    return POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_postgres_admin_dsn(), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def postgres_unavailable() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None when a server answers."""
    global _postgres_problem
    if _postgres_problem is None:
        try:
            asyncio.run(_admin("SELECT 1"))
            _postgres_problem = ""
        except Exception as error:  # any failure to connect means: skip, and say why
            _postgres_problem = f"no PostgreSQL at {POSTGRES_URL} ({type(error).__name__}: {error})"
    return _postgres_problem or None


def _postgres_or_skip() -> None:
    problem = postgres_unavailable()
    if problem:
        if os.environ.get("TONO_REQUIRE_POSTGRES"):
            pytest.fail(f"TONO_REQUIRE_POSTGRES is set but {problem}")
        pytest.skip(f"PostgreSQL tests skipped: {problem}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty database URL: a SQLite file, or a throwaway PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tono.db'}"
        return
    _postgres_or_skip()
    name = f"tono_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    base = _postgres_admin_dsn().rsplit("/", 1)[0]
    try:
        yield f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def pytest_terminal_summary(terminalreporter):
    problem = _postgres_problem
    if problem:
        terminalreporter.write_line(f"NOTE: PostgreSQL tests were skipped: {problem}", yellow=True)
