"""Shared fixtures: a throwaway database per test on SQLite, and on PostgreSQL where a server answers."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from contextlib import ExitStack, contextmanager

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


@pytest.fixture(autouse=True, scope="session")
def _the_programmes_names() -> None:
    """The sentences a family reads name the provider, the agency and the programme from the agreement Tono
    starts with; tests speak for the bundled Best foot forward agreement, as `tono run` does."""
    from bot.language.i18n import use_agreement_names
    from protocol.agreement import load_agreement

    use_agreement_names(load_agreement())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request) -> str:
    """Which database a test runs on; tests that take a database run on both."""
    if request.param == "postgresql":
        _postgres_or_skip()
    return request.param


def _postgres_url(name: str) -> str:
    base = _postgres_admin_dsn().rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"


@contextmanager
def _throwaway_postgres(template: str | None = None):
    name = f"tono_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield name
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def database_url(backend, tmp_path):
    """A fresh, empty database URL: a SQLite file, or a throwaway PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tono.db'}"
        return
    with _throwaway_postgres() as name:
        yield _postgres_url(name)


def _migrate_and_seed(url: str) -> None:
    from protocol.agreement import load_agreement
    from tono import migrate
    from tono.demo import seed_demo
    from tono.settings import load_settings

    migrate.upgrade(url)
    asyncio.run(seed_demo(load_settings(TONO_DATABASE_URL=url), load_agreement()))


@pytest.fixture(scope="session")
def _seeded_templates(tmp_path_factory):
    """Migrating and seeding once per run, then copying, keeps each test's fresh database cheap."""
    made: dict[str, str] = {}
    with ExitStack() as cleanup:

        def template(backend: str) -> str:
            if backend not in made:
                if backend == "sqlite":
                    path = tmp_path_factory.mktemp("template") / "seeded.db"
                    _migrate_and_seed(f"sqlite+aiosqlite:///{path}")
                    made[backend] = str(path)
                else:
                    name = cleanup.enter_context(_throwaway_postgres())
                    _migrate_and_seed(_postgres_url(name))
                    made[backend] = name
            return made[backend]

        yield template


@pytest.fixture
def seeded_url(backend, tmp_path, _seeded_templates):
    """A fresh database, migrated, with the Best foot forward demo loaded."""
    template = _seeded_templates(backend)
    if backend == "sqlite":
        copy = tmp_path / "tono.db"
        shutil.copyfile(template, copy)
        yield f"sqlite+aiosqlite:///{copy}"
        return
    with _throwaway_postgres(template) as name:
        yield _postgres_url(name)


def pytest_terminal_summary(terminalreporter):
    problem = _postgres_problem
    if problem:
        terminalreporter.write_line(f"NOTE: PostgreSQL tests were skipped: {problem}", yellow=True)
